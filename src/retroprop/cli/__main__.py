import sys

from retroprop.cli import main

sys.exit(main())
