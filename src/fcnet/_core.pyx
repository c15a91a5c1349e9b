# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The bridge from Python to the C core (csrc/fcnet.h).

Design: every function takes typed memoryviews (C-contiguous), checks the
sizes that keep the C side inside its buffers, and makes one C call with the
GIL released. The fused type `floating` picks the _f32 or _f64 kernel. No
arithmetic happens here: the estimators prepare, C computes.
"""
from libc.stdint cimport int64_t
from cython cimport floating

import numpy as np

from fcnet._capi cimport *

ACTIVATIONS = {
    "identity": FCN_IDENTITY,
    "logistic": FCN_LOGISTIC,
    "tanh": FCN_TANH,
    "relu": FCN_RELU,
    "softmax": FCN_SOFTMAX,
}
LOSSES = {
    "squared_error": FCN_SQUARED_ERROR,
    "binary_log_loss": FCN_BINARY_LOG_LOSS,
    "log_loss": FCN_LOG_LOSS,
}
SOLVERS = {"sgd": FCN_SGD, "adam": FCN_ADAM}


def max_threads():
    """Threads the core's OpenMP loops use now (threadpoolctl and OMP_NUM_THREADS apply)."""
    return fcn_max_threads()


cdef class Net:
    """Shape and functions of one network: the C struct fcn_net.

    layer_units: n_features, hidden sizes..., n_outputs. Activations and loss
    by name (keys of ACTIVATIONS and LOSSES).
    """
    cdef fcn_net c
    cdef readonly object units  # int64 array; keeps c.units valid
    cdef readonly int64_t n_inputs, n_outputs, n_params

    def __init__(self, layer_units, str hidden_activation, str output_activation, str loss):
        self.units = np.array(layer_units, dtype=np.int64)
        if self.units.ndim != 1 or self.units.shape[0] < 2 or (self.units < 1).any():
            raise ValueError(f"invalid layer units {layer_units!r}")
        cdef const int64_t[::1] units = self.units
        cdef Py_ssize_t L = units.shape[0] - 1
        self.c.n_layers = L
        self.c.units = &units[0]
        self.c.hidden_activation = ACTIVATIONS[hidden_activation]
        self.c.output_activation = ACTIVATIONS[output_activation]
        self.c.loss = LOSSES[loss]
        self.n_inputs, self.n_outputs = units[0], units[L]
        self.n_params = 0
        for l in range(1, L + 1):
            self.n_params += units[l - 1] * units[l] + units[l]

    def workspace_len(self, int64_t batch_rows):
        """Length of the workspace of forward_backward and train_epoch."""
        return fcn_workspace_len(&self.c, batch_rows)

    def predict_workspace_len(self, int64_t chunk_rows):
        """Length of the workspace of predict."""
        return fcn_predict_workspace_len(&self.c, chunk_rows)


cdef class Optimizer:
    """Hyperparameters and step count of a stochastic solver: the C struct fcn_optimizer."""
    cdef fcn_optimizer c
    cdef readonly str solver

    def __init__(self, str solver, double learning_rate, double momentum=0.0,
                 bint nesterov=False, double beta_1=0.0, double beta_2=0.0,
                 double epsilon=0.0, int64_t adam_steps=0):
        self.solver = solver
        self.c.solver = SOLVERS[solver]
        self.c.learning_rate = learning_rate
        self.c.momentum = momentum
        self.c.nesterov = nesterov
        self.c.beta_1 = beta_1
        self.c.beta_2 = beta_2
        self.c.epsilon = epsilon
        self.c.adam_steps = adam_steps

    @property
    def learning_rate(self):
        return self.c.learning_rate

    @learning_rate.setter
    def learning_rate(self, double value):
        self.c.learning_rate = value

    @property
    def adam_steps(self):
        return self.c.adam_steps

    def __reduce__(self):
        return (Optimizer, (self.solver, self.c.learning_rate, self.c.momentum,
                            bool(self.c.nesterov), self.c.beta_1, self.c.beta_2,
                            self.c.epsilon, self.c.adam_steps))


cdef inline void _require(bint condition, str what) except *:
    if not condition:
        raise ValueError(f"fcnet core: {what}")


def _check_batch(Net net, Py_ssize_t rows, Py_ssize_t x_cols, Py_ssize_t workspace_len,
                 Py_ssize_t needed_workspace):
    _require(rows > 0, "empty batch")
    _require(x_cols == net.n_inputs, "X has the wrong number of columns")
    _require(workspace_len >= needed_workspace, "workspace too small")


def activation_forward(floating[:, ::1] A, str activation):
    """A = f(A) in place."""
    cdef int code = ACTIVATIONS[activation]
    with nogil:
        if floating is float:
            fcn_activation_forward_f32(&A[0, 0], A.shape[0], A.shape[1], code)
        else:
            fcn_activation_forward_f64(&A[0, 0], A.shape[0], A.shape[1], code)


