"""fcnet: fully connected neural networks trained in C, as scikit-learn estimators."""

from fcnet._backprop import BackpropResult, backprop, check_gradients
from fcnet._estimators import FCNetClassifier, FCNetRegressor
from fcnet._persist import load, save

__all__ = [
    "BackpropResult",
    "FCNetClassifier",
    "FCNetRegressor",
    "backprop",
    "check_gradients",
    "load",
    "save",
]
__version__ = "0.1.0"
