"""Issuing policies: the unique key stops two enrollments racing for the same cover."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from trustshare.domain import default_rules
from trustshare.insurer.policies import PolicyAlreadyIssued, issue_policy
from trustshare.storage.database import make_engine, make_session_factory
from trustshare.storage.insurer_migrate import upgrade
from trustshare.storage.insurer_models import PolicyRow

from .realtime_support import PRODUCT

START = datetime(2026, 12, 1, tzinfo=UTC)
END = datetime(2027, 12, 1, tzinfo=UTC)
PSEUDONYM = bytes(range(32))


@pytest.fixture
def sessions(insurer_database_url: str) -> Iterator[sessionmaker[Session]]:
    upgrade(insurer_database_url)
    engine = make_engine(insurer_database_url)
    yield make_session_factory(engine)
    engine.dispose()


def _issue(session: Session, number: str) -> PolicyRow:
    return issue_policy(
        session,
        default_rules(),
        policy_number=number,
        pseudonym=PSEUDONYM,
        product=PRODUCT,
        valid_from=START,
        valid_to=END,
    )


def test_a_second_policy_with_the_same_cover_start_is_refused(
    sessions: sessionmaker[Session],
) -> None:
    with sessions() as first, sessions() as second:
        _issue(first, "P20261201-AAAA")
        with pytest.raises(PolicyAlreadyIssued) as refused:
            _issue(second, "P20261201-BBBB")
        assert refused.value.field == "valid_from"
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(PolicyRow)) == 1
        (kept,) = session.scalars(select(PolicyRow.policy_number))
        assert kept == "P20261201-AAAA"
