// SPDX-License-Identifier: UNLICENSED
pragma solidity 0.8.28;

import {Vm, VM_ADDRESS} from "./Vm.sol";

/// @title The smallest base every test here needs: the cheatcodes, `bound`, named keys.
abstract contract BaseTest {
    Vm internal constant vm = Vm(VM_ADDRESS);

    /// @dev Order of the secp256k1 group: s and n - s are both valid for the same (r, digest).
    uint256 internal constant SECP256K1_N =
        0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    error BoundInvalidRange(uint256 min, uint256 max);

    /// @dev Clamp a fuzz input into [min, max] (inclusive) instead of discarding it.
    function bound(uint256 x, uint256 min, uint256 max) internal pure returns (uint256) {
        if (min > max) revert BoundInvalidRange(min, max);
        if (min == 0 && max == type(uint256).max) return x;
        return min + x % (max - min + 1);
    }

    /// @dev A labelled account whose private key is derived from its name.
    function _account(string memory name) internal returns (uint256 privateKey, address account) {
        privateKey = uint256(keccak256(abi.encodePacked("trustshare test key ", name)));
        account = vm.addr(privateKey);
        vm.label(account, name);
    }

    /// @dev An address no fixture account can collide with, whatever the fuzz input.
    function _freshAddress(string memory tag, uint256 seed) internal pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(tag, seed)))));
    }

    /// @dev A 65-byte (r, s, v) signature by `privateKey` of `digest`.
    function _sign(uint256 privateKey, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(privateKey, digest);
        return abi.encodePacked(r, s, v);
    }
}
