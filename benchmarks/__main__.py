"""`python -m benchmarks NAME [args]`: run one benchmark. Each prints its headline ratio last.

Benchmarks: ingest, collect, pages, api, history. Ratios are against a baseline measured in the same run
(the machines are noisy), never against a stored number.
"""

from __future__ import annotations

import importlib
import sys

NAMES = ("ingest", "collect", "pages", "api", "history")


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in NAMES:
        print(__doc__)
        print("usage: python -m benchmarks {" + ",".join(NAMES) + "} [options]")
        return 2
    module = importlib.import_module(f"benchmarks.{argv[0]}")
    module.main(argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
