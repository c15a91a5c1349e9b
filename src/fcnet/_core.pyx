# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""The bridge from Python to the C core (csrc/fcnet.h).

Design: every function takes typed memoryviews (C-contiguous), checks the
sizes that keep the C side inside its buffers, and makes one C call with the
GIL released; the products of one layer read numpy arrays through numpy's C
API instead, as their calls cost more than a small layer's arithmetic. The C
functions are called by their names in C without the precision's suffix
(fcn_train_epoch): _capi.pxd, generated from
_capi.pxd.tp, dispatches each on the fused type `floating` to its _f32 or
_f64 kernel. No arithmetic happens here, and no layout: the estimators
prepare, C computes, and C says where each layer's blocks lie.
"""
from libc.stdint cimport int64_t, uint64_t
from cython cimport floating
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC

import numpy as np
import scipy.sparse

cimport numpy as cnp

cnp.import_array()

from fcnet._capi cimport *

cdef extern from "Python.h":
    # declared without an except clause: the epoch must see the return value
    # while the exception it sets stays pending
    int PyErr_CheckSignals()

cdef extern from "subnormals.h":
    int FCN_FLUSHES_SUBNORMALS

# whether the core reads and writes subnormal numbers as zeros (csrc/subnormals.h)
FLUSHES_SUBNORMALS = bool(FCN_FLUSHES_SUBNORMALS)

ACTIVATIONS = {
    "identity": FCN_IDENTITY,
    "logistic": FCN_LOGISTIC,
    "tanh": FCN_TANH,
    "relu": FCN_RELU,
    "softmax": FCN_SOFTMAX,
    "exp": FCN_EXP,
}
LOSSES = {
    "squared_error": FCN_SQUARED_ERROR,
    "binary_log_loss": FCN_BINARY_LOG_LOSS,
    "log_loss": FCN_LOG_LOSS,
    "poisson": FCN_POISSON,
    "absolute_error": FCN_ABSOLUTE_ERROR,
    "huber": FCN_HUBER,
    "quantile": FCN_QUANTILE,
}
SOLVERS = {"sgd": FCN_SGD, "adam": FCN_ADAM}


def max_threads():
    """Threads the core's OpenMP loops use now (threadpoolctl and OMP_NUM_THREADS apply)."""
    return fcn_max_threads()


def pack_len(int64_t M, int64_t K, int64_t N):
    """Length of the scratch of a product C (M x N) = A (M x K) @ B (K x N)."""
    return _size(fcn_pack_len(M, K, N))


GEMM_KERNELS = {
    "auto": FCN_GEMM_AUTO,
    "baseline": FCN_GEMM_BASELINE,
    "avx2": FCN_GEMM_AVX2,
    "avx512": FCN_GEMM_AVX512,
}


def force_gemm_kernels(str which):
    """Make every matrix product use one vector unit's kernels ("auto": the best per shape).

    For tests, which run each kernel this CPU has; returns False, changing
    nothing, where the CPU or the build lacks it. Not thread-safe.
    """
    cdef int code = GEMM_KERNELS[which]
    if fcn_gemm_force_kernels_f32(code) != 0:
        return False
    return fcn_gemm_force_kernels_f64(code) == 0


