"""Pytest plugin: a throwaway PostgreSQL server from Debian's packages, and per-test databases.

The server starts lazily, once per session, the first time a PostgreSQL-parametrized test runs:
``initdb`` on a temporary directory, trust authentication, listening on a free loopback port only.
Debian's server binaries refuse to run as root, so as root they run as the ``postgres`` user.
Each test gets a database of its own; the server is stopped and its directory deleted when the
session ends, whatever happened. Missing binaries fail the PostgreSQL tests: run ``make setup``.

Registered in pyproject.toml (``-p tests.postgres``).
"""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

SERVER_BINARIES = "/usr/lib/postgresql/*/bin"
SERVER_USER = "postgres"
# A throwaway cluster needs no durability: no fsync, no full-page writes, no commit waits.
SERVER_OPTIONS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


class PostgresUnavailable(RuntimeError):
    """The test PostgreSQL server could not be found or started."""


def find_server_binaries() -> Path:
    """The newest ``/usr/lib/postgresql/<version>/bin`` holding ``initdb`` and ``pg_ctl``."""
    candidates = [
        path.parent
        for path in Path("/").glob(SERVER_BINARIES.lstrip("/") + "/initdb")
        if (path.parent / "pg_ctl").exists()
    ]
    if not candidates:
        raise PostgresUnavailable(
            f"PostgreSQL server binaries not found (no initdb under {SERVER_BINARIES}): "
            "run `make setup`, which installs Debian's postgresql package"
        )
    return max(candidates, key=lambda bin_dir: int(bin_dir.parent.name.split(".")[0]))


def _free_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", SERVER_USER, "--", *command]
    return command


def _run(command: list[str], what: str) -> None:
    done = subprocess.run(
        _as_server_user(command), capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise PostgresUnavailable(f"{what} failed ({done.returncode}): {done.stderr.strip()}")


@dataclass
class PostgresServer:
    """A running throwaway cluster; :meth:`stop` ends it and deletes its directory."""

    bin_dir: Path
    directory: Path
    port: int
    _database_numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _stopped: bool = False

    @classmethod
    def start(cls) -> PostgresServer:
        """initdb a fresh cluster in a temporary directory and start it on a free port."""
        bin_dir = find_server_binaries()
        directory = Path(tempfile.mkdtemp(prefix="trustshare-pg-"))
        if os.geteuid() == 0:
            shutil.chown(directory, SERVER_USER, SERVER_USER)
        server = cls(bin_dir, directory, port=0)
        try:
            _run(
                [
                    str(bin_dir / "initdb"),
                    f"--pgdata={server.data_dir}",
                    f"--username={SERVER_USER}",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                    "--no-instructions",
                ],
                "initdb",
            )
            server._start_on_free_port()
        except BaseException:
            server.stop()
            raise
        return server

    @property
    def data_dir(self) -> Path:
        """The cluster's data directory."""
        return self.directory / "data"

    @property
    def socket_dir(self) -> Path:
        """Where the server puts its Unix socket (inside the throwaway directory)."""
        return self.directory

    @property
    def log_file(self) -> Path:
        """The server's log, quoted when it fails to start."""
        return self.directory / "server.log"

    def _start_on_free_port(self, attempts: int = 3) -> None:
        for attempt in range(1, attempts + 1):
            self.port = _free_loopback_port()
            options = " ".join(
                [
                    "-c listen_addresses=127.0.0.1",
                    f"-p {self.port}",
                    f"-k {self.socket_dir}",
                    *(f"-c {option}" for option in SERVER_OPTIONS),
                ]
            )
            try:
                _run(
                    [
                        str(self.bin_dir / "pg_ctl"),
                        f"--pgdata={self.data_dir}",
                        f"--log={self.log_file}",
                        f"--options={options}",
                        "--wait",
                        "--timeout=60",
                        "start",
                    ],
                    "pg_ctl start",
                )
                return
            except PostgresUnavailable as error:
                # Another process may have taken the port between probing and binding it.
                if attempt == attempts:
                    log = self.log_file.read_text() if self.log_file.exists() else ""
                    raise PostgresUnavailable(f"{error}\nserver log:\n{log}") from error

    def url(self, database: str = "postgres") -> str:
        """A SQLAlchemy URL (psycopg 3) for ``database`` on this server."""
        return f"postgresql+psycopg://{SERVER_USER}@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=SERVER_USER, dbname="postgres", autocommit=True
        )

    def create_database(self) -> str:
        """A new, empty database; returns its name."""
        name = f"test_{next(self._database_numbers)}"
        with self._admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name``, ending any connection a test left open to it."""
        with self._admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server (immediately: nothing in it is kept) and delete its directory."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if (self.data_dir / "postmaster.pid").exists():
                _run(
                    [
                        str(self.bin_dir / "pg_ctl"),
                        f"--pgdata={self.data_dir}",
                        "--mode=immediate",
                        "--wait",
                        "stop",
                    ],
                    "pg_ctl stop",
                )
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server, started on first use."""
    unavailable: PostgresUnavailable | None = None
    try:
        server = PostgresServer.start()
    except PostgresUnavailable as error:
        unavailable = error
    if unavailable is not None:
        # A failure, not a skip: CI runs `make test`, which installs the server.
        pytest.fail(str(unavailable), pytrace=False)
    # Also stop it if the session is torn down without running fixture finalizers.
    atexit.register(server.stop)
    try:
        yield server
    finally:
        server.stop()
        atexit.unregister(server.stop)


@pytest.fixture
def postgres_database_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh, empty database on the session's server, dropped after the test."""
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)


DATABASE_BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql),
]


def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """For a fixture parametrized over ``DATABASE_BACKENDS``: a fresh, empty database's URL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'bureau.db'}"
    return str(request.getfixturevalue("postgres_database_url"))
