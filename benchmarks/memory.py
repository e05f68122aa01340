"""Same as ``retroprop bench memory [--quick]``: see :mod:`retroprop.bench.memory`."""

import sys

from retroprop.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "memory", *sys.argv[1:]]))
