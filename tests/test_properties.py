"""Hypothesis property tests: over shapes, dtypes and parameters, fitting and
predicting never crash and give outputs of the right shape, dtype and range."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fcnet import FCNetClassifier, FCNetRegressor

# batch sizes are drawn past the sample count on purpose: scikit-learn's
# warning that it clips them
pytestmark = pytest.mark.filterwarnings("ignore:Got `batch_size`:UserWarning")

common = dict(
    n_samples=st.integers(2, 40),
    n_features=st.integers(1, 6),
    hidden=st.lists(st.integers(1, 9), max_size=3),
    dtype=st.sampled_from([np.float32, np.float64]),
    activation=st.sampled_from(["identity", "logistic", "tanh", "relu"]),
    solver=st.sampled_from(["sgd", "adam", "lbfgs"]),
    batch_size=st.one_of(st.just("auto"), st.integers(1, 50)),
    seed=st.integers(0, 2**16),
)


def random_features(n_samples, n_features, dtype, seed):
    rng = np.random.default_rng(seed)
    return rng, (3 * rng.standard_normal((n_samples, n_features))).astype(dtype)


@settings(max_examples=60, deadline=None)
@given(n_classes=st.integers(1, 4), multilabel=st.booleans(), **common)
def test_classifier_outputs(n_samples, n_features, hidden, dtype, activation, solver,
                            batch_size, seed, n_classes, multilabel):
    rng, X = random_features(n_samples, n_features, dtype, seed)
    y = rng.integers(0, 2, (n_samples, 3)) if multilabel else rng.integers(0, n_classes, n_samples)
    model = FCNetClassifier(hidden_layer_sizes=tuple(hidden), activation=activation,
                            solver=solver, batch_size=batch_size, max_iter=3, random_state=seed)
    model.fit(X, y)
    proba = model.predict_proba(X)
    assert proba.dtype == dtype
    assert proba.shape == (n_samples, max(2, model.n_outputs_) if not multilabel else 3)
    assert np.all((proba >= 0) & (proba <= 1))
    if not multilabel:
        np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    labels = model.predict(X)
    assert labels.shape == np.shape(y)
    assert set(np.unique(labels)) <= ({0, 1} if multilabel else set(np.unique(y)))


@settings(max_examples=60, deadline=None)
@given(n_outputs=st.integers(1, 3), poisson=st.booleans(), **common)
def test_regressor_outputs(n_samples, n_features, hidden, dtype, activation, solver,
                           batch_size, seed, n_outputs, poisson):
    rng, X = random_features(n_samples, n_features, dtype, seed)
    y = rng.poisson(2.0, (n_samples, n_outputs)).astype(float)
    y = y[:, 0] if n_outputs == 1 else y
    model = FCNetRegressor(loss="poisson" if poisson else "squared_error",
                           hidden_layer_sizes=tuple(hidden), activation=activation,
                           solver=solver, batch_size=batch_size, max_iter=3, random_state=seed)
    try:
        model.fit(X, y)
    except ValueError as error:  # a diverging fit is refused, never a crash
        assert "non-finite parameter weights" in str(error)
        return
    prediction = model.predict(X)
    assert prediction.dtype == dtype
    assert prediction.shape == np.shape(y)
    if poisson:
        assert np.all(prediction >= 0)
