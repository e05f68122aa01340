"""Same as ``retroprop bench flops [--quick]``: see :mod:`retroprop.bench.flops`."""

import sys

from retroprop.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "flops", *sys.argv[1:]]))
