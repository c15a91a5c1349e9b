"""Each C kernel against the NumPy reference (tests/reference_mlp.py), in
float32 and float64, on shapes whose rows fill the products' tiles (4, 6, 12
or 24 rows, by instruction set and output width: csrc/gemm.c) and leave a
remainder under each. None but the row halves' network is large enough for
the thread team (at least 2**22 multiply-adds a product);
tests/test_products.py's are."""

import math

import numpy as np
import pytest
import reference_mlp as ref
import scipy.sparse
from numpy.testing import assert_allclose, assert_array_equal

from fcnet import _core, _network

RTOL = {np.float32: 2e-5, np.float64: 1e-12}
DTYPES = [np.float32, np.float64]
# rows, fan_in, fan_out; the last on the team, its columns split (gemm.h)
SHAPES = [(1, 3, 2), (37, 13, 9), (203, 64, 130), (150, 256, 300)]


def random(rng, shape, dtype, scale=1.0):
    return (scale * rng.standard_normal(shape)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu", "softmax"])
def test_activation_forward(dtype, activation):
    Z = random(np.random.default_rng(0), (23, 7), dtype, scale=5)
    A = Z.copy()
    _core.activation_forward(A, activation)
    assert A.dtype == dtype
    assert_allclose(A, ref.f(activation, Z.astype(np.float64)), rtol=RTOL[dtype], atol=1e-30)


@pytest.mark.parametrize("dtype", DTYPES)
def test_activation_forward_is_stable_at_extremes(dtype):
    Z = np.array([[-1000.0, 0.0, 1000.0]], dtype=dtype)
    for name, expected in [("logistic", [0.0, 0.5, 1.0]), ("softmax", [0.0, 0.0, 1.0])]:
        A = Z.copy()
        _core.activation_forward(A, name)
        assert_array_equal(A, np.array([expected], dtype=dtype))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("activation", ["identity", "logistic", "tanh", "relu"])
def test_activation_backward(dtype, activation):
    rng = np.random.default_rng(1)
    Z = random(rng, (23, 7), dtype, scale=2)
    A = ref.f(activation, Z).astype(dtype)
    delta = random(rng, (23, 7), dtype)
    expected = delta.astype(np.float64) * ref.f_prime(activation, Z.astype(np.float64))
    _core.activation_backward(delta, A, activation)
    assert_allclose(delta, expected, rtol=10 * RTOL[dtype], atol=1e-6 if dtype == np.float32 else 0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, fan_in, fan_out", SHAPES)
@pytest.mark.parametrize("activation", ["identity", "tanh", "relu", "softmax"])
def test_dense_forward(dtype, rows, fan_in, fan_out, activation):
    rng = np.random.default_rng(2)
    A_in, W, b = (random(rng, s, dtype) for s in [(rows, fan_in), (fan_in, fan_out), fan_out])
    A_out = np.empty((rows, fan_out), dtype=dtype)
    _core.dense_forward(A_out, A_in, W, b, activation)
    expected = ref.f(activation, A_in.astype(np.float64) @ W + b)
    atol = 1e-5 if dtype == np.float32 else 1e-13
    assert_allclose(A_out, expected, rtol=10 * RTOL[dtype], atol=atol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, fan_in, fan_out", SHAPES)
def test_dense_backward(dtype, rows, fan_in, fan_out):
    rng = np.random.default_rng(3)
    Z_in = random(rng, (rows, fan_in), dtype)
    A_in = np.tanh(Z_in)
    W, delta = random(rng, (fan_in, fan_out), dtype), random(rng, (rows, fan_out), dtype)
    dW, db = np.empty_like(W), np.empty(fan_out, dtype=dtype)
    delta_in = np.empty_like(A_in)
    _core.dense_backward(dW, db, delta_in, delta, A_in, W, 0.3, rows, "tanh")

    A64, d64 = A_in.astype(np.float64), delta.astype(np.float64)
    tol = dict(rtol=10 * RTOL[dtype], atol=1e-5 if dtype == np.float32 else 1e-13)
    assert_allclose(dW, (A64.T @ d64 + 0.3 * W) / rows, **tol)
    assert_allclose(db, d64.sum(axis=0) / rows, **tol)
    assert_allclose(delta_in, (d64 @ W.T) * (1 - A64**2), **tol)

    # layer 1 has no delta below it
    _core.dense_backward(dW, db, None, delta, A_in, W, 0.0, rows, "tanh")
    assert_allclose(dW, A64.T @ d64 / rows, **tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss_name", ["squared_error", "binary_log_loss", "log_loss"])
def test_loss_and_output_delta(dtype, loss_name):
    rng = np.random.default_rng(4)
    A = rng.uniform(0, 1, (31, 4))
    A[0] = [0.0, 1.0, 0.5, 1e-20]  # clipped by the log losses
    if loss_name == "log_loss":
        A /= A.sum(axis=1, keepdims=True)
    Y = np.eye(4)[rng.integers(0, 4, 31)]
    A, Y = A.astype(dtype), Y.astype(dtype)
    assert_allclose(_core.loss(A, Y, loss_name), ref.loss(loss_name, A, Y), rtol=RTOL[dtype])

    delta = np.empty_like(A)
    _core.output_delta(delta, A, Y)
    assert_array_equal(delta, A - Y)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nesterov", [False, True])
def test_sgd_update(dtype, nesterov):
    """Arithmetic as scikit-learn's SGDOptimizer, in the block's dtype: bitwise."""
    rng = np.random.default_rng(5)
    params, velocity, grads = (random(rng, 1000, dtype) for _ in range(3))
    lr, mu = 0.05, 0.9
    expected_velocity = mu * velocity - lr * grads
    update = mu * expected_velocity - lr * grads if nesterov else expected_velocity
    expected_params = params + update
    _core.sgd_update(params, velocity, grads, lr, mu, nesterov)
    assert_array_equal(velocity, expected_velocity)
    assert_array_equal(params, expected_params)


@pytest.mark.parametrize("dtype", DTYPES)
def test_adam_update(dtype):
    """Arithmetic as scikit-learn's AdamOptimizer (its step in float64): bitwise."""
    rng = np.random.default_rng(6)
    params, m, v, grads = (random(rng, 1000, dtype) for _ in range(4))
    v = np.abs(v)
    b1, b2, eps = 0.9, 0.999, 1e-8
    rate = 1e-3 * np.sqrt(1 - b2**3) / (1 - b1**3)  # a float64, as in scikit-learn
    expected_m = b1 * m + (1 - b1) * grads
    expected_v = b2 * v + (1 - b2) * grads**2
    expected_params = params.copy()
    expected_params += -rate * expected_m / (np.sqrt(expected_v) + eps)
    _core.adam_update(params, m, v, grads, rate, b1, b2, eps)
    assert_array_equal(m, expected_m)
    assert_array_equal(v, expected_v)
    assert_array_equal(params, expected_params)


def make_net(rng, units, hidden, output, loss_name, dtype):
    net = _core.Net(units, hidden, output, loss_name)
    Ws = [random(rng, s, dtype, 0.5) for s in _network.weight_shapes(units)]
    bs = [random(rng, n, dtype, 0.5) for n in units[1:]]
    return net, Ws, bs, _network.pack(Ws, bs, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "output, loss_name", [("identity", "squared_error"), ("logistic", "binary_log_loss"),
                          ("softmax", "log_loss")]
)
def test_forward_backward_matches_reference(dtype, output, loss_name):
    rng = np.random.default_rng(7)
    units, rows = [6, 20, 11, 3], 45
    net, Ws, bs, params = make_net(rng, units, "tanh", output, loss_name, dtype)
    X = random(rng, (rows, units[0]), dtype)
    Y = np.eye(3, dtype=dtype)[rng.integers(0, 3, rows)]
    grads = np.empty_like(params)
    workspace = np.empty(net.backprop_workspace_len(rows), dtype=dtype)

    value = _core.forward_backward(net, grads, workspace, params, _core.Input(X), Y, None, 1e-2)

    Ws64, bs64 = [W.astype(np.float64) for W in Ws], [b.astype(np.float64) for b in bs]
    expected = ref.backprop(Ws64, bs64, X.astype(np.float64), Y, "tanh", output, loss_name, 1e-2)
    ref_value, _, As, deltas, dWs, dbs = expected
    tol = dict(rtol=100 * RTOL[dtype], atol=1e-5 if dtype == np.float32 else 1e-12)
    assert_allclose(value, ref_value, **tol)
    assert_allclose(grads, _network.pack(dWs, dbs, np.float64), **tol)
    # the workspace keeps A[l] and delta[l] where the core says
    for l, (A_at, delta_at) in enumerate(net.backprop_offsets(rows), start=1):
        assert_allclose(workspace[A_at : A_at + As[l - 1].size], As[l - 1].ravel(), **tol)
        assert_allclose(workspace[delta_at : delta_at + deltas[l - 1].size],
                        deltas[l - 1].ravel(), **tol)


def test_parameter_layout_is_scikit_learns_packing():
    """The core's offsets put W[1] .. W[L] then b[1] .. b[L] back to back."""
    units = [3, 5, 4, 2]
    params = np.arange(_network.n_params(units), dtype=np.float64)
    coefs, intercepts = _network.views(params, units)
    assert [W.shape for W in coefs] == [(3, 5), (5, 4), (4, 2)]
    assert [b.shape for b in intercepts] == [(5,), (4,), (2,)]
    assert_array_equal(np.concatenate([a.ravel() for a in coefs + intercepts]), params)


def test_optimizer_state_is_a_block_for_sgd_and_two_for_adam():
    net = _core.Net([3, 5, 4, 2])
    assert net.optimizer_state_len("sgd") == net.n_params == 3 * 5 + 5 * 4 + 4 * 2 + 5 + 4 + 2
    assert net.optimizer_state_len("adam") == 2 * net.n_params


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows, chunk_rows", [(1, 1), (50, 7), (50, 4096)])
def test_predict_matches_reference(dtype, rows, chunk_rows):
    rng = np.random.default_rng(8)
    units = [5, 16, 4]
    net, Ws, bs, params = make_net(rng, units, "relu", "softmax", "log_loss", dtype)
    X = random(rng, (rows, units[0]), dtype)
    out = np.empty((rows, units[-1]), dtype=dtype)
    workspace = np.empty(net.predict_workspace_len(min(rows, chunk_rows)), dtype=dtype)
    _core.predict(net, out, workspace, params, _core.Input(X), chunk_rows)
    _, As = ref.forward([W.astype(np.float64) for W in Ws], bs, X.astype(np.float64), "relu",
                        "softmax")
    assert_allclose(out, As[-1], rtol=10 * RTOL[dtype], atol=1e-6 if dtype == np.float32 else 0)


def test_bridge_refuses_buffers_too_small():
    rng = np.random.default_rng(9)
    net, _, _, params = make_net(rng, [4, 8, 2], "relu", "identity", "squared_error", np.float64)
    X, Y = random(rng, (10, 4), np.float64), random(rng, (10, 2), np.float64)
    grads = np.empty_like(params)
    inputs = _core.Input(X)
    with pytest.raises(ValueError, match="workspace too small"):
        _core.forward_backward(net, grads, np.empty(3), params, inputs, Y, None, 0.0)
    with pytest.raises(ValueError, match="wrong number of columns"):
        _core.forward_backward(net, grads, np.empty(10_000), params,
                               _core.Input(X[:, :3].copy()), Y, None, 0.0)
    with pytest.raises(ValueError, match="wrong parameter count"):
        _core.forward_backward(net, grads[:-1], np.empty(10_000), params[:-1], inputs, Y, None,
                               0.0)
    with pytest.raises(ValueError, match="sample_weight has the wrong shape"):
        _core.forward_backward(net, grads, np.empty(10_000), params, inputs, Y, np.ones(3), 0.0)
    with pytest.raises(ValueError, match="shape mismatch"):
        _core.dense_forward(np.empty((10, 3)), X, np.empty((4, 8)), np.empty(8), "relu")


def test_layer_products_refuse_arrays_c_cannot_read_as_given():
    """dense_forward and dense_backward check their arrays through numpy's C
    API: one float dtype for all, C-contiguous, written ones writable."""
    A, W, b = np.ones((10, 4)), np.ones((4, 8)), np.zeros(8)
    out = np.empty((10, 8))
    with pytest.raises(TypeError, match="A_out must be a numpy array of float32 or float64"):
        _core.dense_forward(out.tolist(), A, W, b, "relu")
    with pytest.raises(ValueError, match="W must be a C-contiguous 2-d numpy array of float64"):
        _core.dense_forward(out, A, W.astype(np.float32), b, "relu")
    with pytest.raises(ValueError, match="A_in must be a C-contiguous 2-d"):
        _core.dense_forward(out, np.ones((4, 10)).T, W, b, "relu")
    read_only = np.empty((10, 8))
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="A_out must be a C-contiguous writable"):
        _core.dense_forward(read_only, A, W, b, "relu")
    with pytest.raises(ValueError, match="pack must hold at least"):
        _core.dense_forward(out, A, W, b, "relu", np.empty(1))
    dW, db, delta = np.empty((4, 8)), np.empty(8), np.ones((10, 8))
    with pytest.raises(ValueError, match="db must be a C-contiguous writable 1-d"):
        _core.dense_backward(dW, np.empty((8, 1)), None, delta, A, W, 0.0, 10.0, "relu")
    with pytest.raises(ValueError, match="shape mismatch"):
        _core.dense_backward(dW, db, np.empty((10, 3)), delta, A, W, 0.0, 10.0, "relu")
    _core.dense_backward(dW, db, None, delta, A, W, 0.0, 10.0, "relu")
    assert_allclose(db, np.full(8, 1.0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_exp_output_and_poisson_loss(dtype):
    rng = np.random.default_rng(10)
    Z = random(rng, (13, 3), dtype)
    A = Z.copy()
    _core.activation_forward(A, "exp")
    assert_allclose(A, np.exp(Z.astype(np.float64)), rtol=RTOL[dtype])
    Y = rng.poisson(2.0, (13, 3)).astype(dtype)
    A64, Y64 = A.astype(np.float64), Y.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = np.sum(np.where(Y64 > 0, Y64 * np.log(Y64 / A64), 0) - Y64 + A64) / 13
    assert_allclose(_core.loss(A, Y, "poisson"), expected, rtol=RTOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("loss_name", ["squared_error", "binary_log_loss", "log_loss", "poisson"])
def test_weighted_loss_and_delta(dtype, loss_name):
    """Weights as np.average's, and delta[L] = (A - Y) * weight * scale."""
    rng = np.random.default_rng(11)
    A = rng.uniform(0.05, 0.95, (17, 3))
    A /= A.sum(axis=1, keepdims=True)
    Y = np.eye(3)[rng.integers(0, 3, 17)]
    weights = rng.uniform(0, 3, 17)
    A, Y, weights = A.astype(dtype), Y.astype(dtype), weights.astype(dtype)
    per_row = [_core.loss(A[i : i + 1], Y[i : i + 1], loss_name) for i in range(17)]
    assert_allclose(_core.loss(A, Y, loss_name, weights), np.average(per_row, weights=weights),
                     rtol=RTOL[dtype])
    delta = np.empty_like(A)
    _core.output_delta(delta, A, Y, weights, 0.5)
    assert_allclose(delta, (A - Y) * weights[:, None] * 0.5, rtol=RTOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sparse_input_matches_dense(dtype):
    """Layer 1 from CSR rows gives the dense pass's loss, gradient, A and
    delta, predictions and one epoch of training."""
    rng = np.random.default_rng(12)
    units, rows = [40, 24, 3], 57
    net, _, _, params = make_net(rng, units, "relu", "softmax", "log_loss", dtype)
    X = random(rng, (rows, units[0]), dtype) * (rng.uniform(size=(rows, units[0])) < 0.2)
    X[3] = 0  # an empty row
    Y = np.eye(3, dtype=dtype)[rng.integers(0, 3, rows)]
    weights = rng.uniform(0.5, 2, rows).astype(dtype)
    order = rng.permutation(rows).astype(np.int64)

    def passes(inputs):
        grads, workspace = np.empty_like(params), np.zeros(net.backprop_workspace_len(rows), dtype)
        loss = _core.forward_backward(net, grads, workspace, params, inputs, Y, weights, 0.1)
        out = np.empty((rows, 3), dtype)
        _core.predict(net, out, np.empty(net.predict_workspace_len(10), dtype), params, inputs, 10)
        trained, state = params.copy(), np.zeros(2 * len(params), dtype)
        adam = _core.Optimizer("adam", 1e-2, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
        _core.train_epoch(net, adam, trained, np.empty_like(params), state,
                          np.empty(net.epoch_workspace_len(16), dtype), inputs, Y, weights,
                          order, 16, 0.1)
        _, delta_L_at = net.backprop_offsets(rows)[-1]
        kept = delta_L_at + rows * units[-1]  # A[1..L] and delta[1..L]; then scratch
        return loss, grads, workspace[:kept], out, trained

    tol = dict(rtol=10 * RTOL[dtype], atol=1e-6 if dtype == np.float32 else 1e-14)
    dense = passes(_core.Input(X))
    for X_sparse in (scipy.sparse.csr_matrix(X), scipy.sparse.csr_array(X)):
        for mine, reference in zip(passes(_core.Input(X_sparse)), dense):
            assert_allclose(mine, reference, **tol)


def minibatch_problem(rng, units, rows, dtype):
    """X with half its entries zero, one-hot Y, sample weights, a shuffled order."""
    X = random(rng, (rows, units[0]), dtype) * (rng.uniform(size=(rows, units[0])) < 0.5)
    Y = np.eye(units[-1], dtype=dtype)[rng.integers(0, units[-1], rows)]
    weights = rng.uniform(0.5, 2, rows).astype(dtype)
    return X, Y, weights, rng.permutation(rows).astype(np.int64)


def whole_minibatch_steps(net, params, inputs, X, Y, weights, order, batch, alpha, step):
    """params after forward_backward on each whole minibatch in turn and
    step(params, grads, t) for t = 1, 2, ...; and the sum of loss * rows."""
    expected, expected_loss = params.copy(), 0.0
    for t, start in enumerate(range(0, len(order), batch), start=1):
        taken = order[start:start + batch]
        grads = np.empty_like(params)
        workspace = np.empty(net.backprop_workspace_len(len(taken)), params.dtype)
        loss = _core.forward_backward(net, grads, workspace, expected, inputs(X[taken]),
                                      Y[taken], weights[taken], alpha)
        expected_loss += loss * len(taken)
        step(expected, grads, t)
    return expected, expected_loss


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("rows", [1300, 300])
def test_minibatch_in_halves_steps_as_the_whole_minibatch(dtype, sparse, rows):
    """A small network's minibatch runs as two halves of its rows, each with
    gradients of its own (epoch.c); the step must be the whole minibatch's:
    loss, L2 term and sample weights included. Batches of 1000 rows run
    whole, of 300 in halves: 1300 rows take one of each, 300 rows one batch
    shorter than batch_size, in a workspace sized for the rows there are."""
    rng = np.random.default_rng(13)
    units, batch = [64, 100, 10], 1000
    net, _, _, params = make_net(rng, units, "relu", "softmax", "log_loss", dtype)
    assert net.minibatch_half(batch) == 0 and net.minibatch_half(300) == 150
    X, Y, weights, order = minibatch_problem(rng, units, rows, dtype)
    if rows == 300:
        weights[order[:150]] = 0  # a first half that counts for nothing: its mean is 0 / 0
    alpha, rate = 10.0, 0.05  # an L2 term large enough to show twice in float32

    def inputs(rows_of_X):
        return _core.Input(scipy.sparse.csr_matrix(rows_of_X) if sparse else rows_of_X)

    def sgd(params, grads, t):
        params -= rate * grads

    expected, expected_loss = whole_minibatch_steps(net, params, inputs, X, Y, weights, order,
                                                    batch, alpha, sgd)
    trained, velocity = params.copy(), np.zeros_like(params)
    workspace = np.empty(net.epoch_workspace_len(min(batch, rows)), dtype)
    summed_loss = _core.train_epoch(net, _core.Optimizer("sgd", rate), trained,
                                    np.empty_like(params), velocity, workspace, inputs(X), Y,
                                    weights, order, batch, alpha)
    assert_allclose(summed_loss, expected_loss, rtol=10 * RTOL[dtype])
    assert_allclose(trained, expected, rtol=10 * RTOL[dtype],
                    atol=1e-6 if dtype == np.float32 else 1e-14)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_minibatch_in_row_halves_steps_as_the_whole_minibatch(dtype, sparse, solver):
    """A larger network's minibatch runs its forward pass and delta recursion
    as two halves of its rows, then the weights' gradient on the team
    (epoch.c): every step must be the whole minibatch's bit for bit; the
    loss, summed by halves, to rounding. Batches of 128 rows run as halves,
    the last of 44 whole; one half's weights are all zero."""
    rng = np.random.default_rng(14)
    units, batch, rows = [1000, 256, 10], 128, 300
    net, _, _, params = make_net(rng, units, "relu", "softmax", "log_loss", dtype)
    assert net.minibatch_half(batch) == 0 and net.minibatch_row_half(batch) == 64
    assert net.minibatch_row_half(rows % batch) == 0
    X, Y, weights, order = minibatch_problem(rng, units, rows, dtype)
    weights[order[batch:batch + 64]] = 0  # the second batch's first half counts for nothing
    alpha, rate, b1, b2, eps = 10.0, 0.05, 0.9, 0.999, 1e-8
    state = np.zeros(2 * len(params), dtype)
    m, v = state[:len(params)], state[len(params):]  # sgd: the velocity is m

    def inputs(rows_of_X):
        return _core.Input(scipy.sparse.csr_matrix(rows_of_X) if sparse else rows_of_X)

    def step(params, grads, t):
        if solver == "sgd":
            _core.sgd_update(params, m, grads, rate, 0.9, True)
        else:
            step_rate = rate * math.sqrt(1.0 - b2**t) / (1.0 - b1**t)
            _core.adam_update(params, m, v, grads, step_rate, b1, b2, eps)

    expected, expected_loss = whole_minibatch_steps(net, params, inputs, X, Y, weights, order,
                                                    batch, alpha, step)
    state[:] = 0
    trained = params.copy()
    optimizer = (_core.Optimizer("sgd", rate, momentum=0.9, nesterov=True) if solver == "sgd"
                 else _core.Optimizer("adam", rate, beta_1=b1, beta_2=b2, epsilon=eps))
    summed_loss = _core.train_epoch(net, optimizer, trained, np.empty_like(params),
                                    m if solver == "sgd" else state,
                                    np.empty(net.epoch_workspace_len(batch), dtype), inputs(X),
                                    Y, weights, order, batch, alpha)
    assert_allclose(summed_loss, expected_loss, rtol=10 * RTOL[dtype])
    assert_array_equal(trained, expected)


def test_input_refuses_malformed_sparse_structure():
    X = scipy.sparse.csr_matrix(np.eye(3))
    X.indices[1] = 7
    with pytest.raises(ValueError, match="column index out of range"):
        _core.Input(X)
    X = scipy.sparse.csr_matrix(np.eye(3))
    X.indptr[1] = 5
    with pytest.raises(ValueError, match="malformed CSR row pointers"):
        _core.Input(X)
    with pytest.raises(ValueError, match="must be CSR"):
        _core.Input(scipy.sparse.csc_matrix(np.eye(3)))
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.Input(np.eye(3)[:, ::2])
