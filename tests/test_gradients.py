"""The core's gradient against central finite differences of its own loss,
through whole networks of every hidden activation and output type."""

import numpy as np
import pytest
import reference_mlp as ref

from fcnet import _core, _network

OUTPUTS = [
    ("identity", "squared_error", 1),
    ("logistic", "binary_log_loss", 1),
    ("logistic", "binary_log_loss", 3),  # multilabel
    ("softmax", "log_loss", 4),
]
UNITS, ROWS, ALPHA, STEP = [5, 7, 6], 11, 0.1, 1e-3


def problem(hidden, output, loss_name, n_outputs):
    """A random network and batch. Relu's gradient is undefined at its kink,
    so for relu the seed is the first whose pre-activations all stay 10 steps
    away from 0."""
    units = [*UNITS, n_outputs]
    for seed in range(100):
        rng = np.random.default_rng(seed)
        params = rng.uniform(-0.8, 0.8, _network.n_params(units))
        X = rng.standard_normal((ROWS, units[0]))
        Zs, _ = ref.forward(*_network.views(params, units), X, hidden, output)
        if hidden != "relu" or min(np.abs(Z).min() for Z in Zs[:-1]) > 10 * STEP:
            break
    if loss_name == "squared_error":
        Y = rng.standard_normal((ROWS, n_outputs))
    elif loss_name == "log_loss":
        Y = np.eye(n_outputs)[rng.integers(0, n_outputs, ROWS)]
    else:
        Y = rng.integers(0, 2, (ROWS, n_outputs)).astype(np.float64)
    return _core.Net(units, hidden, output, loss_name), params, X, Y


def gradient_and_loss(net, params, X, Y):
    grads = np.empty_like(params)
    workspace = np.empty(net.backprop_workspace_len(len(X)))
    value = _core.forward_backward(net, grads, workspace, params, _core.Input(X), Y, None, ALPHA)
    return grads, value


def central_differences(loss_at, params):
    """d loss / d params, by central differences with Richardson extrapolation:
    truncation error O(STEP^4) while rounding stays near 1e-13."""

    def central(i, h):
        step = np.zeros_like(params)
        step[i] = h
        return (loss_at(params + step) - loss_at(params - step)) / (2 * h)

    return np.array(
        [(4 * central(i, STEP / 2) - central(i, STEP)) / 3 for i in range(len(params))]
    )


def max_relative_error(numeric, analytic):
    scale = np.maximum(np.maximum(np.abs(numeric), np.abs(analytic)), 1e-8)
    return np.max(np.abs(numeric - analytic) / scale)


@pytest.mark.parametrize("hidden", ["identity", "logistic", "tanh", "relu"])
@pytest.mark.parametrize("output, loss_name, n_outputs", OUTPUTS)
def test_gradient_matches_central_differences(hidden, output, loss_name, n_outputs):
    net, params, X, Y = problem(hidden, output, loss_name, n_outputs)
    grads, _ = gradient_and_loss(net, params, X, Y)
    numeric = central_differences(lambda p: gradient_and_loss(net, p, X, Y)[1], params)
    assert max_relative_error(numeric, grads) <= 1e-7


def test_multi_output_squared_error_follows_scikit_learn():
    """scikit-learn reports the squared error averaged over outputs but steps
    along delta[L] = A[L] - Y, the gradient of its sum over outputs
    (scikit-learn issue #8349); the stochastic solvers keep that convention,
    so the data term's gradient is n_outputs times that of the reported loss."""
    n_outputs = 3
    net, params, X, Y = problem("tanh", "identity", "squared_error", n_outputs)
    units = [*UNITS, n_outputs]
    n_weights = sum(a * b for a, b in _network.weight_shapes(units))
    grads, _ = gradient_and_loss(net, params, X, Y)

    def data_loss_times_outputs_plus_l2(p):
        value = gradient_and_loss(net, p, X, Y)[1]
        l2 = 0.5 * ALPHA * np.sum(p[:n_weights] ** 2) / ROWS
        return n_outputs * (value - l2) + l2

    numeric = central_differences(data_loss_times_outputs_plus_l2, params)
    assert max_relative_error(numeric, grads) <= 1e-7


def test_lbfgs_gradient_is_that_of_the_reported_loss():
    """With delta_scale = 1 / n_outputs (what lbfgs uses for the squared
    error) the gradient is the true one of the loss fcnet reports."""
    n_outputs = 3
    net, params, X, Y = problem("tanh", "identity", "squared_error", n_outputs)
    workspace = np.empty(net.backprop_workspace_len(ROWS))
    grads = np.empty_like(params)

    def loss_at(p):
        return _core.forward_backward(net, np.empty_like(p), workspace, p, _core.Input(X), Y,
                                      None, ALPHA, 1 / n_outputs)

    _core.forward_backward(net, grads, workspace, params, _core.Input(X), Y, None, ALPHA,
                           1 / n_outputs)
    assert max_relative_error(central_differences(loss_at, params), grads) <= 1e-7
