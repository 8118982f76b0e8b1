"""Real-time authorisation at discharge: the insurer's side of the contract.

For one request (already authenticated as an active bureau's, see :mod:`.api`), in order:

1. A repeat of ``(settlement_id, product)`` gets the first answer, whatever changed since.
2. A request already past its ``deadline_unix_ms`` is refused (``deadline_passed``): the bureau
   ignores late answers, so nothing may be held for it.
3. The policy must exist, be active, be for the asked product and person, and be in force now.
4. The patient's on-chain consent must permit DIRECT_SETTLEMENT of the SETTLEMENT_SUMMARY.
5. The hold is ``min(computed_fen, remaining)`` where ``remaining`` is the product's annual cap
   (sum of its benefits' caps in the engine's rules) less what this insurer's holds and claims
   took for the person and product this calendar year (China Standard Time).

Every answer — a hold or a refusal (0, with a reason code) — is stored under a fresh
``authorisation_id`` and returned on repeats. At clearing the hold becomes a window claim
(:mod:`.clearing`); a hold whose settlement is never cleared is released after the node's
``hold_ttl_s``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from trustshare.chain.registries.consent import PermissionStatus
from trustshare.domain import RuleSet
from trustshare.gateway.realtime_contract import (
    RealtimeAuthorisationRequest,
    RealtimeAuthorisationResponse,
)
from trustshare.insurer.chain_view import ChainView
from trustshare.insurer.policies import annual_cap_fen
from trustshare.insurer.records import authorisation_for, used_fen
from trustshare.storage.insurer_models import (
    AuthorisationRow,
    HoldStatus,
    PolicyRow,
    PolicyStatus,
)

CHINA_STANDARD_TIME = timezone(timedelta(hours=8))
"""Annual caps run by the calendar year in China."""


class Refusal:
    """Reason codes of a 0 answer (also returned in the ``X-TrustShare-Refusal`` header)."""

    DEADLINE_PASSED = "deadline_passed"
    NO_POLICY = "no_policy"
    POLICY_NOT_ACTIVE = "policy_not_active"
    PRODUCT_MISMATCH = "product_mismatch"
    PSEUDONYM_MISMATCH = "pseudonym_mismatch"
    POLICY_NOT_IN_FORCE = "policy_not_in_force"
    ANNUAL_CAP_REACHED = "annual_cap_reached"

    @staticmethod
    def of_consent(status: PermissionStatus) -> str:
        """``consent_<status>``, e.g. ``consent_revoked``, ``consent_no_consent``."""
        return f"consent_{status.name.lower()}"


@dataclass(frozen=True)
class Verdict:
    """What to answer, and why it is less than computed (empty reason if it is not)."""

    authorised_fen: int
    reason: str


def year_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The calendar year (China Standard Time) holding ``moment``, as UTC instants."""
    local = moment.astimezone(CHINA_STANDARD_TIME)
    start = datetime(local.year, 1, 1, tzinfo=CHINA_STANDARD_TIME)
    end = datetime(local.year + 1, 1, 1, tzinfo=CHINA_STANDARD_TIME)
    return start.astimezone(UTC), end.astimezone(UTC)


def judge(
    session: Session,
    request: RealtimeAuthorisationRequest,
    pseudonym: bytes,
    *,
    rules: RuleSet,
    chain: ChainView,
    moment: datetime,
) -> Verdict:
    """How much of the layer to hold (locks the policy row where the backend can)."""
    if int(moment.timestamp() * 1000) >= request.deadline_unix_ms:
        return Verdict(0, Refusal.DEADLINE_PASSED)
    policy = session.scalar(
        select(PolicyRow).where(PolicyRow.policy_number == request.policy_number).with_for_update()
    )
    if policy is None:
        return Verdict(0, Refusal.NO_POLICY)
    if policy.status != PolicyStatus.ACTIVE:
        return Verdict(0, Refusal.POLICY_NOT_ACTIVE)
    if policy.product != request.product or request.product not in rules.products:
        return Verdict(0, Refusal.PRODUCT_MISMATCH)
    if policy.pseudonym != pseudonym:
        return Verdict(0, Refusal.PSEUDONYM_MISMATCH)
    if not policy.valid_from <= moment < policy.valid_to:
        return Verdict(0, Refusal.POLICY_NOT_IN_FORCE)
    permission = chain.direct_settlement_permission(pseudonym)
    if permission is not PermissionStatus.PERMITTED:
        return Verdict(0, Refusal.of_consent(permission))
    since, until = year_bounds(moment)
    used = used_fen(session, pseudonym, request.product, since=since, until=until)
    remaining = max(0, annual_cap_fen(rules, request.product) - used)
    if remaining == 0 and request.computed_fen > 0:
        return Verdict(0, Refusal.ANNUAL_CAP_REACHED)
    held = min(request.computed_fen, remaining)
    return Verdict(held, "" if held == request.computed_fen else Refusal.ANNUAL_CAP_REACHED)


def authorise(
    sessions: sessionmaker[Session],
    request: RealtimeAuthorisationRequest,
    *,
    rules: RuleSet,
    chain: ChainView,
    now: float,
    hold_ttl_s: int,
) -> AuthorisationRow:
    """Answer ``request`` once: hold (or refuse) and store the answer; repeats get it back."""
    settlement_id = bytes.fromhex(request.settlement_id[2:])
    pseudonym = bytes.fromhex(request.pseudonym[2:])
    with sessions() as session:
        known = authorisation_for(session, settlement_id, request.product)
        if known is not None:
            return known
        moment = datetime.fromtimestamp(now, UTC)
        verdict = judge(session, request, pseudonym, rules=rules, chain=chain, moment=moment)
        row = AuthorisationRow(
            authorisation_id="ra_" + secrets.token_hex(16),
            settlement_id=settlement_id,
            settlement_reference=request.settlement_reference,
            bureau=request.bureau,
            pseudonym=pseudonym,
            product=request.product,
            policy_number=request.policy_number,
            computed_fen=request.computed_fen,
            authorised_fen=verdict.authorised_fen,
            status=HoldStatus.HELD if verdict.authorised_fen > 0 else HoldStatus.REFUSED,
            reason=verdict.reason,
            rules_version=request.rules_version,
            created_at=moment,
            expires_at=moment + timedelta(seconds=hold_ttl_s),
        )
        session.add(row)
        try:
            session.commit()
        except IntegrityError:  # the same request, answered concurrently: give its answer
            session.rollback()
            first = authorisation_for(session, settlement_id, request.product)
            if first is None:  # pragma: no cover - the unique key guarantees a row
                raise
            return first
        return row


def response_of(row: AuthorisationRow) -> RealtimeAuthorisationResponse:
    """The contract's answer for a stored authorisation."""
    return RealtimeAuthorisationResponse(
        authorised_fen=row.authorised_fen, authorisation_id=row.authorisation_id
    )