def activation_backward(floating[:, ::1] delta, const floating[:, ::1] A, str activation):
    """delta *= f'(Z), written in terms of A = f(Z)."""
    _require(A.shape[0] == delta.shape[0] and A.shape[1] == delta.shape[1], "shape mismatch")
    cdef int code = ACTIVATIONS[activation]
    with nogil:
        if floating is float:
            fcn_activation_backward_f32(&delta[0, 0], &A[0, 0], A.shape[0], A.shape[1], code)
        else:
            fcn_activation_backward_f64(&delta[0, 0], &A[0, 0], A.shape[0], A.shape[1], code)


def dense_forward(floating[:, ::1] A_out, const floating[:, ::1] A_in,
                  const floating[:, ::1] W, const floating[::1] b, str activation):
    """A_out = f(A_in @ W + b)."""
    _require(A_in.shape[1] == W.shape[0] and b.shape[0] == W.shape[1]
             and A_out.shape[0] == A_in.shape[0] and A_out.shape[1] == W.shape[1],
             "shape mismatch")
    cdef int code = ACTIVATIONS[activation]
    with nogil:
        if floating is float:
            fcn_dense_forward_f32(&A_out[0, 0], &A_in[0, 0], &W[0, 0], &b[0], A_in.shape[0],
                                  W.shape[0], W.shape[1], code)
        else:
            fcn_dense_forward_f64(&A_out[0, 0], &A_in[0, 0], &W[0, 0], &b[0], A_in.shape[0],
                                  W.shape[0], W.shape[1], code)


def dense_backward(floating[:, ::1] dW, floating[::1] db, floating[:, ::1] delta_in,
                   const floating[:, ::1] delta, const floating[:, ::1] A_in,
                   const floating[:, ::1] W, double alpha, double n, str in_activation):
    """dW, db of one layer and, unless delta_in is None, delta_in = (delta @ W.T) * f'."""
    cdef Py_ssize_t rows = delta.shape[0], fan_in = W.shape[0], fan_out = W.shape[1]
    _require(dW.shape[0] == fan_in and dW.shape[1] == fan_out and db.shape[0] == fan_out
             and delta.shape[1] == fan_out and A_in.shape[0] == rows
             and A_in.shape[1] == fan_in, "shape mismatch")
    _require(delta_in is None or (delta_in.shape[0] == rows and delta_in.shape[1] == fan_in),
             "shape mismatch")
    cdef floating[::1] W_T = np.empty(fan_in * fan_out, dtype=np.asarray(W).dtype)
    cdef floating *delta_in_ptr = NULL if delta_in is None else &delta_in[0, 0]
    cdef int code = ACTIVATIONS[in_activation]
    with nogil:
        if floating is float:
            fcn_dense_backward_f32(&dW[0, 0], &db[0], delta_in_ptr, &W_T[0], &delta[0, 0],
                                   &A_in[0, 0], &W[0, 0], rows, fan_in, fan_out, alpha, n, code)
        else:
            fcn_dense_backward_f64(&dW[0, 0], &db[0], delta_in_ptr, &W_T[0], &delta[0, 0],
                                   &A_in[0, 0], &W[0, 0], rows, fan_in, fan_out, alpha, n, code)


def loss(const floating[:, ::1] A, const floating[:, ::1] Y, str loss_name):
    """Mean loss over the rows of A against Y, without the L2 term."""
    _require(A.shape[0] == Y.shape[0] and A.shape[1] == Y.shape[1], "shape mismatch")
    cdef int code = LOSSES[loss_name]
    cdef double value
    with nogil:
        if floating is float:
            value = fcn_loss_f32(&A[0, 0], &Y[0, 0], A.shape[0], A.shape[1], code)
        else:
            value = fcn_loss_f64(&A[0, 0], &Y[0, 0], A.shape[0], A.shape[1], code)
    return value


def output_delta(floating[:, ::1] delta, const floating[:, ::1] A, const floating[:, ::1] Y):
    """delta = A - Y."""
    _require(A.shape[0] == Y.shape[0] == delta.shape[0]
             and A.shape[1] == Y.shape[1] == delta.shape[1], "shape mismatch")
    with nogil:
        if floating is float:
            fcn_output_delta_f32(&delta[0, 0], &A[0, 0], &Y[0, 0], A.shape[0], A.shape[1])
        else:
            fcn_output_delta_f64(&delta[0, 0], &A[0, 0], &Y[0, 0], A.shape[0], A.shape[1])


def sgd_update(floating[::1] params, floating[::1] velocity, const floating[::1] grads,
               double learning_rate, double momentum, bint nesterov):
    """One sgd step in place on params and velocity."""
    _require(params.shape[0] == velocity.shape[0] == grads.shape[0], "length mismatch")
    with nogil:
        if floating is float:
            fcn_sgd_update_f32(&params[0], &velocity[0], &grads[0], params.shape[0],
                               learning_rate, momentum, nesterov)
        else:
            fcn_sgd_update_f64(&params[0], &velocity[0], &grads[0], params.shape[0],
                               learning_rate, momentum, nesterov)


