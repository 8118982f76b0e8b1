"""Pure settlement domain: money, bills, rules as data and the one-stop settlement engine.

Imports nothing from the chain, crypto, storage or service layers and does no I/O beyond
reading rules files. The public API::

    rules = load_rules()                       # or default_rules()
    bill = parse_bill(json.loads(text, parse_float=Decimal))
    settlement = settle(bill, accumulators, rules)
    settlement.record.hifp_pay, settlement.commercial, settlement.patient_remainder_fen
"""

from trustshare.domain.accumulators import (
    EMPTY_ACCUMULATORS,
    Accumulators,
    BenefitAccumulator,
    parse_accumulators,
)
from trustshare.domain.bill import (
    Bill,
    HospitalLevel,
    InsuranceType,
    ItemClass,
    LineItem,
    PersonCategory,
    ProductHolding,
    VisitType,
    bill_json_schema,
    parse_bill,
)
from trustshare.domain.cob import coordinate_benefit
from trustshare.domain.engine import settle
from trustshare.domain.errors import DomainError, InvalidAccumulators, InvalidBill, InvalidRules
from trustshare.domain.fhir import to_claim_responses, to_explanation_of_benefit, to_fhir_bundle
from trustshare.domain.money import Fen, Ratio, format_yuan, parse_ratio, round_half_up_micro
from trustshare.domain.result import (
    BenefitPayment,
    CommercialPayment,
    RulesUsed,
    Settlement,
    SettlementRecord,
    TraceStep,
)
from trustshare.domain.rules import Bucket, ProductTerms, RegionPolicy
from trustshare.domain.ruleset import (
    RuleSet,
    default_rules,
    load_rules,
    load_rules_text,
    parse_rules_document,
    rules_content_hash,
    rules_document,
)

__all__ = [
    "EMPTY_ACCUMULATORS",
    "Accumulators",
    "BenefitAccumulator",
    "BenefitPayment",
    "Bill",
    "Bucket",
    "CommercialPayment",
    "DomainError",
    "Fen",
    "HospitalLevel",
    "InsuranceType",
    "InvalidAccumulators",
    "InvalidBill",
    "InvalidRules",
    "ItemClass",
    "LineItem",
    "PersonCategory",
    "ProductHolding",
    "ProductTerms",
    "Ratio",
    "RegionPolicy",
    "RuleSet",
    "RulesUsed",
    "Settlement",
    "SettlementRecord",
    "TraceStep",
    "VisitType",
    "bill_json_schema",
    "coordinate_benefit",
    "default_rules",
    "format_yuan",
    "load_rules",
    "load_rules_text",
    "parse_accumulators",
    "parse_bill",
    "parse_ratio",
    "parse_rules_document",
    "round_half_up_micro",
    "rules_content_hash",
    "rules_document",
    "settle",
    "to_claim_responses",
    "to_explanation_of_benefit",
    "to_fhir_bundle",
]
