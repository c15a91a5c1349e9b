"""fcnet: fully connected neural networks trained in C, as scikit-learn estimators."""

from fcnet._estimators import FCNetClassifier, FCNetRegressor

__all__ = ["FCNetClassifier", "FCNetRegressor"]
__version__ = "0.1.0"
