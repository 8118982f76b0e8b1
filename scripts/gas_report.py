"""Print the gas of every budgeted registry operation, measured on a fresh anvil.

The measurement is ``trustshare.bench.gas``; the figures in docs/CONTRACTS.md come from this
script. Usage: ``.venv/bin/python scripts/gas_report.py [--json]``.
"""

from __future__ import annotations

import json
import sys

from trustshare.bench.gas import measure_operations


def main() -> None:
    """Print the table (or JSON with --json)."""
    gas = measure_operations()
    if "--json" in sys.argv[1:]:
        print(json.dumps(gas, indent=2))
        return
    for operation, used in gas.items():
        print(f"{operation:<40} {used:>9,}")


if __name__ == "__main__":
    main()
