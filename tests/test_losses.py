"""FCNetRegressor's absolute_error, huber and quantile losses: their values and
slopes against scikit-learn's own loss module, their gradients through whole
networks, and fits that land where the data's quantiles are."""

import io

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn._loss.loss import AbsoluteError, HuberLoss, PinballLoss
from weights import assert_same_weights

import fcnet
from fcnet import FCNetRegressor, _core

RTOL = {np.float32: 1e-6, np.float64: 1e-13}


def oracle(loss_name, parameter):
    """scikit-learn's loss object. Its HuberLoss takes delta as the threshold
    of its loss and gradient (its quantile only sets the delta of an
    intercept-only fit), which is what huber_epsilon is."""
    if loss_name == "huber":
        return HuberLoss(delta=parameter)
    if loss_name == "quantile":
        return PinballLoss(quantile=parameter)
    return AbsoluteError()


LOSSES = [("absolute_error", 0.0), ("huber", 0.7), ("quantile", 0.3), ("quantile", 0.9)]



@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("loss_name, parameter", LOSSES)
def test_loss_and_output_delta_match_scikit_learns_loss_module(dtype, n_outputs, loss_name,
                                                               parameter):
    """The loss averages scikit-learn's per-element loss over outputs, then
    over rows with the sample weights; delta[L] is n times its derivative in
    A: the per-element gradient times the row's weight, over n_outputs."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((40, n_outputs)).astype(dtype)
    Y = rng.standard_normal((40, n_outputs)).astype(dtype)
    weights = rng.uniform(0.2, 3, 40).astype(dtype)
    reference = oracle(loss_name, parameter)
    y64, a64 = Y.astype(np.float64).ravel(), A.astype(np.float64).ravel()
    per_row = reference.loss(y64, a64).reshape(40, n_outputs).mean(axis=1)
    assert_allclose(_core.loss(A, Y, loss_name, None, parameter), per_row.mean(),
                    rtol=RTOL[dtype])
    assert_allclose(_core.loss(A, Y, loss_name, weights, parameter),
                    np.average(per_row, weights=weights), rtol=RTOL[dtype])

    gradient = reference.gradient(y64, a64).reshape(40, n_outputs)
    delta = np.empty_like(A)
    _core.output_delta(delta, A, Y, weights, 0.5, loss_name, parameter)
    assert_allclose(delta, gradient * weights[:, None] * 0.5 / n_outputs, rtol=RTOL[dtype])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_delta_at_the_kinks(dtype):
    """Where an output equals its target the absolute and pinball losses have
    no derivative; their delta is 0 there. Huber's derivative is continuous
    at epsilon."""
    A = np.array([[1.0, 2.0, 3.5]], dtype=dtype)
    Y = np.array([[1.0, 2.0, 3.0]], dtype=dtype)
    delta = np.empty_like(A)
    _core.output_delta(delta, A, Y, None, 1.0, "absolute_error")
    assert_array_equal(delta, np.array([[0, 0, 1 / 3]], dtype=dtype))
    _core.output_delta(delta, A, Y, None, 1.0, "quantile", 0.25)
    assert_array_equal(delta, np.array([[0, 0, 0.25]], dtype=dtype))
    _core.output_delta(delta, A, Y, None, 1.0, "huber", 0.5)
    assert_array_equal(delta, np.array([[0, 0, 0.5 / 3]], dtype=dtype))


def rows_away_from_kinks(model, X, y, margin):
    """The rows whose every output is more than margin from its loss's kink:
    the target itself, or for Huber target +- epsilon."""
    residual = np.abs(model.predict(X) - y).reshape(len(X), -1)
    kink = model.huber_epsilon if model.loss == "huber" else 0.0
    return (np.abs(residual - kink) > margin).all(axis=1)


@pytest.mark.parametrize("n_outputs", [1, 2])
@pytest.mark.parametrize("loss_name, parameter", LOSSES)
def test_check_gradients_away_from_the_kinks(n_outputs, loss_name, parameter):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((60, 3))
    y = X[:, :n_outputs] * 0.8 + rng.standard_normal((60, n_outputs))
    y = y.ravel() if n_outputs == 1 else y
    model = FCNetRegressor(loss=loss_name, huber_epsilon=parameter or 0.1,
                           quantile=parameter or 0.5, hidden_layer_sizes=(5,),
                           activation="tanh", max_iter=5, random_state=0).fit(X, y)
    rows = np.flatnonzero(rows_away_from_kinks(model, X, y, margin=0.05))[:12]
    assert len(rows) == 12
    weights = np.linspace(0.5, 2, 12)
    assert fcnet.check_gradients(model, X[rows], y[rows], weights) < 1e-7


def heteroscedastic(n, seed=0):
    """y = 2x + (0.5 + x) e with e standard exponential: the q-quantile of y
    given x is 2x + (0.5 + x) (-log(1 - q)), and its mean 2x + (0.5 + x)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, n)
    return x[:, None], 2 * x + (0.5 + x) * rng.standard_exponential(n)


