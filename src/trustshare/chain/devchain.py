"""A local development chain: an anvil child process on a free loopback port.

Dev-only: production nodes talk to any EVM JSON-RPC endpoint. Anvil comes from the pinned npm
package ``@foundry-rs/anvil-linux-amd64`` (``node_modules/.bin/anvil``) or ``$ANVIL``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount

from trustshare.chain.errors import DevChainError

#: Anvil's well-known development mnemonic: its accounts hold test ether on a dev chain only.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_CHAIN_ID = 31337


def dev_accounts(count: int = 10, mnemonic: str = DEV_MNEMONIC) -> list[LocalAccount]:
    """The funded accounts anvil creates from ``mnemonic`` (BIP-44 path m/44'/60'/0'/0/i)."""
    Account.enable_unaudited_hdwallet_features()
    return [
        Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}")
        for index in range(count)
    ]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_in_use(port: int) -> bool:
    """Whether something already listens on 127.0.0.1:``port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def find_anvil() -> Path:
    """The anvil binary: ``$ANVIL``, the checkout's node_modules, or ``anvil`` on PATH."""
    candidates: list[Path] = []
    if os.environ.get("ANVIL"):
        candidates.append(Path(os.environ["ANVIL"]))
    with contextlib.suppress(Exception):
        from trustshare.chain.toolchain import find_checkout

        candidates.append(find_checkout().node_binary("anvil"))
    on_path = shutil.which("anvil")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise DevChainError("anvil not found: run `npm ci` in the checkout or set $ANVIL")


@dataclass
class DevChain:
    """A running anvil. Use :meth:`start` (or ``with DevChain.start() as chain:``)."""

    process: subprocess.Popen[bytes]
    port: int
    chain_id: int
    state_file: Path | None = None
    _log: Path | None = field(default=None, repr=False)
    _cache: Path | None = field(default=None, repr=False)

    @property
    def rpc_url(self) -> str:
        """The JSON-RPC endpoint."""
        return f"http://127.0.0.1:{self.port}"

    @classmethod
    def start(
        cls,
        *,
        port: int | None = None,
        chain_id: int = DEV_CHAIN_ID,
        block_time: float | None = None,
        state_file: Path | None = None,
        log_file: Path | None = None,
        ready_timeout: float = 30.0,
    ) -> DevChain:
        """Start anvil and wait until it answers ``eth_chainId``.

        ``block_time`` None means automine (one block per transaction); ``state_file`` loads the
        chain from that file if it exists and writes it back on a clean :meth:`stop`.
        """
        chosen_port = port if port is not None else free_port()
        if port is not None and port_in_use(port):
            raise DevChainError(f"port {port} on 127.0.0.1 is already in use")
        cache = Path(tempfile.mkdtemp(prefix="trustshare-anvil-"))
        command = [
            str(find_anvil()),
            "--host",
            "127.0.0.1",
            "--port",
            str(chosen_port),
            "--chain-id",
            str(chain_id),
            "--mnemonic",
            DEV_MNEMONIC,
            "--silent",
            # Old blocks' states are not written to disk (anvil writes them to
            # ~/.foundry/anvil/tmp, gigabytes per long run, and leaves them when killed); the
            # cache directory is this chain's own, removed by stop().
            "--max-persisted-states",
            "0",
            "--cache-path",
            str(cache),
        ]
        if block_time is not None:
            command += ["--block-time", str(block_time)]
        if state_file is not None:
            state_file.parent.mkdir(parents=True, exist_ok=True)
            command += ["--state", str(state_file)]
        log = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115
        try:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.PIPE, start_new_session=True
            )
        finally:
            if log_file and not isinstance(log, int):
                log.close()
        chain = cls(process, chosen_port, chain_id, state_file, log_file, cache)
        chain._wait_ready(ready_timeout)
        return chain

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        payload = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                stderr = self.process.stderr.read().decode() if self.process.stderr else ""
                raise DevChainError(
                    f"anvil exited with code {self.process.returncode}: {stderr.strip()[-500:]}"
                )
            with contextlib.suppress(httpx.HTTPError):
                answer = httpx.post(self.rpc_url, json=payload, timeout=1.0).json()
                if int(answer["result"], 16) == self.chain_id:
                    return
            time.sleep(0.05)
        self.stop()
        raise DevChainError(f"anvil did not answer on {self.rpc_url} within {timeout:.0f} s")

    def is_running(self) -> bool:
        """Whether the child process is still alive."""
        return self.process.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """Stop anvil cleanly (SIGINT lets it write its state file), killing it if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        if self.process.stderr:
            self.process.stderr.close()
        if self._cache is not None:
            shutil.rmtree(self._cache, ignore_errors=True)

    def __enter__(self) -> DevChain:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
