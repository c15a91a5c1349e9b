"""Inverted dropout on the hidden layers: its masks, its backward pass, its
reproducibility, and that it regularises."""

import io

import numpy as np
import pytest
import reference_mlp as ref
import scipy.sparse
from numpy.testing import assert_allclose, assert_array_equal
from weights import assert_same_weights

import fcnet
from fcnet import FCNetClassifier, FCNetRegressor, _core


def mask(rows, cols, key, layer, rate, dtype=np.float64):
    M = np.empty((rows, cols), dtype=dtype)
    _core.dropout_mask(M, key, layer, rate)
    return M


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rate", [0.1, 0.5, 0.8])
def test_masks_drop_the_rate_and_scale_the_rest(dtype, rate):
    """Each unit is 0 with probability rate, else 1 / (1 - rate); rows, units,
    layers and keys draw independently; the same key draws the same mask."""
    M = mask(1000, 100, key=12345, layer=1, rate=rate, dtype=dtype)
    assert set(np.unique(M)) == {0, dtype(1 / (1 - rate))}
    dropped = M == 0
    # 100,000 draws: the share's standard deviation is below 0.0016
    assert abs(dropped.mean() - rate) < 0.01
    assert np.all(np.abs(dropped.mean(axis=0) - rate) < 0.2)  # 1,000 rows per unit
    assert np.all(np.abs(dropped.mean(axis=1) - rate) < 0.25)  # 100 units per row
    assert_array_equal(mask(1000, 100, 12345, 1, rate, dtype), M)
    for other in (mask(1000, 100, 12346, 1, rate), mask(1000, 100, 12345, 2, rate)):
        both = np.mean(dropped & (other == 0))  # independent: rate^2
        assert abs(both - rate**2) < 0.01
    shifted = np.mean(dropped[1:] & dropped[:-1])  # neighbouring rows, too
    assert abs(shifted - rate**2) < 0.01


def test_mask_of_rate_zero_keeps_everything():
    assert_array_equal(mask(7, 9, key=0, layer=1, rate=0.0), np.ones((7, 9)))