cdef class Net:
    """Shape and functions of one network: the C struct fcn_net.

    layer_units: n_features, hidden sizes..., n_outputs. Activations and loss
    by name (keys of ACTIVATIONS and LOSSES); loss_parameter is Huber's
    epsilon or the quantile; dropout the rate of the training passes' masks.
    The defaults suit a Net asked only for its layout, which they do not change.
    """
    cdef fcn_net c
    cdef readonly object units  # int64 array; keeps c.units valid
    cdef readonly int64_t n_inputs, n_outputs, n_params

    def __init__(self, layer_units, hidden_activation="identity", output_activation="identity",
                 loss="squared_error", double loss_parameter=0.0, double dropout=0.0):
        try:
            self.units = np.array(layer_units, dtype=np.int64)
        except OverflowError:
            raise ValueError(f"invalid layer units {layer_units!r}: beyond 64 bits") from None
        if self.units.ndim != 1 or self.units.shape[0] < 2 or (self.units < 1).any():
            raise ValueError(f"invalid layer units {layer_units!r}")
        _require(0 <= dropout < 1, "dropout must be in [0, 1)")
        cdef const int64_t[::1] units = self.units
        cdef Py_ssize_t L = units.shape[0] - 1
        self.c.n_layers = L
        self.c.units = &units[0]
        self.c.hidden_activation = ACTIVATIONS[hidden_activation]
        self.c.output_activation = ACTIVATIONS[output_activation]
        self.c.loss = LOSSES[loss]
        self.c.loss_parameter = loss_parameter
        self.c.dropout = dropout
        self.n_inputs, self.n_outputs = units[0], units[L]
        self.n_params = fcn_param_count(&self.c)
        if self.n_params < 0:
            raise ValueError(f"invalid layer units {layer_units!r}: "
                             "the parameter count does not fit in 64 bits")

    def param_offsets(self):
        """(where W[l] starts, where b[l] starts) in the parameter block, for l = 1 .. L."""
        return [(fcn_weights_offset(&self.c, l), fcn_bias_offset(&self.c, l))
                for l in range(1, self.c.n_layers + 1)]

    def optimizer_state_len(self, str solver):
        """Length of the state of solver ('sgd' or 'adam') for this network."""
        return _size(fcn_optimizer_state_len(&self.c, SOLVERS[solver]))

    def backprop_offsets(self, int64_t rows):
        """(where A[l] starts, where delta[l] starts) in the workspace of
        forward_backward after a batch of rows rows, for l = 1 .. L."""
        return [(_size(fcn_backprop_A_offset(&self.c, rows, l)),
                 _size(fcn_backprop_delta_offset(&self.c, rows, l)))
                for l in range(1, self.c.n_layers + 1)]

    def backprop_workspace_len(self, int64_t rows):
        """Length of the workspace of forward_backward for rows rows."""
        return _size(fcn_backprop_workspace_len(&self.c, rows))

    def epoch_workspace_len(self, int64_t batch_rows):
        """Length of the workspace of train_epoch."""
        return _size(fcn_epoch_workspace_len(&self.c, batch_rows))

    def minibatch_half(self, int64_t rows):
        """Rows of the first half where train_epoch runs a minibatch of rows
        rows as two halves side by side, else 0."""
        return fcn_minibatch_half(&self.c, rows)

    def minibatch_row_half(self, int64_t rows):
        """Rows of the first half where train_epoch runs the forward pass and
        delta recursion of a minibatch of rows rows as two halves, else 0."""
        return fcn_minibatch_row_half(&self.c, rows)

    def predict_workspace_len(self, int64_t chunk_rows):
        """Length of the workspace of predict."""
        return _size(fcn_predict_workspace_len(&self.c, chunk_rows))


cdef int64_t _size(int64_t length) except -1:
    """A size from the core, which reports -1 for one negative or beyond 64 bits."""
    if length < 0:
        raise ValueError("fcnet core: a workspace size is negative or does not fit in 64 bits")
    return length


cdef class Optimizer:
    """Hyperparameters and step count of a stochastic solver, as train_epoch
    hands them to C in the struct fcn_optimizer."""
    cdef readonly str solver
    cdef readonly double momentum, beta_1, beta_2, epsilon
    cdef readonly bint nesterov
    cdef public double learning_rate  # sgd: the current rate; adam: learning_rate_init
    cdef public int64_t adam_steps    # adam: updates done so far

    def __init__(self, str solver, double learning_rate, double momentum=0.0,
                 bint nesterov=False, double beta_1=0.0, double beta_2=0.0,
                 double epsilon=0.0, int64_t adam_steps=0):
        _require(solver in SOLVERS, f"unknown solver {solver!r}")
        self.solver, self.learning_rate, self.adam_steps = solver, learning_rate, adam_steps
        self.momentum, self.nesterov = momentum, nesterov
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    cdef fcn_optimizer struct(self):
        return fcn_optimizer(SOLVERS[self.solver], self.learning_rate, self.momentum,
                             self.nesterov, self.beta_1, self.beta_2, self.epsilon,
                             self.adam_steps)

    def __reduce__(self):
        return (Optimizer, (self.solver, self.learning_rate, self.momentum, self.nesterov,
                            self.beta_1, self.beta_2, self.epsilon, self.adam_steps))


cdef inline void _require(bint condition, str what) except *:
    if not condition:
        raise ValueError(f"fcnet core: {what}")


