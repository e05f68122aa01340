"""Splits, cross-validation, preprocessing, batching and augmentation."""

from retroprop.data import augment
from retroprop.data.batches import SAMPLINGS, batch_indices
from retroprop.data.preprocessing import PCA, StandardScaler
from retroprop.data.split import KFold, StratifiedKFold, train_val_test_split

__all__ = ["PCA", "SAMPLINGS", "KFold", "StandardScaler", "StratifiedKFold", "augment",
           "batch_indices", "train_val_test_split"]
