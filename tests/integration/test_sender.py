"""The sender tracks nonces locally, refuses reverts without using a nonce, survives restarts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hexbytes import HexBytes

from trustshare.chain.contract_errors import ParticipantsAlreadyRegistered
from trustshare.chain.journal import FileJournal, JournalEntry
from trustshare.chain.sender import TransactionSender

from ..conftest import Network


def test_refused_call_raises_typed_error_and_uses_no_nonce(network: Network) -> None:
    sender = network.sender(network.operator)
    participants = network.registries(network.operator).participants.acting_as(sender)
    nonce_before = network.w3.eth.get_transaction_count(network.operator.address)
    with pytest.raises(ParticipantsAlreadyRegistered) as refused:
        participants.register_bureau(network.bureau.address, "again", "http://x")
    assert refused.value.account == network.bureau.address
    assert refused.value.role == 1  # Role.Bureau
    assert network.w3.eth.get_transaction_count(network.operator.address) == nonce_before
    participants.update_endpoint(network.bureau.address, "http://moved")  # nonce still usable


def test_nonces_are_tracked_locally_across_many_sends(network: Network) -> None:
    sender = network.sender(network.operator)
    participants = network.registries().participants.acting_as(sender)
    start = network.w3.eth.get_transaction_count(network.operator.address)
    for index in range(5):
        participants.update_endpoint(network.bureau.address, f"http://node-{index}")
    assert network.w3.eth.get_transaction_count(network.operator.address) == start + 5


def test_restart_rebroadcasts_a_signed_but_unsent_transaction_once(
    network: Network, tmp_path: Path
) -> None:
    journal_path = tmp_path / "operator.journal"
    w3 = network.w3
    participants = network.registries().participants
    # A sender signs and journals a transaction, then "crashes" before broadcasting it.
    crashed = TransactionSender(w3, network.operator, journal=FileJournal(journal_path))
    function = participants.contract.functions.updateEndpoint(network.bureau.address, "http://r")
    tx = {
        "from": network.operator.address,
        "to": participants.address,
        "data": function._encode_transaction_data(),
        "value": 0,
    }
    nonce = crashed._take_nonce()
    signed = crashed._sign(tx, nonce, 200_000)  # type: ignore[arg-type]
    tx_hash = "0x" + bytes(signed.hash).hex()
    crashed.journal.record(
        JournalEntry(nonce, tx_hash, "0x" + bytes(signed.raw_transaction).hex(), "endpoint")
    )

    restarted = TransactionSender(w3, network.operator, journal=FileJournal(journal_path))
    assert restarted.resume() == [tx_hash]
    assert w3.eth.get_transaction_receipt(HexBytes(tx_hash))["status"] == 1
    assert participants.participant(network.bureau.address).endpoint == "http://r"
    # A second restart finds nothing pending and reuses no nonce.
    again = TransactionSender(w3, network.operator, journal=FileJournal(journal_path))
    assert again.resume() == []
    assert again._take_nonce() == nonce + 1


def test_rebroadcast_of_an_already_mined_transaction_changes_nothing(
    network: Network, tmp_path: Path
) -> None:
    journal = FileJournal(tmp_path / "j")
    sender = TransactionSender(network.w3, network.operator, journal=journal)
    participants = network.registries().participants.acting_as(sender)
    outcome = participants.update_endpoint(network.bureau.address, "http://once")
    count = network.w3.eth.get_transaction_count(network.operator.address)
    # Pretend the done marker was lost in a crash: the entry is pending again.
    journal.record(JournalEntry(outcome.block_number, outcome.tx_hash, "0x00", "replay"))
    restarted = TransactionSender(network.w3, network.operator, journal=FileJournal(tmp_path / "j"))
    restarted.resume()
    assert network.w3.eth.get_transaction_count(network.operator.address) == count