def adam_update(floating[::1] params, floating[::1] m, floating[::1] v,
                const floating[::1] grads, double step_rate, double beta_1, double beta_2,
                double epsilon):
    """One adam step in place on params, m and v, at the bias-corrected step_rate."""
    _require(params.shape[0] == m.shape[0] == v.shape[0] == grads.shape[0], "length mismatch")
    with nogil:
        if floating is float:
            fcn_adam_update_f32(&params[0], &m[0], &v[0], &grads[0], params.shape[0],
                                step_rate, beta_1, beta_2, epsilon)
        else:
            fcn_adam_update_f64(&params[0], &m[0], &v[0], &grads[0], params.shape[0],
                                step_rate, beta_1, beta_2, epsilon)


def forward_backward(Net net, floating[::1] grads, floating[::1] workspace,
                     const floating[::1] params, const floating[:, ::1] X,
                     const floating[:, ::1] Y, double alpha):
    """Loss and gradient of one batch; A[1..L] then delta[1..L] stay in workspace."""
    cdef Py_ssize_t rows = X.shape[0]
    _check_batch(net, rows, X.shape[1], workspace.shape[0], net.workspace_len(rows))
    _require(Y.shape[0] == rows and Y.shape[1] == net.n_outputs, "Y has the wrong shape")
    _require(params.shape[0] == net.n_params == grads.shape[0], "wrong parameter count")
    cdef double value
    with nogil:
        if floating is float:
            value = fcn_forward_backward_f32(&grads[0], &workspace[0], &params[0], &net.c,
                                             &X[0, 0], &Y[0, 0], rows, alpha)
        else:
            value = fcn_forward_backward_f64(&grads[0], &workspace[0], &params[0], &net.c,
                                             &X[0, 0], &Y[0, 0], rows, alpha)
    return value


def train_epoch(Net net, Optimizer optimizer, floating[::1] params, floating[::1] grads,
                floating[::1] state, floating[::1] workspace, const floating[:, ::1] X,
                const floating[:, ::1] Y, const int64_t[::1] order, int64_t batch_size,
                double alpha):
    """One epoch of minibatch training in C; returns the sum of batch loss * batch rows."""
    cdef Py_ssize_t n_samples = X.shape[0]
    _require(batch_size > 0, "batch_size must be positive")
    _check_batch(net, n_samples, X.shape[1], workspace.shape[0],
                 net.workspace_len(min(batch_size, n_samples)))
    _require(Y.shape[0] == n_samples and Y.shape[1] == net.n_outputs, "Y has the wrong shape")
    _require(params.shape[0] == net.n_params == grads.shape[0], "wrong parameter count")
    _require(state.shape[0] == net.n_params * (2 if optimizer.solver == "adam" else 1),
             "wrong optimizer state length")
    _require(order.shape[0] == n_samples, "order has the wrong length")
    _require(np.all((np.asarray(order) >= 0) & (np.asarray(order) < n_samples)),
             "order out of range")
    cdef double summed_loss
    with nogil:
        if floating is float:
            summed_loss = fcn_train_epoch_f32(&params[0], &grads[0], &state[0], &optimizer.c,
                                              &workspace[0], &net.c, &X[0, 0], &Y[0, 0],
                                              &order[0], n_samples, batch_size, alpha)
        else:
            summed_loss = fcn_train_epoch_f64(&params[0], &grads[0], &state[0], &optimizer.c,
                                              &workspace[0], &net.c, &X[0, 0], &Y[0, 0],
                                              &order[0], n_samples, batch_size, alpha)
    return summed_loss


def predict(Net net, floating[:, ::1] out, floating[::1] workspace,
            const floating[::1] params, const floating[:, ::1] X, int64_t chunk_rows):
    """out = A[L] for the rows of X, computed chunk_rows rows at a time."""
    cdef Py_ssize_t rows = X.shape[0]
    _require(chunk_rows > 0, "chunk_rows must be positive")
    _check_batch(net, rows, X.shape[1], workspace.shape[0],
                 net.predict_workspace_len(min(chunk_rows, rows)))
    _require(out.shape[0] == rows and out.shape[1] == net.n_outputs, "out has the wrong shape")
    _require(params.shape[0] == net.n_params, "wrong parameter count")
    with nogil:
        if floating is float:
            fcn_predict_f32(&out[0, 0], &workspace[0], &params[0], &net.c, &X[0, 0], rows,
                            chunk_rows)
        else:
            fcn_predict_f64(&out[0, 0], &workspace[0], &params[0], &net.c, &X[0, 0], rows,
                            chunk_rows)
