"""One LeNet-5 epoch on Fashion-MNIST against PyTorch (same as ``retroprop bench cnn``)."""

from retroprop.bench.cnn import main

if __name__ == "__main__":
    main()
