// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/// @title The consent vocabulary shared by the registries and the off-chain nodes.
/// @notice Scopes are the disclosure groups of a settlement record (DESIGN.md §4); purposes are
/// what an insurer may use them for. Both are bitmasks; a consent may cover several of each.
library ConsentVocabulary {
    /// @notice Enrollment facts: insurance type, region, validity.
    uint32 internal constant SCOPE_ENROLLMENT = 1 << 0;
    /// @notice Settlement summary: dates, visit type, totals, patient share.
    uint32 internal constant SCOPE_SETTLEMENT_SUMMARY = 1 << 1;
    /// @notice Fund breakdown: what each statutory layer paid.
    uint32 internal constant SCOPE_FUND_BREAKDOWN = 1 << 2;
    /// @notice Line items of the bill.
    uint32 internal constant SCOPE_LINE_ITEMS = 1 << 3;
    /// @notice Diagnosis codes.
    uint32 internal constant SCOPE_DIAGNOSIS = 1 << 4;
    /// @notice Every defined scope bit.
    uint32 internal constant ALL_SCOPES = (1 << 5) - 1;

    /// @notice One-click enrollment (一键投保): verify the patient's basic-insurance enrollment.
    uint32 internal constant PURPOSE_UNDERWRITING = 1 << 0;
    /// @notice Real-time authorisation of the insurer's layer at discharge (商保码).
    uint32 internal constant PURPOSE_DIRECT_SETTLEMENT = 1 << 1;
    /// @notice Fast claims (快赔) after the settlement.
    uint32 internal constant PURPOSE_CLAIM = 1 << 2;
    /// @notice Every defined purpose bit.
    uint32 internal constant ALL_PURPOSES = (1 << 3) - 1;
}
