"""The oracle: a plain NumPy MLP in the course's notation, written from the
formulas (not from fcnet's C), to check each kernel and whole passes.

    Z[l] = A[l-1] @ W[l] + b[l],  A[l] = f(Z[l])
    delta[L] = A[L] - Y
    delta[l] = (delta[l+1] @ W[l+1].T) * f'(Z[l])
    dW[l] = (A[l-1].T @ delta[l] + alpha * W[l]) / n,  db[l] = sum(delta[l]) / n

With dropout masks M[l] on the hidden layers, A[l] = f(Z[l]) * M[l] and
delta[l] = (delta[l+1] @ W[l+1].T) * M[l] * f'(Z[l]).
"""

import numpy as np
from numpy.testing import assert_allclose


def f(name, Z):
    if name == "identity":
        return Z
    if name == "logistic":
        return 1 / (1 + np.exp(-Z))
    if name == "tanh":
        return np.tanh(Z)
    if name == "relu":
        return np.maximum(Z, 0)
    if name == "softmax":
        E = np.exp(Z - Z.max(axis=1, keepdims=True))
        return E / E.sum(axis=1, keepdims=True)
    raise ValueError(name)


def f_prime(name, Z):
    """f'(Z) from Z itself (the C core uses A = f(Z); the two must agree)."""
    if name == "identity":
        return np.ones_like(Z)
    if name == "logistic":
        s = f("logistic", Z)
        return s * (1 - s)
    if name == "tanh":
        return 1 - np.tanh(Z) ** 2
    if name == "relu":
        return (Z > 0).astype(Z.dtype)
    raise ValueError(name)


def loss(name, A, Y):
    """Mean over rows, as scikit-learn: log losses clip A to [eps, 1 - eps]."""
    eps = np.finfo(A.dtype).eps
    P = np.clip(A, eps, 1 - eps)
    if name == "squared_error":
        return 0.5 * np.mean((A - Y) ** 2)
    if name == "binary_log_loss":
        return -np.sum(Y * np.log(P) + (1 - Y) * np.log(1 - P)) / len(A)
    if name == "log_loss":
        return -np.sum(Y * np.log(P)) / len(A)
    raise ValueError(name)


def forward(Ws, bs, X, hidden, output, masks=None):
    """Lists Z[1..L] and A[0..L] (A[0] = X); masks[l]: hidden layer l's dropout mask."""
    Zs, As = [], [X]
    for l, (W, b) in enumerate(zip(Ws, bs), start=1):
        Zs.append(As[-1] @ W + b)
        if l == len(Ws):
            As.append(f(output, Zs[-1]))
        else:
            As.append(f(hidden, Zs[-1]) * (1 if masks is None else masks[l]))
    return Zs, As


def backprop(Ws, bs, X, Y, hidden, output, loss_name, alpha, masks=None):
    """Loss with L2 term, and per layer Z, A, delta, dW, db (index l-1 for layer l)."""
    n = len(X)
    Zs, As = forward(Ws, bs, X, hidden, output, masks)
    value = loss(loss_name, As[-1], Y) + 0.5 * alpha * sum((W**2).sum() for W in Ws) / n
    deltas = [As[-1] - Y]
    for l in reversed(range(1, len(Ws))):  # one step down per hidden layer
        delta = (deltas[0] @ Ws[l].T) * f_prime(hidden, Zs[l - 1])
        deltas.insert(0, delta if masks is None else delta * masks[l])
    dWs = [(A_in.T @ d + alpha * W) / n for A_in, d, W in zip(As[:-1], deltas, Ws)]
    dbs = [d.sum(axis=0) / n for d in deltas]
    return value, Zs, As[1:], deltas, dWs, dbs


def assert_backprop_matches(result, reference):
    """An fcnet.BackpropResult against backprop's (loss, Zs, As, deltas, dWs, dbs)."""
    loss_value, *per_layer = reference
    assert abs(result.loss - loss_value) <= 1e-12 * abs(loss_value)
    for name, expected in zip(("Z", "A", "delta", "dW", "db"), per_layer):
        rtol = 1e-12 if name in ("Z", "A") else 1e-10
        for l, layer in enumerate(expected, start=1):
            assert_allclose(getattr(result, name)[l], layer, rtol=rtol, atol=1e-14)
