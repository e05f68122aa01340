"""Optimizers (Berzal, "En la práctica: Optimización"; Tobón & Aguirre) and schedules."""

from retroprop.optim import lr_scheduler
from retroprop.optim.adagrad import Adagrad
from retroprop.optim.adam import Adam, AdamW
from retroprop.optim.adaptive_gains import AdaptiveGains
from retroprop.optim.bfgs import BFGS
from retroprop.optim.conjugate_gradient import ConjugateGradient
from retroprop.optim.groups import fan_in_groups
from retroprop.optim.lbfgs import LBFGS
from retroprop.optim.levenberg_marquardt import LevenbergMarquardt
from retroprop.optim.lr_scheduler import MomentumSchedule
from retroprop.optim.minimize import MinimizeResult, minimize
from retroprop.optim.newton import Newton
from retroprop.optim.optimizer import Optimizer
from retroprop.optim.registry import OPTIMIZERS, create
from retroprop.optim.rmsprop import RMSprop
from retroprop.optim.rprop import Rprop
from retroprop.optim.sgd import SGD
from retroprop.optim.sgld import SGLD
from retroprop.optim.vsgd import VSGD

__all__ = ["BFGS", "LBFGS", "OPTIMIZERS", "SGD", "SGLD", "VSGD", "Adagrad", "Adam", "AdamW",
           "AdaptiveGains", "ConjugateGradient", "LevenbergMarquardt", "MinimizeResult",
           "MomentumSchedule", "Newton", "Optimizer", "RMSprop", "Rprop", "create",
           "fan_in_groups", "lr_scheduler", "minimize"]