def true_quantile(X, q):
    x = X[:, 0]
    return 2 * x + (0.5 + x) * -np.log1p(-q)


FIT = dict(hidden_layer_sizes=(8,), activation="tanh", learning_rate_init=0.01, max_iter=300,
           n_iter_no_change=30, random_state=0)
X_GRID = np.linspace(0.05, 0.95, 19)[:, None]


@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
@pytest.mark.parametrize("loss_name, q", [("absolute_error", 0.5), ("quantile", 0.5),
                                          ("quantile", 0.1), ("quantile", 0.8)])
def test_quantile_and_median_fits_land_on_the_datas_quantiles(solver, loss_name, q):
    """A minimiser of the pinball loss leaves a share q of the targets below
    its predictions (the output bias has no L2 term), and here the fit also
    follows the true conditional quantile (whose spread across y is 1 to 3)."""
    X, y = heteroscedastic(2000)
    model = FCNetRegressor(loss=loss_name, quantile=q, solver=solver, **FIT).fit(X, y)
    assert abs(np.mean(y < model.predict(X)) - q) < 0.025
    deviation = np.abs(model.predict(X_GRID) - true_quantile(X_GRID, q))
    assert deviation.mean() < 0.1 and deviation.max() < 0.2


def test_median_differs_from_mean_on_skewed_data():
    """The same data and seed: squared error finds the conditional mean,
    absolute error the median, 0.3 (0.5 + x) below it."""
    X, y = heteroscedastic(2000)
    mean_fit = FCNetRegressor(loss="squared_error", **FIT).fit(X, y)
    median_fit = FCNetRegressor(loss="absolute_error", **FIT).fit(X, y)
    mean_gap = mean_fit.predict(X_GRID) - true_quantile(X_GRID, 0.5)
    assert_allclose(mean_gap, (1 + np.log(0.5)) * (0.5 + X_GRID[:, 0]), atol=0.12)
    assert np.max(np.abs(median_fit.predict(X_GRID) - true_quantile(X_GRID, 0.5))) < 0.12


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_weighted_multi_output_quantile_fit(dtype):
    """Sample weights tilt the quantile: each output leaves a weighted share q
    of its targets below, not an unweighted one."""
    X, y1 = heteroscedastic(2000, seed=1)
    _, y2 = heteroscedastic(2000, seed=2)
    Y = np.column_stack([y1, -y2])
    weights = np.where(np.arange(2000) % 4 == 0, 5.0, 1.0) * (1 + (y1 > 2))
    q = 0.7
    model = FCNetRegressor(loss="quantile", quantile=q, **FIT)
    model.fit(X.astype(dtype), Y, sample_weight=weights)
    assert model.coefs_[0].dtype == dtype
    below = Y < model.predict(X.astype(dtype))
    weighted_share = np.average(below, axis=0, weights=weights)
    assert_allclose(weighted_share, [q, q], atol=0.025)
    assert np.mean(below[:, 0]) > q + 0.05  # the weights did move the first output


def test_huber_with_a_threshold_beyond_every_residual_is_the_squared_error():
    """Within epsilon Huber's loss is 0.5 r^2 and its slope r, so with an
    epsilon no residual reaches the fit is bitwise the squared error fit."""
    X, y = heteroscedastic(300)
    params = dict(hidden_layer_sizes=(6,), max_iter=20, random_state=0)
    squared = FCNetRegressor(loss="squared_error", **params).fit(X, y)
    huber = FCNetRegressor(loss="huber", huber_epsilon=1e6, **params).fit(X, y)
    assert huber.loss_curve_ == squared.loss_curve_
    assert_same_weights(huber, squared)


