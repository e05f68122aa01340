"""Time one MLP training step against PyTorch (same as ``retroprop bench step``)."""

from retroprop.bench.step import main

if __name__ == "__main__":
    main()
