"""Writing the state dir's files so that a reader never sees half of one."""

from __future__ import annotations

import os
from pathlib import Path


def replace_file(path: Path, text: str, *, private: bool = False) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``.

    ``private`` files (keys, tokens) are created with mode 0600 from the first byte.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(
        temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644
    )
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    if private:
        os.chmod(temporary, 0o600)  # in case the file was left by an earlier, failed write
    os.replace(temporary, path)
