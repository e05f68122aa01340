"""Same as ``retroprop bench mlp [--quick]``: see :mod:`retroprop.bench.mlp`."""

import sys

from retroprop.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "mlp", *sys.argv[1:]]))