cdef class Input:
    """X as the core reads it (the C struct fcn_input): a C-contiguous float32
    or float64 array, or a scipy CSR matrix, whose structure is checked here so
    that C never reads outside it."""
    cdef fcn_input c
    cdef readonly object values, indices, indptr, dtype
    cdef readonly int64_t n_rows, n_cols

    def __init__(self, X):
        if scipy.sparse.issparse(X):
            _require(X.format == "csr", "sparse X must be CSR")
            self.n_rows, self.n_cols = X.shape
            self.values = np.ascontiguousarray(X.data)
            self.indices = np.ascontiguousarray(X.indices, dtype=np.int64)
            self.indptr = np.ascontiguousarray(X.indptr, dtype=np.int64)
            _require(self.indptr.shape[0] == self.n_rows + 1 and self.indptr[0] == 0
                     and (np.diff(self.indptr) >= 0).all()
                     and self.indptr[self.n_rows] == self.values.shape[0]
                     == self.indices.shape[0], "malformed CSR row pointers")
            _require(self.indices.shape[0] == 0 or (self.indices.min() >= 0 and
                     self.indices.max() < self.n_cols), "CSR column index out of range")
        else:
            _require(isinstance(X, np.ndarray) and X.ndim == 2 and X.flags.c_contiguous,
                     "X must be a C-contiguous 2-D array")
            self.n_rows, self.n_cols = X.shape
            self.values = X.reshape(-1)
        self.dtype = self.values.dtype
        _require(self.dtype in (np.float32, np.float64), "X must be float32 or float64")
        cdef const float[::1] values32
        cdef const double[::1] values64
        cdef const int64_t[::1] indices, indptr
        if self.dtype == np.float32:
            values32 = self.values
            self.c.values = &values32[0]
        else:
            values64 = self.values
            self.c.values = &values64[0]
        if self.indices is not None:
            indices, indptr = self.indices, self.indptr
            self.c.indices, self.c.indptr = &indices[0], &indptr[0]
        self.c.rows = self.n_rows


cdef double _next_signal_check = 0.0


cdef int _interrupted() noexcept nogil:
    """Asked by C between minibatches and between predict's chunks. At most
    every 0.1 s it takes the GIL and lets Python run its signal handlers:
    Ctrl-C's KeyboardInterrupt then stays set, and the pass stops at that
    boundary."""
    global _next_signal_check
    cdef timespec now
    clock_gettime(CLOCK_MONOTONIC, &now)
    cdef double seconds = now.tv_sec + 1e-9 * now.tv_nsec
    if seconds < _next_signal_check:
        return 0
    _next_signal_check = seconds + 0.1
    with gil:
        return PyErr_CheckSignals() != 0


cdef int _raise_pending_error() except -1:
    # Cython raises the exception that is already set
    return -1


def _check_pass(Net net, Input X, floating[::1] params, floating[::1] workspace,
                Py_ssize_t needed_workspace, sample_weight):
    _require(X.n_rows > 0, "empty X")
    _require(X.n_cols == net.n_inputs, "X has the wrong number of columns")
    _require(X.dtype == np.asarray(params).dtype, "X and params differ in dtype")
    _require(params.shape[0] == net.n_params, "wrong parameter count")
    _require(workspace.shape[0] >= needed_workspace, "workspace too small")
    _require(sample_weight is None or np.shape(sample_weight) == (X.n_rows,),
             "sample_weight has the wrong shape")


cdef const floating *_optional(const floating[::1] array):
    """The data of an optional array (sample weights), NULL for None."""
    if array is None:
        return NULL
    return &array[0]


def activation_forward(floating[:, ::1] A, str activation):
    """A = f(A) in place."""
    cdef int code = ACTIVATIONS[activation]
    with nogil:
        fcn_activation_forward(&A[0, 0], A.shape[0], A.shape[1], code)


def activation_backward(floating[:, ::1] delta, const floating[:, ::1] A, str activation):
    """delta *= f'(Z), written in terms of A = f(Z)."""
    _require(A.shape[0] == delta.shape[0] and A.shape[1] == delta.shape[1], "shape mismatch")
    cdef int code = ACTIVATIONS[activation]
    with nogil:
        fcn_activation_backward(&delta[0, 0], &A[0, 0], A.shape[0], A.shape[1], code)


# The products of one layer (dense_forward, dense_backward), called once per
# layer by the backprop API and one by one by benchmarks/bench_gemm.py, read
# their arrays through numpy's C API: five typed memoryviews and Cython's
# dispatch between float32 and float64 cost about 1 µs a call, seven times a
# course layer's product (Xeon), these checks a tenth of that.

