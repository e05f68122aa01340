"""Same as ``retroprop bench lbfgs [--quick]``: see :mod:`retroprop.bench.lbfgs`."""

import sys

from retroprop.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "lbfgs", *sys.argv[1:]]))
