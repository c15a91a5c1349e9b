"""A fit is bitwise the same whatever the number of OpenMP threads: every
parallel loop owns disjoint outputs and sums in a fixed order."""

import numpy as np
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_info, threadpool_limits

from fcnet import FCNetClassifier, _core


def test_core_follows_threadpool_limits():
    assert any(lib["internal_api"] == "openmp" for lib in threadpool_info())
    with threadpool_limits(limits=1):
        assert _core.max_threads() == 1
    with threadpool_limits(limits=3):
        assert _core.max_threads() == 3


def test_fit_is_bitwise_identical_for_any_thread_count():
    # layers large enough (batch x fan_in x fan_out) for the OpenMP loops to split
    X, y = make_classification(n_samples=600, n_features=64, n_informative=20, n_classes=3,
                               random_state=0)
    fits = []
    for n_threads in [1, 2, 3]:
        with threadpool_limits(limits=n_threads):
            model = FCNetClassifier(hidden_layer_sizes=(200, 130), max_iter=3, random_state=0)
            fits.append(model.fit(X.astype(np.float32), y))
    for other in fits[1:]:
        for mine, reference in zip(other.coefs_ + other.intercepts_,
                                   fits[0].coefs_ + fits[0].intercepts_):
            assert_array_equal(mine, reference)
        assert other.loss_curve_ == fits[0].loss_curve_