cdef int _real_type(object array, str name) except -1:
    """NPY_FLOAT32 or NPY_FLOAT64, the type of a layer's arrays, from one of them."""
    cdef int real_type
    if cnp.PyArray_Check(array):
        real_type = cnp.PyArray_TYPE(<cnp.ndarray>array)
        if real_type == cnp.NPY_FLOAT32 or real_type == cnp.NPY_FLOAT64:
            return real_type
    raise TypeError(f"fcnet core: {name} must be a numpy array of float32 or float64")


cdef char *_reals(object array, int real_type, int ndim, bint written, str name) except NULL:
    """The data of array, checked as C reads it: a C-contiguous numpy array of
    real_type with ndim dimensions, writable where C writes it."""
    cdef cnp.ndarray checked
    if cnp.PyArray_Check(array):
        checked = <cnp.ndarray>array
        if (cnp.PyArray_TYPE(checked) == real_type and cnp.PyArray_NDIM(checked) == ndim
                and cnp.PyArray_IS_C_CONTIGUOUS(checked)
                and (not written or cnp.PyArray_ISWRITEABLE(checked))):
            return <char *>cnp.PyArray_DATA(checked)
    dtype = "float32" if real_type == cnp.NPY_FLOAT32 else "float64"
    raise ValueError(f"fcnet core: {name} must be a C-contiguous{' writable' if written else ''}"
                     f" {ndim}-d numpy array of {dtype}, as the layer's other arrays")


cdef inline int64_t _dim(object array, int axis):
    """The size of a checked array (_reals) along axis."""
    return cnp.PyArray_DIM(<cnp.ndarray>array, axis)


cdef object _scratch(object pack, int real_type, int64_t length):
    """The products' scratch of length reals, checked as _reals checks: pack
    when given (reused across calls), else a new one."""
    if pack is None:
        return np.empty(length, dtype=np.float32 if real_type == cnp.NPY_FLOAT32 else np.float64)
    _reals(pack, real_type, 1, True, "pack")
    if _dim(pack, 0) < length:  # the message is formatted only when it is needed
        _require(False, f"pack must hold at least {length} entries")
    return pack


def dense_forward(A_out, A_in, W, b, str activation, pack=None):
    """A_out = f(A_in @ W + b), numpy arrays of one float dtype. pack: optional
    scratch, as pack_len(rows, fan_in, fan_out)."""
    cdef int real_type = _real_type(A_out, "A_out")
    cdef char *out = _reals(A_out, real_type, 2, True, "A_out")
    cdef char *inputs = _reals(A_in, real_type, 2, False, "A_in")
    cdef char *weights = _reals(W, real_type, 2, False, "W")
    cdef char *bias = _reals(b, real_type, 1, False, "b")
    cdef int64_t rows = _dim(A_in, 0), fan_in = _dim(W, 0), fan_out = _dim(W, 1)
    _require(_dim(A_in, 1) == fan_in and _dim(b, 0) == fan_out and _dim(A_out, 0) == rows
             and _dim(A_out, 1) == fan_out, "shape mismatch")
    pack = _scratch(pack, real_type, _size(fcn_pack_len(rows, fan_in, fan_out)))
    cdef char *scratch = <char *>cnp.PyArray_DATA(<cnp.ndarray>pack)
    cdef int code = ACTIVATIONS[activation]
    with nogil:
        if real_type == cnp.NPY_FLOAT32:
            fcn_dense_forward(<float *>out, <float *>scratch, <const float *>inputs,
                              <const float *>weights, <const float *>bias, rows, fan_in,
                              fan_out, code)
        else:
            fcn_dense_forward(<double *>out, <double *>scratch, <const double *>inputs,
                              <const double *>weights, <const double *>bias, rows, fan_in,
                              fan_out, code)


