"""fcnet.backprop and fcnet.check_gradients on fitted estimators, against
the NumPy reference."""

import numpy as np
import pytest
import reference_mlp as ref
from numpy.testing import assert_allclose
from sklearn.datasets import make_regression

import fcnet


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu"])
def test_backprop_of_a_classifier_matches_the_reference(activation, iris):
    X, y = iris
    model = fcnet.FCNetClassifier(hidden_layer_sizes=(5, 4), activation=activation,
                                  alpha=0.01, max_iter=5, random_state=0).fit(X, y)
    batch = slice(10, 140, 7)
    result = fcnet.backprop(model, X[batch], y[batch])
    Y = np.eye(3)[y[batch]]
    ref.assert_backprop_matches(result, ref.backprop(model.coefs_, model.intercepts_, X[batch],
                                                     Y, activation, "softmax", "log_loss", 0.01))
    assert result.Z[0] is None and result.delta[0] is None and result.dW[0] is None
    assert_allclose(result.A[0], X[batch])


@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_check_gradients_on_regressors(n_outputs, dtype):
    X, y = make_regression(n_samples=30, n_features=4, n_targets=n_outputs, random_state=0)
    model = fcnet.FCNetRegressor(hidden_layer_sizes=(6,), activation="tanh",
                                 max_iter=3, random_state=0).fit(X.astype(dtype), y / 100)
    result = fcnet.backprop(model, X[:8].astype(dtype), y[:8] / 100)
    assert all(a.dtype == dtype for a in result.A[1:] + result.dW[1:])
    if dtype == np.float64:
        assert fcnet.check_gradients(model, X[:8], y[:8] / 100) < 1e-7


def test_check_gradients_with_sample_weight_and_labels(iris):
    X, y = iris
    labels = np.array(["a", "b", "c"])[y]
    model = fcnet.FCNetClassifier(hidden_layer_sizes=(4,), activation="logistic",
                                  alpha=0.0, max_iter=3, random_state=0).fit(X, labels)
    weights = np.linspace(0.5, 2, 12)
    assert fcnet.check_gradients(model, X[::12][:12], labels[::12][:12], weights) < 1e-7
    heavier = fcnet.backprop(model, X[:12], labels[:12], 2 * weights)
    lighter = fcnet.backprop(model, X[:12], labels[:12], weights)
    assert_allclose(heavier.delta[2], 2 * lighter.delta[2])
    assert_allclose(heavier.dW[1], lighter.dW[1], rtol=1e-12)  # n is the weight sum (alpha 0)


def test_backprop_refuses_an_unfitted_estimator_or_wrong_features(iris):
    from sklearn.exceptions import NotFittedError

    X, y = iris
    with pytest.raises(NotFittedError):
        fcnet.backprop(fcnet.FCNetClassifier(), X, y)
    model = fcnet.FCNetClassifier(max_iter=1).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        fcnet.backprop(model, X[:, :2], y)