def test_huber_resists_outliers():
    """A line with 5% of its targets moved far up: Huber's fit keeps to the
    line, the squared error's is dragged towards the outliers."""
    rng = np.random.default_rng(3)
    X = rng.uniform(-1, 1, (1000, 1))
    y = 3 * X[:, 0] + 0.1 * rng.standard_normal(1000)
    y[rng.permutation(1000)[:50]] += 30
    X_grid = np.linspace(-0.9, 0.9, 10)[:, None]
    errors = {}
    for loss_name in ("squared_error", "huber"):
        model = FCNetRegressor(loss=loss_name, huber_epsilon=0.3,
                               hidden_layer_sizes=(8,), activation="tanh",
                               learning_rate_init=0.01, max_iter=200,
                               random_state=0).fit(X, y)
        errors[loss_name] = np.max(np.abs(model.predict(X_grid) - 3 * X_grid[:, 0]))
    assert errors["huber"] < 0.2 < 1.0 < errors["squared_error"]


@pytest.mark.parametrize("loss_name, parameter", LOSSES[:3])
def test_validation_loss_curve_is_the_loss_on_the_validation_split(loss_name, parameter):
    """At the best epoch the restored model is the one scored: scikit-learn's
    loss of its predictions on the validation split (rebuilt here as the fit
    draws it) is that entry."""
    from sklearn.model_selection import train_test_split

    from fcnet import _network

    X, y = heteroscedastic(400)
    model = FCNetRegressor(loss=loss_name, huber_epsilon=parameter or 0.1,
                           quantile=parameter or 0.5, hidden_layer_sizes=(6,),
                           early_stopping=True, max_iter=15, random_state=0).fit(X, y)
    random_state = np.random.RandomState(0)
    _network.glorot_uniform([1, 6, 1], "relu", random_state, np.float64)
    _, X_val, _, y_val = train_test_split(X, y, random_state=random_state, test_size=0.1)
    best = int(np.argmax(model.validation_scores_))
    expected = oracle(loss_name, parameter)(y_val, model.predict(X_val))
    assert model.validation_loss_curve_[best] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("loss_name", ["absolute_error", "huber", "quantile"])
def test_partial_fit_trains_with_the_loss(loss_name):
    """One partial_fit is one epoch of fit, with the same loss."""
    X, y = heteroscedastic(400)
    params = dict(loss=loss_name, hidden_layer_sizes=(6,), shuffle=False, random_state=0)
    incremental = FCNetRegressor(**params)
    for _ in range(3):
        incremental.partial_fit(X, y)
    whole = FCNetRegressor(max_iter=3, **params).fit(X, y)
    assert incremental.loss_curve_ == whole.loss_curve_
    assert_array_equal(incremental.predict(X), whole.predict(X))


@pytest.mark.parametrize("params, name", [
    ({"loss": "mae"}, "loss"),
    ({"loss": "huber", "huber_epsilon": 0.0}, "huber_epsilon"),
    ({"loss": "huber", "huber_epsilon": -1.0}, "huber_epsilon"),
    ({"loss": "quantile", "quantile": 0.0}, "quantile"),
    ({"loss": "quantile", "quantile": 1.0}, "quantile"),
    ({"loss": "quantile", "quantile": "median"}, "quantile"),
])
def test_bad_loss_parameters_are_refused(params, name):
    X, y = heteroscedastic(20)
    with pytest.raises(ValueError, match=f"'{name}' parameter"):
        FCNetRegressor(**params).fit(X, y)


@pytest.mark.parametrize("loss_name", ["huber", "quantile"])
def test_save_load_and_onnx_keep_the_loss(loss_name):
    """The loss and its parameter survive fcnet.save/load (training goes on
    identically), and the ONNX model predicts what fcnet predicts: the
    losses change training only."""
    import onnxruntime

    X, y = heteroscedastic(200)
    X = X.astype(np.float32)
    model = FCNetRegressor(loss=loss_name, huber_epsilon=0.4, quantile=0.3,
                           hidden_layer_sizes=(6,), max_iter=10, random_state=0).fit(X, y)
    buffer = io.BytesIO()
    fcnet.save(model, buffer)
    loaded = fcnet.load(io.BytesIO(buffer.getvalue()))
    assert loaded.get_params() == model.get_params()
    for estimator in (model, loaded):
        estimator.partial_fit(X, y)
    assert_array_equal(loaded.predict(X), model.predict(X))

    session = onnxruntime.InferenceSession(fcnet.to_onnx(model, X[:1]).SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    outputs = session.run(None, {session.get_inputs()[0].name: X})
    assert_allclose(outputs[0].ravel(), model.predict(X), rtol=1e-5, atol=1e-6)
