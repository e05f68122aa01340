"""``python -m retroprop``: the ``retroprop`` command (as ``python -m retroprop.cli``)."""

import sys

from retroprop.cli import main

sys.exit(main())
