"""Everything a bureau request or job needs, built once per node from its settings."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from eth_account import Account
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from trustshare.bureau.chain_cache import SigningInsurers
from trustshare.bureau.settings import BureauSettings
from trustshare.chain import rpc
from trustshare.chain.deployment import Deployment
from trustshare.chain.registries import Registries
from trustshare.crypto.pseudonym import PseudonymKey
from trustshare.domain import RuleSet, default_rules
from trustshare.storage.database import make_engine, make_session_factory


@dataclass
class BureauContext:
    """The node's long-lived resources. Read-only chain access; writes go through the outbox."""

    settings: BureauSettings
    engine: Engine
    sessions: sessionmaker[Session]
    w3: Web3
    deployment: Deployment
    registries: Registries
    account: LocalAccount = field(repr=False)
    pseudonym_key: PseudonymKey = field(repr=False)
    rules: RuleSet
    clock: Callable[[], float] = time.time
    signing_insurers: SigningInsurers = field(init=False, repr=False)
    """Signers' registry records, kept 2 s (see :mod:`trustshare.bureau.chain_cache`)."""

    def __post_init__(self) -> None:
        """Start with an empty cache of signing insurers."""
        self.signing_insurers = SigningInsurers(self.registries.participants)

    @property
    def address(self) -> str:
        """The bureau's chain address (its identity in the network)."""
        return str(self.account.address)

    @classmethod
    def from_settings(cls, settings: BureauSettings) -> BureauContext:
        """Connect to the database and the chain named by ``settings``."""
        engine = make_engine(settings.database_url)
        w3 = rpc.connect(settings.rpc_url, timeout=10)
        deployment = Deployment.read(settings.deployment_file)
        deployment.check(w3)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            w3=w3,
            deployment=deployment,
            registries=Registries.connect(w3, deployment),
            account=Account.from_key(settings.chain_key.get_secret_value()),
            pseudonym_key=PseudonymKey.from_hex(settings.pseudonym_key.get_secret_value()),
            rules=default_rules(),
        )
