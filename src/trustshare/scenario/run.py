"""``trustshare demo``: start the network, play the scenario, report, stop the network.

The network (:mod:`trustshare.network`) runs in a fresh temporary directory unless a state dir
is given (then it is kept, and ``trustshare network up --state-dir`` brings it back later).
While its nodes start, the patients' phones make their keys. Whatever happens — a miss, an
error, Ctrl-C or SIGTERM — the network is stopped before :func:`run_demo` returns or raises.
"""

from __future__ import annotations

import secrets
import signal
import tempfile
import threading
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from types import FrameType

from trustshare.network import Network, NetworkCancelled, PortPlan, RunningNetwork
from trustshare.scenario import report
from trustshare.scenario.bureau_desk import BureauDesk
from trustshare.scenario.cast import DEMO_PLAN, FULL_CASTING, SHORT_CASTING, Casting
from trustshare.scenario.chain import ChainWatch
from trustshare.scenario.insurer_desk import InsurerDesk
from trustshare.scenario.script import Script
from trustshare.scenario.stage import Stage
from trustshare.scenario.text import Echo, short
from trustshare.scenario.wallets import PatientApp, Phones

BUREAU_SETTINGS = {
    "batch_max_wait_ms": 300,
    "publisher_poll_ms": 100,
    "realtime_deadline_ms": 3_000,  # a busy demo machine must not time the insurers out
}
INSURER_SETTINGS = {"holds_interval_s": 0.5, "claim_sender_poll_ms": 100}
WALLETS_DIR = "wallets"


class Signals(AbstractContextManager["Signals"]):
    """SIGTERM interrupts like Ctrl-C (``KeyboardInterrupt``); once stopping, both are ignored.

    While the network starts, a signal only sets :attr:`cancel`, which :meth:`Network.start`
    watches (an exception raised in the middle of spawning a process could be lost in an
    at-fork hook); from :meth:`interrupting` on, it raises at once. It is also remembered, so
    that :meth:`check` raises it where it was not.
    """

    def __init__(self) -> None:
        """Handle nothing until entered."""
        self.cancel = threading.Event()
        self.received: str | None = None
        self._stopping = False
        self._raising = False
        self._previous: dict[int, object] = {}

    def __enter__(self) -> Signals:
        """Install the handlers (only the main thread can)."""
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGINT, signal.SIGTERM):
                self._previous[number] = signal.signal(number, self._interrupt)
        return self

    def _interrupt(self, signum: int, _frame: FrameType | None) -> None:
        if self._stopping:
            return
        self.received = signal.Signals(signum).name
        self.cancel.set()
        if self._raising:
            raise KeyboardInterrupt(self.received)

    def interrupting(self) -> None:
        """From now on a signal interrupts at once (and one received already does now)."""
        self._raising = True
        self.check()

    def check(self) -> None:
        """Raise ``KeyboardInterrupt`` if a signal came (and its exception was lost)."""
        if self.received is not None and not self._stopping:
            raise KeyboardInterrupt(self.received)

    def stopping(self) -> None:
        """From now on the network is being stopped: let nothing interrupt that."""
        self._stopping = True

    def __exit__(self, *_: object) -> None:
        """Put the previous handlers back."""
        for number, handler in self._previous.items():
            signal.signal(number, handler)  # type: ignore[arg-type]


def _describe(network: RunningNetwork, tokens: dict[str, str], echo: Echo) -> None:
    deployment = network.deployment
    echo(
        f"  chain   {network.rpc_url} (chain id {deployment.chain_id}); Participants "
        f"{short(deployment.participants)}, ConsentRegistry {short(deployment.consent_registry)}"
        f", AttestationRegistry {short(deployment.attestation_registry)}, ClaimRegistry "
        f"{short(deployment.claim_registry)}"
    )
    width = max(len(node.name) for node in network.description.nodes)
    for bureau in network.bureaus:
        echo(
            f"  {bureau.name:<{width}}  {short(bureau.address)}  {bureau.url}  settles the "
            f"insured of {bureau.region} only"
        )
    for insurer in network.insurers:
        echo(
            f"  {insurer.name:<{width}}  {short(insurer.address)}  {insurer.url}  sells "
            f"{', '.join(insurer.products)}"
        )
    echo(
        f"  hospitals: {', '.join(tokens)}; the Shanghai hospital also reaches the Beijing "
        "bureau through the national cross-province platform"
    )


