r"""Canonical JSON: the one byte string a committed value hashes as.

Rules (a subset of RFC 8785 JCS that avoids its hard parts):

- objects with string keys, sorted by Unicode code point; arrays; strings; integers; `true`,
  `false`, `null`. No floats (money is integer fen; ratios travel as decimal strings), no NaN;
- integers within ±(2^53 - 1), so a browser's `JSON.parse` reads them exactly;
- no insignificant whitespace (`,` and `:` separators);
- UTF-8, non-ASCII characters written as themselves; `"` `\` and control characters escaped as
  JSON requires (`\n`, `\t`, …, otherwise `\u00XX` in lower-case hex).

For keys without characters outside the Basic Multilingual Plane this is byte-for-byte JCS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from trustshare.crypto.errors import CanonicalJsonError

MAX_SAFE_INTEGER = 2**53 - 1


def canonical_json(value: Any) -> bytes:
    """Return the canonical UTF-8 JSON encoding of `value`, refusing what is not allowed."""
    text = json.dumps(
        _normalise(value, "$"),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise CanonicalJsonError("a string contains an unpaired surrogate") from error


def _normalise(value: Any, path: str) -> Any:
    """Check `value` and return it as plain dict / list / str / int / bool / None."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise CanonicalJsonError(f"{path}: integer {value} is beyond ±(2^53 - 1)")
        return int(value)
    if isinstance(value, float):
        raise CanonicalJsonError(
            f"{path}: floats are not allowed (money is integer fen; write ratios as strings)"
        )
    if isinstance(value, Mapping):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalJsonError(f"{path}: object keys must be strings, got {key!r}")
            result[str(key)] = _normalise(item, f"{path}.{key}")
        return result
    if isinstance(value, list | tuple):
        return [_normalise(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise CanonicalJsonError(
        f"{path}: {type(value).__name__} is not a JSON value "
        "(use str for dates and decimals, int for fen)"
    )
