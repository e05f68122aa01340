"""Callbacks: hooks into ``Trainer.fit`` with Keras's names."""

from retroprop.callbacks.base import Callback
from retroprop.callbacks.csv_logger import CSVLogger
from retroprop.callbacks.early_stopping import EarlyStopping
from retroprop.callbacks.gradient_monitor import GradientMonitor
from retroprop.callbacks.history import History
from retroprop.callbacks.model_checkpoint import ModelCheckpoint
from retroprop.callbacks.posterior_samples import PosteriorSamples
from retroprop.callbacks.progress import ProgressBar
from retroprop.callbacks.reduce_lr import ReduceLROnPlateau
from retroprop.callbacks.scheduler import LearningRateScheduler
from retroprop.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["CSVLogger", "Callback", "EarlyStopping", "GradientMonitor", "History",
           "LearningRateScheduler", "ModelCheckpoint", "PosteriorSamples", "ProgressBar",
           "ReduceLROnPlateau", "TerminateOnNaN"]