def dense_backward(dW, db, delta_in, delta, A_in, W, double alpha, double weight_sum,
                   str in_activation, pack=None):
    """dW, db of one layer and, unless delta_in is None, delta_in = (delta @ W.T) * f',
    numpy arrays of one float dtype. pack: optional scratch, as the larger
    pack_len of the two products."""
    cdef int real_type = _real_type(dW, "dW")
    cdef char *weight_gradient = _reals(dW, real_type, 2, True, "dW")
    cdef char *bias_gradient = _reals(db, real_type, 1, True, "db")
    cdef char *deltas = _reals(delta, real_type, 2, False, "delta")
    cdef char *inputs = _reals(A_in, real_type, 2, False, "A_in")
    cdef char *weights = _reals(W, real_type, 2, False, "W")
    cdef char *deltas_in = NULL
    if delta_in is not None:
        deltas_in = _reals(delta_in, real_type, 2, True, "delta_in")
    cdef int64_t rows = _dim(delta, 0), fan_in = _dim(W, 0), fan_out = _dim(W, 1)
    _require(_dim(dW, 0) == fan_in and _dim(dW, 1) == fan_out and _dim(db, 0) == fan_out
             and _dim(delta, 1) == fan_out and _dim(A_in, 0) == rows
             and _dim(A_in, 1) == fan_in, "shape mismatch")
    _require(delta_in is None or (_dim(delta_in, 0) == rows and _dim(delta_in, 1) == fan_in),
             "shape mismatch")
    pack = _scratch(pack, real_type, max(_size(fcn_pack_len(fan_in, rows, fan_out)),
                                         _size(fcn_pack_len(rows, fan_out, fan_in))))
    cdef char *scratch = <char *>cnp.PyArray_DATA(<cnp.ndarray>pack)
    cdef int code = ACTIVATIONS[in_activation]
    with nogil:
        if real_type == cnp.NPY_FLOAT32:
            fcn_dense_backward(<float *>weight_gradient, <float *>bias_gradient,
                               <float *>deltas_in, <float *>scratch, <const float *>deltas,
                               <const float *>inputs, <const float *>weights, rows, fan_in,
                               fan_out, alpha, weight_sum, code)
        else:
            fcn_dense_backward(<double *>weight_gradient, <double *>bias_gradient,
                               <double *>deltas_in, <double *>scratch, <const double *>deltas,
                               <const double *>inputs, <const double *>weights, rows, fan_in,
                               fan_out, alpha, weight_sum, code)


def loss(const floating[:, ::1] A, const floating[:, ::1] Y, str loss_name,
         const floating[::1] sample_weight=None, double loss_parameter=0.0):
    """Mean loss over the rows of A against Y (weighted), without the L2 term."""
    _require(A.shape[0] == Y.shape[0] and A.shape[1] == Y.shape[1], "shape mismatch")
    _require(sample_weight is None or sample_weight.shape[0] == A.shape[0], "shape mismatch")
    cdef int code = LOSSES[loss_name]
    cdef const floating *weights = _optional(sample_weight)
    cdef double value
    with nogil:
        value = fcn_loss(&A[0, 0], &Y[0, 0], weights, A.shape[0], A.shape[1], code,
                         loss_parameter)
    return value


def output_delta(floating[:, ::1] delta, const floating[:, ::1] A, const floating[:, ::1] Y,
                 const floating[::1] sample_weight=None, double scale=1.0,
                 str loss_name="squared_error", double loss_parameter=0.0):
    """delta = (A - Y) * sample_weight * scale, or the loss's slope in place of A - Y."""
    _require(A.shape[0] == Y.shape[0] == delta.shape[0]
             and A.shape[1] == Y.shape[1] == delta.shape[1], "shape mismatch")
    _require(sample_weight is None or sample_weight.shape[0] == A.shape[0], "shape mismatch")
    cdef const floating *weights = _optional(sample_weight)
    cdef int code = LOSSES[loss_name]
    with nogil:
        fcn_output_delta(&delta[0, 0], &A[0, 0], &Y[0, 0], weights, A.shape[0],
                         A.shape[1], code, loss_parameter, scale)


def sgd_update(floating[::1] params, floating[::1] velocity, const floating[::1] grads,
               double learning_rate, double momentum, bint nesterov):
    """One sgd step in place on params and velocity."""
    _require(params.shape[0] == velocity.shape[0] == grads.shape[0], "length mismatch")
    with nogil:
        fcn_sgd_update(&params[0], &velocity[0], &grads[0], params.shape[0],
                       learning_rate, momentum, nesterov)


def adam_update(floating[::1] params, floating[::1] m, floating[::1] v,
                const floating[::1] grads, double step_rate, double beta_1, double beta_2,
                double epsilon):
    """One adam step in place on params, m and v, at the bias-corrected step_rate."""
    _require(params.shape[0] == m.shape[0] == v.shape[0] == grads.shape[0], "length mismatch")
    with nogil:
        fcn_adam_update(&params[0], &m[0], &v[0], &grads[0], params.shape[0],
                        step_rate, beta_1, beta_2, epsilon)


