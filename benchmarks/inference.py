"""Same as ``retroprop bench inference [--quick]``: see :mod:`retroprop.bench.inference`."""

import sys

from retroprop.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "inference", *sys.argv[1:]]))