@pytest.fixture
def noisy_linear_regression():
    """40 samples of 4 features and a linear target with noise."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 4))
    return X, X[:, 0] - 0.5 * X[:, 1] + 0.1 * rng.standard_normal(40)


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu"])
def test_backprop_shows_the_masks_and_matches_the_reference(noisy_linear_regression, activation):
    X, y = noisy_linear_regression
    model = FCNetRegressor(hidden_layer_sizes=(6, 5), activation=activation,
                           dropout=0.4, alpha=0.01, max_iter=5, random_state=0).fit(X, y)
    result = fcnet.backprop(model, X[:15], y[:15], dropout_seed=7)
    assert result.mask[0] is None and result.mask[3] is None
    for l in (1, 2):
        assert_array_equal(result.mask[l], mask(15, model.coefs_[l - 1].shape[1], 7, l, 0.4))
        assert_allclose(result.A[l], ref.f(activation, result.Z[l]) * result.mask[l], rtol=1e-12)
    ref.assert_backprop_matches(result, ref.backprop(model.coefs_, model.intercepts_, X[:15],
                                                     y[:15, None], activation, "identity",
                                                     "squared_error", 0.01, result.mask))


def test_backprop_without_a_seed_is_the_pass_without_dropout(noisy_linear_regression):
    X, y = noisy_linear_regression
    params = dict(hidden_layer_sizes=(6,), activation="tanh", max_iter=5, random_state=0)
    model = FCNetRegressor(dropout=0.4, **params).fit(X, y)
    plain = FCNetRegressor(**params).fit(X, y).set_params(max_iter=1)
    plain.coefs_, plain.intercepts_ = model.coefs_, model.intercepts_
    with_dropout, without = fcnet.backprop(model, X, y), fcnet.backprop(plain, X, y)
    assert with_dropout.mask == [None, None, None]
    assert with_dropout.loss == without.loss
    assert_array_equal(with_dropout.dW[1], without.dW[1])
    assert_allclose(model.predict(X), ref.forward(model.coefs_, model.intercepts_, X, "tanh",
                                                  "identity")[1][-1].ravel(), rtol=1e-12)


@pytest.mark.parametrize("activation", ["logistic", "tanh"])
@pytest.mark.parametrize("estimator", ["classifier", "regressor"])
def test_check_gradients_holds_for_a_fixed_mask(activation, estimator, iris_standardized):
    X, y = iris_standardized
    if estimator == "classifier":
        model = FCNetClassifier(hidden_layer_sizes=(5, 4), activation=activation, dropout=0.3,
                                max_iter=5, random_state=0)
    else:
        model, y = FCNetRegressor(hidden_layer_sizes=(5, 4), activation=activation,
                                  dropout=0.3, max_iter=5, random_state=0), X[:, 3]
        X = X[:, :3]
    model.fit(X, y)
    assert fcnet.check_gradients(model, X[::10], y[::10], dropout_seed=3) < 1e-7
    kept = fcnet.backprop(model, X[::10], y[::10], dropout_seed=3).mask
    assert 0 < np.mean(kept[1] == 0) < 1  # some units were dropped, not all


def test_backprop_refuses_a_seed_without_dropout_or_out_of_range(noisy_linear_regression):
    X, y = noisy_linear_regression
    model = FCNetRegressor(hidden_layer_sizes=(3,), max_iter=2).fit(X, y)
    with pytest.raises(ValueError, match="dropout > 0"):
        fcnet.backprop(model, X, y, dropout_seed=0)
    model.set_params(dropout=0.5)
    for seed in (-1, 2**64, 1.5):
        with pytest.raises(ValueError, match="dropout_seed must be"):
            fcnet.check_gradients(model, X, y, dropout_seed=seed)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fit_with_dropout_is_reproducible_and_follows_random_state(noisy_linear_regression, solver,
                                                                   dtype):
    X, y = noisy_linear_regression
    X = X.astype(dtype)

    def fit(**params):
        return FCNetRegressor(hidden_layer_sizes=(8, 8), solver=solver, max_iter=10,
                              **params).fit(X, y)

    first, again = fit(dropout=0.3, random_state=0), fit(dropout=0.3, random_state=0)
    assert first.coefs_[0].dtype == dtype
    assert first.loss_curve_ == again.loss_curve_
    assert_same_weights(again, first)
    for other in (fit(dropout=0.3, random_state=1), fit(dropout=0.0, random_state=0)):
        assert not np.array_equal(other.coefs_[1], first.coefs_[1])


def test_each_epoch_and_partial_fit_call_draws_new_masks(noisy_linear_regression, monkeypatch):
    """The masks of an epoch are keyed by the call's dropout seed and by the
    samples seen before it (t_): no two epochs share them, across partial_fit
    calls either, though an int random_state draws the same seed each call."""
    X, y = noisy_linear_regression
    keys, train_epoch = [], _core.train_epoch

    def recording(*args):
        keys.append(args[-2:])  # dropout_seed, epoch
        return train_epoch(*args)

    monkeypatch.setattr(_core, "train_epoch", recording)
    model = FCNetRegressor(hidden_layer_sizes=(4,), dropout=0.2, random_state=0)
    model.set_params(max_iter=3).fit(X, y)
    for _ in range(2):
        model.partial_fit(X, y)
    seeds, epochs = zip(*keys)
    assert len(set(seeds[:3])) == 1 and seeds[3] == seeds[4]
    assert list(epochs) == [0, 40, 80, 120, 160]


def test_sparse_input_with_dropout_matches_dense(noisy_linear_regression):
    X, y = noisy_linear_regression
    X[np.abs(X) < 0.7] = 0
    params = dict(hidden_layer_sizes=(8,), dropout=0.5, max_iter=10, random_state=0)
    dense = FCNetRegressor(**params).fit(X, y)
    sparse = FCNetRegressor(**params).fit(scipy.sparse.csr_matrix(X), y)
    for mine, reference in zip(sparse.coefs_ + sparse.intercepts_,
                               dense.coefs_ + dense.intercepts_):
        assert_allclose(mine, reference, rtol=1e-10, atol=1e-12)


def test_dropout_reduces_overfitting():
    """100 noisy samples of a linear target with 20 features: without dropout
    the network learns the noise (training R^2 near 1); with dropout 0.5 and
    the same seed and epochs it generalises better."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1100, 20))
    y = X[:, :5].sum(axis=1) + 1.5 * rng.standard_normal(1100)
    X_train, y_train, X_test, y_test = X[:100], y[:100], X[100:], y[100:]
    scores = {}
    for dropout in (0.0, 0.5):
        model = FCNetRegressor(hidden_layer_sizes=(64,), dropout=dropout, alpha=0.0,
                               max_iter=400, n_iter_no_change=np.inf,
                               random_state=0).fit(X_train, y_train)
        scores[dropout] = model.score(X_train, y_train), model.score(X_test, y_test)
    assert scores[0.0][0] > 0.99 and scores[0.5][0] < scores[0.0][0]
    assert scores[0.5][1] > scores[0.0][1] + 0.05


def test_dropout_needs_a_stochastic_solver(noisy_linear_regression):
    X, y = noisy_linear_regression
    with pytest.raises(ValueError, match="dropout needs a stochastic solver"):
        FCNetRegressor(solver="lbfgs", dropout=0.1).fit(X, y)


@pytest.mark.parametrize("cls", [FCNetClassifier, FCNetRegressor])
@pytest.mark.parametrize("dropout", [-0.1, 1.0, 1.5, "half"])
def test_bad_dropout_is_refused(cls, dropout, iris):
    X, y = iris
    with pytest.raises(ValueError, match="'dropout' parameter"):
        cls(dropout=dropout).fit(X, y)


def test_save_load_keeps_dropout_and_partial_fit_continues_identically(iris):
    import onnxruntime

    X, y = iris
    X = X.astype(np.float32)
    model = FCNetClassifier(hidden_layer_sizes=(8,), dropout=0.25, max_iter=5,
                            random_state=0).fit(X, y)
    buffer = io.BytesIO()
    fcnet.save(model, buffer)
    loaded = fcnet.load(io.BytesIO(buffer.getvalue()))
    assert loaded.dropout == 0.25
    for estimator in (model, loaded):
        estimator.partial_fit(X, y)
    assert loaded.loss_curve_ == model.loss_curve_
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))

    # predictions use no mask: ONNX's network is the same
    onnx_model = fcnet.to_onnx(model, X[:1], options={"zipmap": False})
    session = onnxruntime.InferenceSession(onnx_model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    probabilities = session.run(None, {session.get_inputs()[0].name: X})[1]
    assert_allclose(probabilities, model.predict_proba(X), rtol=1e-5, atol=1e-7)
