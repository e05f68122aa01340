"""Splits, cross-validation, preprocessing and batching."""

from retroprop.data.batches import SAMPLINGS, batch_indices
from retroprop.data.preprocessing import PCA, StandardScaler
from retroprop.data.split import KFold, train_val_test_split

__all__ = ["PCA", "SAMPLINGS", "KFold", "StandardScaler", "batch_indices",
           "train_val_test_split"]
