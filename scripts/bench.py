"""Every speed figure of nmgym against baselines run in the same invocation: ``nmgym bench``.

Usage: python scripts/bench.py [--quick] [--device cpu] [--no-peers] --out DIR
"""

from nmgym.cli import main

if __name__ == "__main__":
    import sys

    raise SystemExit(main(["bench", *sys.argv[1:]]))
