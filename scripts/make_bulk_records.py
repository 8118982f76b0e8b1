"""Generate a realistic bulk file of settlements as the national platform exports them.

Output is the JSON-lines format of docs/INGESTION.md, one settlement per line; the generator
is ``trustshare.bench.bulk_records`` (what the records hold is in its docstring).

    python scripts/make_bulk_records.py OUT.ndjson [--records 200000] [--seed 7]
           [--people N] [--line-items 0.2] [--templates 2000] [--first-serial 0]

OUT may be ``-`` for standard output.
"""

from __future__ import annotations

import argparse
import sys

from trustshare.bench.bulk_records import records, write


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", help="output file (JSON lines), or - for standard output")
    parser.add_argument("--records", type=int, default=200_000, help="settlements to write")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    parser.add_argument("--people", type=int, default=None, help="distinct persons (N/3)")
    parser.add_argument("--line-items", type=float, default=0.2, help="share with line items")
    parser.add_argument("--templates", type=int, default=2_000, help="settled template bills")
    parser.add_argument("--first-serial", type=int, default=0, help="first settlement serial")
    args = parser.parse_args()
    generated = records(
        args.records,
        seed=args.seed,
        people=args.people,
        line_items=args.line_items,
        templates=args.templates,
        first_serial=args.first_serial,
    )
    if args.out == "-":
        write(sys.stdout, generated)
    else:
        with open(args.out, "w", encoding="utf-8") as out:
            write(out, generated)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
