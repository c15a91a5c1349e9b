"""A fit is bitwise the same whatever the number of OpenMP threads: every
parallel loop owns disjoint outputs and sums in a fixed order."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_info, threadpool_limits

from fcnet import FCNetClassifier, FCNetRegressor, _core


def test_core_follows_threadpool_limits():
    assert any(lib["internal_api"] == "openmp" for lib in threadpool_info())
    with threadpool_limits(limits=1):
        assert _core.max_threads() == 1
    with threadpool_limits(limits=3):
        assert _core.max_threads() == 3


@pytest.mark.parametrize("model", [
    FCNetClassifier(),
    FCNetClassifier(dropout=0.3),
    FCNetRegressor(loss="huber", huber_epsilon=0.5),
    FCNetRegressor(loss="quantile", quantile=0.8, dropout=0.2),
], ids=["default", "dropout", "huber", "quantile-dropout"])
def test_fit_is_bitwise_identical_for_any_thread_count(model):
    # layers large enough (batch x fan_in x fan_out) for the OpenMP loops to split
    X, y = make_classification(n_samples=600, n_features=64, n_informative=20, n_classes=3,
                               random_state=0)
    if isinstance(model, FCNetRegressor):
        y = X[:, :2] @ [1.0, -2.0] + y
    fits = []
    for n_threads in [1, 2, 3]:
        with threadpool_limits(limits=n_threads):
            fit = clone(model).set_params(hidden_layer_sizes=(200, 130), max_iter=3,
                                          random_state=0)
            fits.append(fit.fit(X.astype(np.float32), y))
    for other in fits[1:]:
        for mine, reference in zip(other.coefs_ + other.intercepts_,
                                   fits[0].coefs_ + fits[0].intercepts_):
            assert_array_equal(mine, reference)
        assert other.loss_curve_ == fits[0].loss_curve_
