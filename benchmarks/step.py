"""Same as ``retroprop bench step [--quick]``: see :mod:`retroprop.bench.step`."""

import sys

from retroprop.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "step", *sys.argv[1:]]))
