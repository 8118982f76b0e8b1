"""The state dir's lock and pid file: one network per state dir, stale files handled."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from trustshare.network import StateDirBusy
from trustshare.network.pidfile import (
    PID_FILE,
    PidFile,
    ProcessRecord,
    StateLock,
    refuse_leftovers,
)


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A process that runs until the test ends."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait()


def _finished_process() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_record_knows_its_process_and_not_a_later_one_with_the_same_pid() -> None:
    own = ProcessRecord.of("me", os.getpid())
    assert own.is_running()
    assert not replace(own, started=own.started - 1).is_running()  # the pid, reused
    with pytest.raises(ProcessLookupError):
        ProcessRecord.of("gone", _finished_process())


def test_stop_ends_the_process_with_its_stop_signal(sleeper: subprocess.Popen[bytes]) -> None:
    record = ProcessRecord.of("sleeper", sleeper.pid, "SIGINT")
    record.stop(timeout=10)
    assert sleeper.wait(timeout=10) != 0
    assert not record.is_running()


def test_pid_file_round_trips_and_an_unreadable_one_reads_as_absent(tmp_path: Path) -> None:
    content = PidFile(ProcessRecord.of("network", os.getpid())).with_process(
        ProcessRecord.of("network", os.getpid())
    )
    content.write(tmp_path)
    assert PidFile.read(tmp_path) == content
    (tmp_path / PID_FILE).write_text("{not json")
    assert PidFile.read(tmp_path) is None
    PidFile.remove(tmp_path)
    PidFile.remove(tmp_path)  # idempotent
    assert PidFile.read(tmp_path) is None


def test_a_second_lock_on_the_same_state_dir_is_refused_naming_it(tmp_path: Path) -> None:
    first = StateLock(tmp_path)
    first.acquire()
    PidFile(ProcessRecord.of("network", os.getpid())).write(tmp_path)
    try:
        with pytest.raises(StateDirBusy) as refused:
            StateLock(tmp_path).acquire()
        message = str(refused.value)
        assert str(tmp_path) in message and f"pid {os.getpid()}" in message
        assert "trustshare network down" in message
    finally:
        first.release()
    again = StateLock(tmp_path)
    again.acquire()  # free once released
    again.release()


def test_stale_pid_file_is_cleared_when_nothing_it_lists_runs(tmp_path: Path) -> None:
    dead = ProcessRecord("anvil", _finished_process(), 1)
    PidFile(dead, (dead,)).write(tmp_path)
    refuse_leftovers(tmp_path)
    assert not (tmp_path / PID_FILE).exists()


def test_leftover_processes_of_a_killed_network_are_refused_by_name(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    dead = ProcessRecord("network", _finished_process(), 1)
    PidFile(dead, (ProcessRecord.of("anvil", sleeper.pid),)).write(tmp_path)
    with pytest.raises(StateDirBusy, match=rf"anvil \(pid {sleeper.pid}\).*network down"):
        refuse_leftovers(tmp_path)
    assert (tmp_path / PID_FILE).exists()  # kept for `network down`
