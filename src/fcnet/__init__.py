"""fcnet: fully connected neural networks trained in C, as scikit-learn estimators."""

from fcnet._backprop import BackpropResult, backprop, check_gradients
from fcnet._estimators import FCNetClassifier, FCNetRegressor, MLPClassifier, MLPRegressor
from fcnet._onnx import to_onnx
from fcnet._persist import load, save
from fcnet._plot import LossCurveDisplay

__all__ = [
    "BackpropResult",
    "FCNetClassifier",
    "FCNetRegressor",
    "LossCurveDisplay",
    "MLPClassifier",
    "MLPRegressor",
    "backprop",
    "check_gradients",
    "load",
    "save",
    "to_onnx",
]
__version__ = "0.1.0"
