"""One-click enrollment (一键投保): a policy issued on the person's verified enrollment record.

The patient's app asks for a product; the node fetches the person's latest enrollment record
from the bureau that bound the person's wallet, under the patient's UNDERWRITING consent of the
``enrollment`` group, and believes it only once it is proven against the committed ENROLLMENT
batch root on chain (:mod:`trustshare.insurer.bureau_client`). It then checks that the basic
insurance is valid on the policy's first day and that the product is sold in the person's
region, and issues a one-year policy. Every refusal is an :class:`EnrollmentRefused` with a
stable code and the HTTP status the API answers with.

With a premium authorisation the policy is paid from the personal medical-insurance account
through the bureau before it is issued (:mod:`trustshare.insurer.premium`, on :func:`underwrite`).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from trustshare.crypto.vocabulary import Purpose, Scope
from trustshare.insurer.bureau_client import (
    BureauClient,
    BureauRefusal,
    BureauUnreachable,
    ReleaseNotVerifiable,
    VerifiedRelease,
)
from trustshare.insurer.context import InsurerContext
from trustshare.insurer.policies import PolicyAlreadyIssued, issue_policy
from trustshare.storage.insurer_models import PolicyRow, PolicyStatus

CHINA_STANDARD_TIME = dt.timezone(dt.timedelta(hours=8), "CST")
ENROLLMENT_GROUP = "enrollment"


class EnrollmentRefused(Exception):
    """No policy was issued: ``code`` (stable), ``reason``, the HTTP status to answer with."""

    def __init__(
        self,
        code: str,
        reason: str,
        *,
        status_code: int,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Describe the refusal; ``details`` are extra members of the error body."""
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason
        self.status_code = status_code
        self.field = field
        self.details = details or {}


def today(now: float) -> dt.date:
    """The calendar date in China at unix time ``now``."""
    return dt.datetime.fromtimestamp(now, CHINA_STANDARD_TIME).date()


@dataclass(frozen=True)
class PolicyOffer:
    """A policy one-click enrollment may issue: every check passed, nothing stored yet."""

    policy_number: str
    pseudonym: bytes
    product: str
    valid_from: dt.datetime
    valid_to: dt.datetime
    """Exclusive end of cover."""


def one_click_enroll(
    context: InsurerContext,
    session: Session,
    bureau_client: BureauClient,
    *,
    pseudonym: bytes,
    product: str,
    bureau: str,
    start: dt.date | None = None,
) -> PolicyRow:
    """Issue ``product`` to ``pseudonym`` from ``start`` (today) on its verified enrollment.

    ``bureau`` is the bureau to ask (the one that bound the person's wallet). Commits the new
    policy. Raises :class:`EnrollmentRefused`.
    """
    offer = underwrite(
        context,
        session,
        bureau_client,
        pseudonym=pseudonym,
        product=product,
        bureau=bureau,
        start=start,
    )
    try:
        return issue_policy(
            session,
            context.rules,
            policy_number=offer.policy_number,
            pseudonym=pseudonym,
            product=product,
            valid_from=offer.valid_from,
            valid_to=offer.valid_to,
        )
    except PolicyAlreadyIssued as race:  # a concurrent enrollment issued it first
        raise EnrollmentRefused("already_insured", race.reason, status_code=409) from None


def underwrite(
    context: InsurerContext,
    session: Session,
    bureau_client: BureauClient,
    *,
    pseudonym: bytes,
    product: str,
    bureau: str,
    start: dt.date | None = None,
) -> PolicyOffer:
    """Every check of one-click enrollment, the verified enrollment record included.

    Stores nothing. Raises :class:`EnrollmentRefused`.
    """
    terms = context.rules.products.get(product)
    if terms is None:
        known = ", ".join(sorted(context.rules.products))
        raise EnrollmentRefused(
            "unknown_product",
            f"{product!r} is not sold; products: {known}",
            status_code=422,
            field="product",
        )
    this_day = today(context.clock())
    first_day = start or this_day
    if first_day < this_day:
        raise EnrollmentRefused(
            "start_in_past", "cover cannot start before today", status_code=422, field="start"
        )
    cover_from = dt.datetime.combine(first_day, dt.time(), CHINA_STANDARD_TIME)
    existing = _policy_in_force_after(session, pseudonym, product, cover_from)
    if existing is not None:
        raise EnrollmentRefused(
            "already_insured",
            f"policy {existing.policy_number} of {product} is already in force then",
            status_code=409,
            details={"policy_number": existing.policy_number},
        )
    release = _verified_enrollment(bureau_client, pseudonym, bureau)
    region = _check_enrollment(release, first_day)
    if terms.regions and region not in terms.regions:
        raise EnrollmentRefused(
            "not_sold_in_region",
            f"{product} is sold only in {', '.join(terms.regions)}",
            status_code=422,
            field="product",
        )
    return PolicyOffer(
        new_policy_number(first_day), pseudonym, product, cover_from, _one_year_after(cover_from)
    )


