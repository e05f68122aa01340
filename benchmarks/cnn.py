"""Same as ``retroprop bench cnn [--quick]``: see :mod:`retroprop.bench.cnn`."""

import sys

from retroprop.cli import main

if __name__ == "__main__":
    sys.exit(main(["bench", "cnn", *sys.argv[1:]]))
