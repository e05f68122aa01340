"""Benchmarks run by ``retroprop bench NAME``: each times retroprop against PyTorch CPU
(and scikit-learn where it has the model) in the same run and prints ratios, since
the machines are shared and noisy. PyTorch and scikit-learn are imported only here."""