def new_policy_number(first_day: dt.date) -> str:
    """A fresh, unguessable policy number, e.g. ``P20260101-9F3A5C0B1D2E4F60``."""
    return f"P{first_day:%Y%m%d}-{secrets.token_hex(8).upper()}"


def _policy_in_force_after(
    session: Session, pseudonym: bytes, product: str, moment: dt.datetime
) -> PolicyRow | None:
    return session.scalars(
        select(PolicyRow).where(
            PolicyRow.pseudonym == pseudonym,
            PolicyRow.product == product,
            PolicyRow.status == PolicyStatus.ACTIVE,
            PolicyRow.valid_to > moment,
        )
    ).first()


def _verified_enrollment(client: BureauClient, pseudonym: bytes, bureau: str) -> VerifiedRelease:
    try:
        return client.release(
            "enrollment",
            pseudonym=pseudonym,
            bureau=bureau,
            purpose=Purpose.UNDERWRITING,
            scopes=Scope.ENROLLMENT,
        )
    except BureauRefusal as refusal:
        raise _refusal_of(refusal) from refusal
    except BureauUnreachable as error:
        raise EnrollmentRefused("bureau_unavailable", str(error), status_code=503) from error
    except ReleaseNotVerifiable as error:
        status = 409 if error.code == "root_not_committed" else 422
        raise EnrollmentRefused(
            "record_not_verifiable", error.reason, status_code=status, details={"check": error.code}
        ) from error


def _refusal_of(refusal: BureauRefusal) -> EnrollmentRefused:
    bureau_error = {"bureau_status": refusal.status_code, "bureau_code": refusal.code}
    if refusal.status_code == 403:
        status = refusal.error.get("permission_status")
        return EnrollmentRefused(
            "consent_missing",
            f"the bureau refused: {refusal.message}",
            status_code=403,
            details={**bureau_error, "permission_status": status},
        )
    if refusal.status_code == 404:
        return EnrollmentRefused(
            "not_enrolled",
            "the bureau holds no enrollment record of this person",
            status_code=422,
            details=bureau_error,
        )
    if refusal.status_code == 409:
        return EnrollmentRefused(
            "enrollment_not_committed",
            "the enrollment record is not committed on chain yet; retry shortly",
            status_code=409,
            details={**bureau_error, "retry_after": refusal.retry_after},
        )
    return EnrollmentRefused(
        "bureau_error",
        f"the bureau answered {refusal.status_code}: {refusal.message}",
        status_code=502,
        details=bureau_error,
    )


def _check_enrollment(release: VerifiedRelease, first_day: dt.date) -> str:
    """The enrolled region, once the validity covers ``first_day``."""
    fields = release.groups.get(ENROLLMENT_GROUP)
    try:
        if fields is None:
            raise KeyError(ENROLLMENT_GROUP)
        valid_from = dt.date.fromisoformat(str(fields["valid_from"]))
        valid_to_text = fields.get("valid_to")
        valid_to = None if valid_to_text is None else dt.date.fromisoformat(str(valid_to_text))
        region = str(fields["region"])
    except (KeyError, ValueError) as error:
        raise EnrollmentRefused(
            "enrollment_malformed", f"the enrollment record lacks {error}", status_code=422
        ) from error
    if first_day < valid_from or (valid_to is not None and first_day > valid_to):
        until = "open" if valid_to is None else valid_to.isoformat()
        raise EnrollmentRefused(
            "enrollment_not_valid",
            f"basic insurance is valid {valid_from.isoformat()}..{until}, not on {first_day}",
            status_code=422,
            field="start",
        )
    return region


def _one_year_after(moment: dt.datetime) -> dt.datetime:
    try:
        return moment.replace(year=moment.year + 1)
    except ValueError:  # 29 February: cover ends at the start of 1 March
        return moment.replace(year=moment.year + 1, month=3, day=1)
