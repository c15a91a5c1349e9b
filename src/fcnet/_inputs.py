"""X, y, sample weights and hidden layer sizes checked and converted as the C
core takes them: X a C-contiguous float array or a CSR matrix, y the target
matrix Y of X's dtype, sample weights (times class weights) of X's dtype.

Input that needs none of scikit-learn's validate_data work (a plain finite
float array of the fitted width) skips it: its fixed cost is most of a
single-row predict or a small partial_fit.
"""

import math
from numbers import Integral
from typing import NamedTuple

import numpy as np
import scipy.sparse
from sklearn.base import is_classifier
from sklearn.utils import column_or_1d
from sklearn.utils.validation import validate_data

from fcnet import _labels
from fcnet._sklearn_private import check_sample_weight

# float32's largest value, and the largest whose square it holds (targets
# beyond it overflow the squared error and adam's second moment)
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_FLOAT32_SQUARE_LIMIT = math.sqrt(_FLOAT32_MAX)


class TrainingSet(NamedTuple):
    """What a fit trains on, all of one dtype (float32 or float64)."""

    X: object  # (n_samples, n_features): C-contiguous array or CSR matrix
    Y: np.ndarray  # (n_samples, n_outputs): the target matrix
    sample_weight: np.ndarray | None  # (n_samples,)


def hidden_layers(hidden_layer_sizes):
    """The hidden_layer_sizes parameter, an int or a sequence, as a list."""
    if hasattr(hidden_layer_sizes, "__iter__"):
        return list(hidden_layer_sizes)
    return [hidden_layer_sizes]


def checked_hidden_layers(hidden_layer_sizes):
    """hidden_layer_sizes as a list of ints, each > 0, or scikit-learn's error."""
    sizes = hidden_layers(hidden_layer_sizes)
    if not all(isinstance(s, Integral) for s in sizes):
        raise ValueError(f"hidden_layer_sizes must be integers, got {sizes}.")
    if np.any(np.array(sizes) <= 0):
        raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
    return [int(s) for s in sizes]


def training_set(estimator, X, y, sample_weight, incremental, reset):
    """X, y and sample_weight of a fit as the core trains on them; reset: a
    first pass, which learns the number of features (and their names)."""
    if reset or not (is_plain_input(estimator, X) and _is_plain_target(y, X.shape[0])):
        X, y = validate_data(
            estimator,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=not is_classifier(estimator),
            dtype=(np.float64, np.float32),
            order="C",
            reset=reset,
        )
    if scipy.sparse.issparse(X):
        X = X.tocsr()
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y, warn=True)
    Y = estimator._target_matrix(y, learn_labels=reset and not incremental)
    if sample_weight is not None:
        sample_weight = check_sample_weight(sample_weight, X)
    # class_weight is a classifier's parameter (is_classifier costs microseconds)
    class_weight = getattr(estimator, "class_weight", None)
    sample_weight = _labels.with_class_weights(sample_weight, class_weight, y, incremental)
    if sample_weight is not None:
        _check_weight_sum(sample_weight, X.dtype)
        sample_weight = sample_weight.astype(X.dtype, copy=False)
    if X.dtype == np.float32:
        _check_float32_targets(Y)
    return TrainingSet(X, np.ascontiguousarray(Y, dtype=X.dtype), sample_weight)


def validated_X(estimator, X):
    """X to predict from, as a C-contiguous float array or a CSR matrix."""
    X = validate_data(estimator, X, reset=False, accept_sparse=["csr", "csc"],
                      dtype=(np.float64, np.float32), order="C")
    return X.tocsr() if scipy.sparse.issparse(X) else X


def is_plain_input(estimator, X):
    """Whether X needs none of validate_data's work: a C-contiguous float
    array of the fitted width, finite, and no feature names to compare.
    Checked in a few microseconds, this makes single-row predictions cheap."""
    return (
        type(X) is np.ndarray
        and X.ndim == 2
        and X.dtype in (np.float32, np.float64)
        and X.flags.c_contiguous
        and X.shape[0] > 0
        and X.shape[1] == estimator.n_features_in_
        and not hasattr(estimator, "feature_names_in_")
        # a NaN or inf anywhere makes it so; so do values beyond ~1e19
        # (float32), which validate_data then checks. BLAS raises no
        # overflow warning, unlike X.sum().
        and math.isfinite(np.vdot(X, X))
    )


def _is_plain_target(y, n_samples):
    """Whether y needs none of validate_data's work, next to a plain X: a
    numeric array of n_samples finite rows, 1-d or of several columns (one
    column is raveled with a warning there). Lets partial_fit on a small block
    skip validate_data's fixed cost."""
    return (
        type(y) is np.ndarray
        and (y.ndim == 1 or (y.ndim == 2 and y.shape[1] > 1))
        and y.shape[0] == n_samples
        and y.dtype.kind in "biuf"
        and (y.dtype.kind != "f" or math.isfinite(np.vdot(y, y)))
    )


def _check_weight_sum(sample_weight, dtype):
    """The loss is a weighted mean: its weights must have a sum, non-zero and
    (with float32 X, which trains in float32) within float32's range."""
    total = float(sample_weight.sum(dtype=np.float64))
    if total == 0:
        raise ValueError("Weights sum to zero, can't be normalized: the loss is the mean "
                         "weighted by sample_weight.")
    if dtype == np.float32 and abs(total) > _FLOAT32_MAX:
        raise ValueError(
            f"sample_weight sums to {total:.3g}, more than float32 holds: float32 X trains "
            "in float32. Pass X as float64, or divide sample_weight and alpha by one "
            "constant (which trains the same model)."
        )


def _check_float32_targets(Y):
    """Targets float32 training cannot hold, refused before they overflow."""
    largest = max(float(Y.max()), -float(Y.min()))
    if largest > _FLOAT32_SQUARE_LIMIT:
        raise ValueError(
            f"y has values as large as {largest:.3g}: float32 X trains in float32, where "
            f"the squares of targets beyond {_FLOAT32_SQUARE_LIMIT:.3g} (the squared error, "
            "adam's moments) overflow. Pass X as float64, or scale y (e.g. "
            "sklearn.compose.TransformedTargetRegressor with a StandardScaler)."
        )
