"""The problems on which fcnet is compared with the installed scikit-learn
(tests/test_parity.py, tests/test_parity_options.py): each a data set, the
two estimators and a hidden activation. From the same random_state both draw
the same initial weights and minibatches, so they follow the same trajectory
up to rounding."""

from collections.abc import Callable
from typing import NamedTuple

from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    make_multilabel_classification,
    make_regression,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import StandardScaler

from fcnet import FCNetClassifier, FCNetRegressor


def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16, y


def breast_cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def multilabel():
    return make_multilabel_classification(n_samples=300, n_features=12, n_classes=4,
                                          random_state=0)


def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return StandardScaler().fit_transform(X), y / 100


def multi_output_regression():
    X, y = make_regression(n_samples=400, n_features=10, n_targets=3, noise=1.0, random_state=0)
    return X, y / 100


class Problem(NamedTuple):
    dataset: Callable
    estimators: tuple  # (scikit-learn's class, fcnet's)
    activation: str  # of the hidden layers


DIGITS = Problem(digits, (MLPClassifier, FCNetClassifier), "relu")
BREAST_CANCER = Problem(breast_cancer, (MLPClassifier, FCNetClassifier), "logistic")
MULTILABEL = Problem(multilabel, (MLPClassifier, FCNetClassifier), "tanh")
DIABETES = Problem(diabetes, (MLPRegressor, FCNetRegressor), "relu")
MULTI_OUTPUT_REGRESSION = Problem(multi_output_regression, (MLPRegressor, FCNetRegressor), "tanh")
PROBLEMS = [DIGITS, BREAST_CANCER, MULTILABEL, DIABETES, MULTI_OUTPUT_REGRESSION]
# scikit-learn's lbfgs follows another gradient than that of the loss it
# reports on a multi-output regression (test_parity_options.py says how)
LBFGS_PROBLEMS = [p for p in PROBLEMS if p is not MULTI_OUTPUT_REGRESSION]


def problem_id(problem):
    return problem.dataset.__name__


def fit_both(problem, solver, dtype, **params):
    """scikit-learn's fit and fcnet's of the problem, and the X they saw."""
    sklearn_class, fcnet_class = problem.estimators
    X, y = problem.dataset()
    X = X.astype(dtype)
    params = dict(hidden_layer_sizes=(32, 16), activation=problem.activation, random_state=0,
                  max_iter=10, batch_size=64, learning_rate_init=0.01) | solver | params
    return sklearn_class(**params).fit(X, y), fcnet_class(**params).fit(X, y), X


def params_of(model):
    return [*model.coefs_, *model.intercepts_]
