"""Two wallets redeeming one binding voucher at the same moment: exactly one is bound."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from eth_account import Account
from sqlalchemy import func, select

from trustshare.bureau.binding_requests import VoucherRefused, issue_voucher, redeem_voucher
from trustshare.bureau.context import BureauContext
from trustshare.bureau.identity import BindingQueued
from trustshare.storage.models import OutboxEntry, WalletBinding

from .operations_support import ID_NUMBER

WALLETS = [Account.from_key(bytes([0xC0 + i]) * 32).address for i in range(2)]


def test_one_voucher_raced_by_two_wallets_binds_exactly_one(
    bureau_context: BureauContext,
) -> None:
    _, voucher = issue_voucher(bureau_context, ID_NUMBER)
    start = Barrier(len(WALLETS))

    def redeem(wallet: str) -> BindingQueued | str:
        with bureau_context.sessions() as session:
            start.wait()
            try:
                return redeem_voucher(bureau_context, session, voucher, wallet)
            except VoucherRefused as refused:
                return refused.code

    with ThreadPoolExecutor(len(WALLETS)) as pool:
        outcomes = list(pool.map(redeem, WALLETS))
    winners = [outcome for outcome in outcomes if isinstance(outcome, BindingQueued)]
    assert len(winners) == 1, outcomes
    assert outcomes.count("voucher_spent") == 1
    with bureau_context.sessions() as session:
        (binding,) = session.scalars(select(WalletBinding))
        assert binding.wallet == winners[0].wallet
        queued = session.scalar(
            select(func.count()).select_from(OutboxEntry).where(OutboxEntry.kind == "bind_wallet")
        )
        assert queued == 1
