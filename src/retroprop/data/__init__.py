"""Splits, cross-validation, preprocessing, invariant features, batching and augmentation."""

from retroprop.data import augment
from retroprop.data.batches import SAMPLINGS, batch_indices
from retroprop.data.concat import ConcatDataset
from retroprop.data.features import fourier_magnitude
from retroprop.data.loader import DataLoader, Dataset, TensorDataset, default_collate
from retroprop.data.preprocessing import PCA, StandardScaler
from retroprop.data.samplers import Sampler, WeightedRandomSampler
from retroprop.data.split import KFold, StratifiedKFold, train_val_test_split
from retroprop.data.subset import Subset, random_split

__all__ = ["PCA", "SAMPLINGS", "ConcatDataset", "DataLoader", "Dataset", "KFold", "Sampler",
           "StandardScaler", "StratifiedKFold", "Subset", "TensorDataset",
           "WeightedRandomSampler", "augment", "batch_indices", "default_collate",
           "fourier_magnitude", "random_split", "train_val_test_split"]
