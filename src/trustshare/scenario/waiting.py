"""Waiting for the network to do something, and saying what did not happen in time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

POLL_S = 0.2


class ScenarioError(Exception):
    """A step could not go on: a node refused something it should accept, or never answered."""


def poll(fetch: Callable[[], T | None], *, timeout_s: float, what: str) -> T:
    """Call ``fetch`` until it returns something; :class:`ScenarioError` naming ``what`` if not."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = fetch()
        if found is not None:
            return found
        if time.monotonic() >= deadline:
            raise ScenarioError(f"{what} did not happen within {timeout_s:g} s")
        time.sleep(POLL_S)
