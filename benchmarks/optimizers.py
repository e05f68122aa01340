"""Every optimizer on the same networks (same as ``retroprop bench optimizers``)."""

from retroprop.bench.optimizers import main

if __name__ == "__main__":
    main()
