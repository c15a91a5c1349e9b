"""A 3-2-1 network worked by hand. Every number below is a short binary
fraction, so the core must reproduce the arithmetic exactly.

    x = [1, 2, -1]          W1 = [[0.5, -1  ],     b1 = [0.5, 0.25]
                                  [0.25, 0.5],
                                  [1,   0.75]]
    hidden relu, output identity, squared error, alpha = 0, y = 1.

Forward:
    Z1 = x @ W1 + b1 = [0.5 + 0.5 - 1 + 0.5,  -1 + 1 - 0.75 + 0.25] = [0.5, -0.5]
    A1 = relu(Z1)    = [0.5, 0]
    Z2 = A1 @ W2 + b2 = 0.5 * 2 + 0 * -3 + 0.25 = 1.25 = A2     (W2 = [[2], [-3]], b2 = [0.25])
    loss = 0.5 * (1.25 - 1)^2 = 0.03125
Backward:
    delta2 = A2 - y = 0.25
    dW2 = A1.T @ delta2 = [[0.125], [0]],   db2 = [0.25]
    delta1 = (delta2 @ W2.T) * relu'(Z1) = [0.5, -0.75] * [1, 0] = [0.5, 0]
    dW1 = x.T @ delta1 = [[0.5, 0], [1, 0], [-0.5, 0]],   db1 = [0.5, 0]
One sgd step, learning rate 0.5, no momentum: params -= 0.5 * grads.
"""

import numpy as np
from numpy.testing import assert_array_equal

from fcnet import _core, _network

UNITS = [3, 2, 1]
W1 = [[0.5, -1.0], [0.25, 0.5], [1.0, 0.75]]
W2 = [[2.0], [-3.0]]
b1, b2 = [0.5, 0.25], [0.25]
X, Y = np.array([[1.0, 2.0, -1.0]]), np.array([[1.0]])


def setup():
    net = _core.Net(UNITS, "relu", "identity", "squared_error")
    params = _network.pack([np.array(W1), np.array(W2)], [np.array(b1), np.array(b2)],
                           np.float64)
    return net, params, np.empty(net.backprop_workspace_len(1))


def test_forward_and_backward_by_hand():
    net, params, workspace = setup()
    grads = np.empty_like(params)
    loss = _core.forward_backward(net, grads, workspace, params, _core.Input(X), Y, None, 0.0)
    assert loss == 0.03125
    A1, A2, delta1, delta2 = workspace[0:2], workspace[2:3], workspace[3:5], workspace[5:6]
    assert_array_equal(A1, [0.5, 0.0])
    assert_array_equal(A2, [1.25])
    assert_array_equal(delta2, [0.25])
    assert_array_equal(delta1, [0.5, 0.0])
    (dW1, dW2), (db1, db2) = _network.views(grads, UNITS)
    assert_array_equal(dW2, [[0.125], [0.0]])
    assert_array_equal(db2, [0.25])
    assert_array_equal(dW1, [[0.5, 0.0], [1.0, 0.0], [-0.5, 0.0]])
    assert_array_equal(db1, [0.5, 0.0])


def test_one_sgd_step_by_hand():
    net, params, workspace = setup()
    optimizer = _core.Optimizer("sgd", 0.5, momentum=0.0)
    grads, velocity = np.empty_like(params), np.zeros_like(params)
    summed_loss = _core.train_epoch(net, optimizer, params, grads, velocity,
                                    np.empty(net.epoch_workspace_len(1)), _core.Input(X), Y,
                                    None, np.array([0], dtype=np.int64), 1, 0.0)
    assert summed_loss == 0.03125
    (new_W1, new_W2), (new_b1, new_b2) = _network.views(params, UNITS)
    assert_array_equal(new_W1, [[0.25, -1.0], [-0.25, 0.5], [1.25, 0.75]])
    assert_array_equal(new_W2, [[1.9375], [-3.0]])
    assert_array_equal(new_b1, [0.25, 0.25])
    assert_array_equal(new_b2, [0.125])
