"""warm_start and partial_fit, step for step against scikit-learn."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_regression
from sklearn.neural_network import MLPClassifier, MLPRegressor
from weights import assert_same_weights

from fcnet import FCNetClassifier, FCNetRegressor

PARAMS = dict(hidden_layer_sizes=(16,), random_state=0, learning_rate_init=0.01)


def assert_same_training_state(ours, theirs):
    """The same epoch, sample and no-improvement counts; loss curve and weights to rounding."""
    for name in ["n_iter_", "t_", "_no_improvement_count"]:
        assert getattr(ours, name) == getattr(theirs, name), name
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-8)
    for mine, reference in zip(ours.coefs_ + ours.intercepts_,
                               theirs.coefs_ + theirs.intercepts_):
        assert_allclose(mine, reference, rtol=1e-8)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_warm_start_continues_as_scikit_learn(digits, solver):
    X, y = digits
    models = []
    for cls in (MLPClassifier, FCNetClassifier):
        model = cls(warm_start=True, max_iter=4, solver=solver, **PARAMS)
        model.fit(X, y).fit(X[:1000], y[:1000])
        models.append(model)
    theirs, ours = models
    assert len(ours.loss_curve_) == 8 and ours.n_iter_ == 4
    assert_same_training_state(ours, theirs)


def test_warm_start_refuses_a_changed_class_set(digits):
    X, y = digits
    model = FCNetClassifier(warm_start=True, max_iter=2, **PARAMS)
    model.fit(X, y)
    with pytest.raises(ValueError, match="warm_start can only be used where `y` has the same"):
        model.fit(X[y < 5], y[y < 5])


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_sequence_as_scikit_learn(digits, solver):
    """Three calls; the first batch lacks classes 8 and 9, which `classes` announces."""
    X, y = digits
    batches = [y < 8, slice(600, 1200), slice(1200, None)]
    models = []
    for cls in (MLPClassifier, FCNetClassifier):
        model = cls(solver=solver, **PARAMS)
        model.partial_fit(X[batches[0]], y[batches[0]], classes=np.arange(10))
        for batch in batches[1:]:
            model.partial_fit(X[batch], y[batch])
        models.append(model)
    theirs, ours = models
    assert ours.n_iter_ == 1 and len(ours.loss_curve_) == 3
    assert_same_training_state(ours, theirs)
    assert_array_equal(ours.predict(X), theirs.predict(X))


def test_regressor_partial_fit_as_scikit_learn():
    X, y = make_regression(n_samples=300, n_features=6, n_targets=2, random_state=0)
    y /= 100
    models = []
    for cls in (MLPRegressor, FCNetRegressor):
        model = cls(**PARAMS)
        for start in range(0, 300, 100):
            model.partial_fit(X[start : start + 100], y[start : start + 100])
        models.append(model)
    assert_same_training_state(*models[::-1])


def test_partial_fit_errors_as_scikit_learn(digits):
    X, y = digits
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        FCNetClassifier().partial_fit(X, y)
    model = FCNetClassifier(**PARAMS).partial_fit(X[y < 5], y[y < 5], classes=np.arange(5))
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        model.partial_fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.partial_fit(X[:10, :10], y[:10] % 5)
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'"):
        FCNetClassifier(solver="lbfgs").partial_fit
    regressor = FCNetRegressor(**PARAMS).partial_fit(X, y.astype(float))
    with pytest.raises(ValueError, match="layer sizes"):
        regressor.partial_fit(X, np.c_[y, y].astype(float))


def test_diverging_partial_fit_keeps_the_previous_weights():
    X, y = make_regression(n_samples=100, n_features=5, random_state=0)
    model = FCNetRegressor(activation="identity", solver="sgd", random_state=0)
    model.partial_fit(X, y / 100)
    before = [a.copy() for a in model.coefs_ + model.intercepts_]
    with pytest.raises(ValueError, match="non-finite parameter weights"):
        model.partial_fit(X * 1e200, y)
    for kept, original in zip(model.coefs_ + model.intercepts_, before):
        assert_array_equal(kept, original)
    assert np.isfinite(model.predict(X)).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_partial_fit_on_plain_arrays_equals_the_validated_path(dtype):
    """Later partial_fit calls on plain arrays skip validate_data (and the
    parameter validation, as scikit-learn's do); a Fortran-ordered X and a
    list y go through it. The two must train the same, and bad values still
    get scikit-learn's errors."""
    X, y = make_regression(n_samples=300, n_features=6, random_state=0)
    X, y = X.astype(dtype), (y / y.std()).astype(dtype)
    plain = FCNetRegressor(**PARAMS).partial_fit(X, y)
    validated = FCNetRegressor(**PARAMS).partial_fit(X, y)
    for _ in range(3):
        plain.partial_fit(X, y)
        validated.partial_fit(np.asfortranarray(X), y.tolist())
    assert_same_weights(plain, validated)
    bad_y, bad_X = y.copy(), X.copy()
    bad_y[3], bad_X[5, 1] = np.nan, np.inf
    with pytest.raises(ValueError, match="NaN"):
        plain.partial_fit(X, bad_y)
    with pytest.raises(ValueError, match="infinity"):
        plain.partial_fit(bad_X, y)
    with pytest.raises(ValueError, match="features"):
        plain.partial_fit(X[:, :4], y)


def test_an_int_random_state_reseeds_every_fit():
    """The RandomState kept for an int random_state is reseeded: the same
    seed gives the same fits, one after another and after a fit with another."""
    X, y = make_regression(n_samples=200, n_features=5, random_state=1)
    model = FCNetRegressor(hidden_layer_sizes=(8,), max_iter=3, random_state=np.int64(7))
    first = model.fit(X, y).coefs_[0].copy()
    model.set_params(random_state=8).fit(X, y)
    again = model.set_params(random_state=np.int64(7)).fit(X, y).coefs_[0]
    assert_array_equal(first, again)
