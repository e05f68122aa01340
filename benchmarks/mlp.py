"""One Fashion-MNIST epoch against PyTorch and scikit-learn (same as ``retroprop bench mlp``)."""

from retroprop.bench.mlp import main

if __name__ == "__main__":
    main()