def dropout_mask(floating[:, ::1] M, uint64_t key, int64_t layer, double rate):
    """M = the dropout multipliers (0 or 1 / (1 - rate)) of hidden layer `layer`
    under the masks of key, as forward_backward applies them."""
    _require(0 <= rate < 1, "dropout must be in [0, 1)")
    with nogil:
        fcn_dropout_mask(&M[0, 0], key, layer, M.shape[0], M.shape[1], rate)


def forward_backward(Net net, floating[::1] grads, floating[::1] workspace,
                     const floating[::1] params, Input X, const floating[:, ::1] Y,
                     const floating[::1] sample_weight, double alpha, double delta_scale=1.0,
                     uint64_t dropout_key=0):
    """Loss and gradient of the batch X; A[1..L] then delta[1..L] stay in workspace
    (then, with dropout, the unmasked activations of the hidden layers)."""
    _check_pass(net, X, params, workspace, net.backprop_workspace_len(X.n_rows), sample_weight)
    _require(Y.shape[0] == X.n_rows and Y.shape[1] == net.n_outputs, "Y has the wrong shape")
    _require(grads.shape[0] == net.n_params, "wrong gradient length")
    cdef const floating *weights = _optional(sample_weight)
    cdef double value
    with nogil:
        value = fcn_forward_backward(&grads[0], &workspace[0], &params[0], &net.c, &X.c,
                                     &Y[0, 0], weights, alpha, delta_scale, dropout_key)
    return value


def train_epoch(Net net, Optimizer optimizer, floating[::1] params, floating[::1] grads,
                floating[::1] state, floating[::1] workspace, Input X,
                const floating[:, ::1] Y, const floating[::1] sample_weight,
                const int64_t[::1] order, int64_t batch_size, double alpha,
                uint64_t dropout_seed=0, uint64_t epoch=0):
    """One epoch of minibatch training in C; returns the sum of batch loss * batch rows.
    With dropout, the masks come from dropout_seed and epoch (a number no
    other epoch of the fit has).
    Ctrl-C stops it at a minibatch boundary within about 0.1 s, raising KeyboardInterrupt."""
    cdef Py_ssize_t n_samples = X.n_rows
    _require(batch_size > 0, "batch_size must be positive")
    _check_pass(net, X, params, workspace, net.epoch_workspace_len(min(batch_size, n_samples)),
                sample_weight)
    _require(Y.shape[0] == n_samples and Y.shape[1] == net.n_outputs, "Y has the wrong shape")
    _require(grads.shape[0] == net.n_params, "wrong gradient length")
    _require(state.shape[0] == net.optimizer_state_len(optimizer.solver),
             "wrong optimizer state length")
    _require(order.shape[0] == n_samples, "order has the wrong length")
    _require(np.all((np.asarray(order) >= 0) & (np.asarray(order) < n_samples)),
             "order out of range")
    cdef const floating *weights = _optional(sample_weight)
    cdef double summed_loss
    cdef int status
    cdef fcn_optimizer opt = optimizer.struct()
    with nogil:
        status = fcn_train_epoch(&summed_loss, &params[0], &grads[0], &state[0], &opt,
                                 &workspace[0], &net.c, &X.c, &Y[0, 0], weights, &order[0],
                                 batch_size, alpha, dropout_seed, epoch, _interrupted)
    optimizer.adam_steps = opt.adam_steps
    if status == FCN_INTERRUPTED:
        _raise_pending_error()
    return summed_loss


def predict(Net net, floating[:, ::1] out, floating[::1] workspace,
            const floating[::1] params, Input X, int64_t chunk_rows):
    """out = A[L] for the rows of X, computed chunk_rows rows at a time.
    Ctrl-C stops it between chunks within about 0.1 s, raising KeyboardInterrupt."""
    _require(chunk_rows > 0, "chunk_rows must be positive")
    _check_pass(net, X, params, workspace,
                net.predict_workspace_len(min(chunk_rows, X.n_rows)), None)
    _require(out.shape[0] == X.n_rows and out.shape[1] == net.n_outputs,
             "out has the wrong shape")
    cdef int status
    with nogil:
        status = fcn_predict(&out[0, 0], &workspace[0], &params[0], &net.c, &X.c,
                             chunk_rows, _interrupted)
    if status == FCN_INTERRUPTED:
        _raise_pending_error()
