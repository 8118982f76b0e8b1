"""Everything an insurer request or job needs, built once per node from its settings."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from web3 import Web3

from trustshare.chain import rpc
from trustshare.chain.deployment import Deployment
from trustshare.chain.registries import Registries
from trustshare.domain import RuleSet, default_rules
from trustshare.insurer.chain_view import ChainView
from trustshare.insurer.keystore import Keystore
from trustshare.insurer.settings import InsurerSettings
from trustshare.storage.database import make_engine, make_session_factory


@dataclass
class InsurerContext:
    """The node's long-lived resources. Chain access is read-only for now."""

    settings: InsurerSettings
    engine: Engine
    sessions: sessionmaker[Session]
    w3: Web3
    deployment: Deployment
    registries: Registries
    keystore: Keystore = field(repr=False)
    chain_view: ChainView
    rules: RuleSet
    clock: Callable[[], float] = time.time
    http: httpx.Client = field(default_factory=httpx.Client, repr=False)
    """Keep-alive HTTP to the bureaus (one pool per node)."""

    @property
    def address(self) -> str:
        """The insurer's chain address (its identity in the network)."""
        return self.keystore.address

    @classmethod
    def from_settings(cls, settings: InsurerSettings) -> InsurerContext:
        """Read the keystore; connect to the database and the chain named by ``settings``."""
        keystore = Keystore.read(settings.keystore_file)
        engine = make_engine(settings.database_url)
        w3 = rpc.connect(settings.rpc_url, timeout=settings.chain_timeout_s)
        deployment = Deployment.read(settings.deployment_file)
        deployment.check(w3)
        registries = Registries.connect(w3, deployment)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            w3=w3,
            deployment=deployment,
            registries=registries,
            keystore=keystore,
            chain_view=ChainView(registries, keystore.address, ttl=settings.chain_cache_s),
            rules=default_rules(),
        )
