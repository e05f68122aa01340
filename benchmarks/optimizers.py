"""Same as ``retroprop bench optimizers [--quick]``: see :mod:`retroprop.bench.optimizers`."""

import sys

from retroprop.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "optimizers", *sys.argv[1:]]))
