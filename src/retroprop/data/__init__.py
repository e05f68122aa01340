"""Splits, cross-validation, preprocessing, batching and augmentation."""

from retroprop.data import augment
from retroprop.data.batches import SAMPLINGS, batch_indices
from retroprop.data.loader import DataLoader, Dataset, TensorDataset
from retroprop.data.preprocessing import PCA, StandardScaler
from retroprop.data.split import KFold, StratifiedKFold, train_val_test_split

__all__ = ["PCA", "SAMPLINGS", "DataLoader", "Dataset", "KFold", "StandardScaler",
           "StratifiedKFold", "TensorDataset", "augment", "batch_indices",
           "train_val_test_split"]