def _start(
    directory: Path, phones: Phones, tokens: dict[str, str], signals: Signals, echo: Echo
) -> RunningNetwork:
    echo("\nStarting the network (each node its own process; they find each other on chain)")

    def progress(line: str) -> None:
        signals.check()
        phones.start()  # the state dir is this run's now
        echo(f"  · {line}")

    try:
        network = Network.start(
            directory,
            plan=DEMO_PLAN,
            ports=PortPlan.free(),
            fresh=True,
            bureau_settings={**BUREAU_SETTINGS, "hospital_tokens": tokens},
            insurer_settings=INSURER_SETTINGS,
            progress=progress,
            cancel=signals.cancel,
        )
    except NetworkCancelled:
        signals.check()
        raise
    try:
        signals.interrupting()
    except KeyboardInterrupt:
        network.stop()
        raise
    return network


def _play(
    network: RunningNetwork,
    casting: Casting,
    phones: Phones,
    tokens: dict[str, str],
    signals: Signals,
    echo: Echo,
) -> Stage:
    chain = ChainWatch(network.rpc_url, network.deployment)
    stage = Stage(
        echo=echo,
        network=network,
        chain=chain,
        app=PatientApp(network.rpc_url, network.description.deployment_file),
        bureaus={b.region: BureauDesk(b, tokens) for b in network.bureaus},
        insurers={i.name: InsurerDesk(i) for i in network.insurers},
        hospitals={b.region: b.hospital for b in network.bureaus},
        casting=casting,
        checkpoint=signals.check,
    )
    try:
        stage.patients = phones.patients()
        stage.start_block = chain.block_number() + 1
        Script(stage).play()
        if stage.ledger.settlements:
            report.patient_tables(stage)
            report.summary(stage)
    finally:
        stage.close()
    return stage


def run_demo(echo: Echo, *, state_dir: Path | None = None, short_form: bool = False) -> bool:
    """Play the scenario on a new network; True if every expected outcome happened."""
    casting = SHORT_CASTING if short_form else FULL_CASTING
    with ExitStack() as stack:
        signals = stack.enter_context(Signals())
        if state_dir is None:
            temporary = tempfile.TemporaryDirectory(prefix="trustshare-demo-")
            directory = Path(stack.enter_context(temporary))
        else:
            directory = state_dir.resolve()
            directory.mkdir(parents=True, exist_ok=True)
        phones = Phones(casting.patients, directory / WALLETS_DIR)
        stack.callback(phones.close)
        tokens = {bureau.hospital: secrets.token_urlsafe(32) for bureau in DEMO_PLAN.bureaus}
        echo(
            f"TrustShare demo — {len(DEMO_PLAN.bureaus)} bureaus, {len(DEMO_PLAN.insurers)} "
            f"insurers and {len(casting.patients)} patients on a network of their own "
            f"(state in {directory})"
        )
        network = _start(directory, phones, tokens, signals, echo)
        stack.callback(lambda: echo("\nThe network is stopped; nothing of it is left running."))
        stack.callback(network.stop)
        stack.callback(signals.stopping)
        _describe(network, tokens, echo)
        stage = _play(network, casting, phones, tokens, signals, echo)
        stage.checks.report(echo)
        if state_dir is not None:
            echo(
                f"\nKept in {directory}; `trustshare network up --state-dir {state_dir}` brings "
                "this network back (the patient pages with it)."
            )
    return stage.checks.all_happened
