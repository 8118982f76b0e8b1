"""The settlement engine: (bill, year-to-date accumulators, rules) → breakdown. Pure, exact."""

from __future__ import annotations

from collections.abc import Mapping

from trustshare.domain.accumulators import EMPTY_ACCUMULATORS, Accumulators, BenefitAccumulator
from trustshare.domain.basic_fund import pay_basic_fund
from trustshare.domain.bill import Bill, ProductHolding, VisitType
from trustshare.domain.commercial import Pots, pay_commercial
from trustshare.domain.errors import InvalidBill
from trustshare.domain.exclusions import apply_exclusions
from trustshare.domain.result import RulesUsed, Settlement, SettlementRecord, TraceStep
from trustshare.domain.rules import ProductTerms, RegionPolicy
from trustshare.domain.ruleset import RuleSet, default_rules
from trustshare.domain.second_layers import pay_critical_illness, pay_medical_assistance


def _resolve(
    bill: Bill, rules: RuleSet
) -> tuple[RegionPolicy, list[tuple[ProductHolding, ProductTerms]]]:
    region = rules.regions.get(bill.region)
    if region is None:
        known = ", ".join(sorted(rules.regions)) or "none"
        raise InvalidBill("region", f"unknown region {bill.region!r} (known: {known})")
    if bill.insurance_type not in region.schemes:
        raise InvalidBill(
            "insurance_type",
            f"region {region.id} has no {bill.insurance_type} insurance scheme",
        )
    holdings: list[tuple[ProductHolding, ProductTerms]] = []
    for index, holding in enumerate(bill.products):
        product = rules.products.get(holding.product)
        if product is None:
            known = ", ".join(sorted(rules.products)) or "none"
            raise InvalidBill(
                f"products[{index}].product",
                f"unknown product {holding.product!r} (known: {known})",
            )
        if product.regions and bill.region not in product.regions:
            raise InvalidBill(
                f"products[{index}].product",
                f"product {product.id} is only sold in {', '.join(product.regions)}, "
                f"not in {bill.region}",
            )
        holdings.append((holding, product))
    return region, holdings


def _rules_used(
    rules: RuleSet, region: RegionPolicy, holdings: list[tuple[ProductHolding, ProductTerms]]
) -> tuple[RulesUsed, ...]:
    cited = rules.used
    if not holdings:
        return (cited[region.id],)
    return (cited[region.id], *[cited[product.id] for _, product in holdings])


def settle(
    bill: Bill, accumulators: Accumulators | None = None, rules: RuleSet | None = None
) -> Settlement:
    """Settle one bill through every layer, in order, and return the full breakdown.

    Layers: exclusions → basic fund → critical illness → medical assistance → commercial
    products in the bill's payer order. Each layer rounds half-up to the fen once. Raises
    :class:`~trustshare.domain.errors.InvalidBill` if the bill names a region, insurance scheme
    or product the rules do not have; nothing is computed then.
    """
    ruleset = default_rules() if rules is None else rules
    ytd = EMPTY_ACCUMULATORS if accumulators is None else accumulators
    region, holdings = _resolve(bill, ruleset)
    scheme = region.schemes[bill.insurance_type]

    excluded = apply_exclusions(bill.lines, region.class_b_selfpay_prop)
    inscp = excluded.inscp_scp_amt
    basic = pay_basic_fund(bill, scheme, inscp, ytd)
    hifp = basic.hifp_pay

    critical_base = inscp - hifp
    critical = pay_critical_illness(
        scheme.critical_illness,
        critical_base,
        ytd.critical_illness_cumulative_fen,
        ytd.critical_illness_paid_fen,
    )
    hifmi = critical.paid_fen

    category = bill.person_category
    assistance = pay_medical_assistance(
        region.medical_assistance.get(category),
        category,
        critical_base - hifmi,
        ytd.assistance_deductible_met_fen,
        ytd.assistance_paid_fen,
    )
    maf = assistance.paid_fen

    fund_total = hifp + hifmi + maf
    person_share = excluded.medfee_sumamt - fund_total
    balance = bill.personal_account_balance_fen
    account = balance if balance < person_share else person_share
    record = SettlementRecord(
        medfee_sumamt=excluded.medfee_sumamt,
        fulamt_ownpay_amt=excluded.fulamt_ownpay_amt,
        overlmt_selfpay=excluded.overlmt_selfpay,
        preselfpay_amt=excluded.preselfpay_amt,
        inscp_scp_amt=inscp,
        act_pay_dedc=basic.act_pay_dedc,
        hifp_pay=hifp,
        pool_prop_selfpay=basic.pool_prop_selfpay,
        cvlserv_pay=0,
        hifes_pay=0,
        hifmi_pay=hifmi,
        hifob_pay=0,
        maf_pay=maf,
        hosp_part_amt=0,
        oth_pay=0,
        fund_pay_sumamt=fund_total,
        psn_part_amt=person_share,
        acct_pay=account,
        psn_cash_pay=person_share - account,
    )

    pots = Pots(
        in_catalogue=excluded.preselfpay_amt + critical_base - hifmi - maf,
        over_price_cap=excluded.overlmt_selfpay,
        class_c=dict(excluded.class_c_by_code),
    )
    commercial = pay_commercial(holdings, pots, bill.visit_type, ytd, fund_total)
    commercial_paid = sum(payment.paid_fen for payment in commercial.payments)
    remainder = person_share - commercial_paid

    outpatient = bill.visit_type is VisitType.OUTPATIENT
    products: Mapping[str, Mapping[str, BenefitAccumulator]] = ytd.products
    if commercial.benefit_accumulators:
        merged = {**ytd.products, **commercial.benefit_accumulators}
        products = dict(sorted(merged.items()))
    updated = Accumulators(
        year=ytd.year,
        inpatient_fund_paid_fen=ytd.inpatient_fund_paid_fen + (0 if outpatient else hifp),
        outpatient_deductible_met_fen=ytd.outpatient_deductible_met_fen
        + (basic.act_pay_dedc if outpatient else 0),
        outpatient_fund_paid_fen=ytd.outpatient_fund_paid_fen + (hifp if outpatient else 0),
        critical_illness_cumulative_fen=ytd.critical_illness_cumulative_fen + critical_base,
        critical_illness_paid_fen=ytd.critical_illness_paid_fen + hifmi,
        assistance_deductible_met_fen=ytd.assistance_deductible_met_fen
        + assistance.deductible_applied_fen,
        assistance_paid_fen=ytd.assistance_paid_fen + maf,
        products=products,
    )

    trace = (
        excluded.trace(),
        basic.trace,
        critical.trace,
        assistance.trace,
        *commercial.trace,
        TraceStep(
            "patient",
            0,
            "person's share {} − commercial {} = remainder {}",
            (person_share, commercial_paid, remainder),
        ),
    )
    return Settlement(
        bill=bill,
        record=record,
        commercial=commercial.payments,
        commercial_paid_fen=commercial_paid,
        patient_remainder_fen=remainder,
        claim_ceiling_fen=person_share,
        accumulators=updated,
        trace=trace,
        rules=_rules_used(ruleset, region, holdings),
    )
