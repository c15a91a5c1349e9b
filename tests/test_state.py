"""What an estimator's state promises: predict always answers with the current
coefs_ and intercepts_; a fit or partial_fit that raises leaves no trace; the
per-epoch records of a fit agree, even after Ctrl-C; one estimator trains one
fit at a time; float32 training refuses targets and weights it cannot hold."""

import copy
import io
import pickle
import warnings

import joblib
import matplotlib
import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning

import fcnet
from fcnet import FCNetRegressor

matplotlib.use("Agg")


def quiet_fit(model, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **fit_params)


@pytest.fixture
def regression():
    X, y = make_regression(n_samples=200, n_features=5, random_state=0)
    return X, y / 100


# ---- predict never answers with stale weights ----

def pickled(model):
    return pickle.loads(pickle.dumps(model))


def joblib_round_trip(model):
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def fcnet_round_trip(model):
    buffer = io.BytesIO()
    fcnet.save(model, buffer)
    buffer.seek(0)
    return fcnet.load(buffer)


def assigned_copies(model):
    model.coefs_ = [c.copy() for c in model.coefs_]
    model.intercepts_ = [b.copy() for b in model.intercepts_]
    return model


@pytest.mark.parametrize("x_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("model_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("obtained", [lambda m: m, copy.deepcopy, pickled, joblib_round_trip,
                                      fcnet_round_trip, assigned_copies],
                         ids=["fitted", "deepcopy", "pickle", "joblib", "fcnet.save",
                              "assigned"])
def test_predict_sees_in_place_edits_of_the_weights(regression, obtained, model_dtype, x_dtype):
    X, y = regression
    model = obtained(quiet_fit(FCNetRegressor(hidden_layer_sizes=(6,), max_iter=3,
                                              random_state=0), X.astype(model_dtype), y))
    X = X.astype(x_dtype)
    before = model.predict(X)  # fills whatever predict keeps between calls
    model.intercepts_[-1][...] += 1000.0
    assert_allclose(model.predict(X) - before, 1000.0, atol=1e-3)
    model.coefs_[-1][...] = 0.0
    assert_allclose(model.predict(X), model.intercepts_[-1][0], rtol=1e-6)


def test_predict_sees_a_replaced_layer(regression):
    X, y = regression
    model = quiet_fit(FCNetRegressor(hidden_layer_sizes=(6,), max_iter=3, random_state=0), X, y)
    model.predict(X)
    model.intercepts_[-1] = model.intercepts_[-1] + 1000.0
    reference = quiet_fit(FCNetRegressor(hidden_layer_sizes=(6,), max_iter=3, random_state=0),
                          X, y)
    assert_allclose(model.predict(X), reference.predict(X) + 1000.0)


def test_unpickled_weights_are_views_of_one_block_again(regression):
    """So that predict needs no packed copy of them after pickle, deepcopy or joblib."""
    X, y = regression
    model = pickled(quiet_fit(FCNetRegressor(hidden_layer_sizes=(6, 4), max_iter=3,
                                             random_state=0), X, y))
    block = model.coefs_[0].base
    assert block is not None and all(a.base is block for a in model.coefs_ + model.intercepts_)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predict_on_large_finite_input_warns_of_nothing(dtype):
    X, y = make_regression(n_samples=50, n_features=4, random_state=0)
    model = quiet_fit(FCNetRegressor(hidden_layer_sizes=(3,), max_iter=2, random_state=0),
                      X.astype(dtype), y / 100)
    large = np.full((3, 4), np.finfo(dtype).max / 2, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert model.predict(large).shape == (3,)
