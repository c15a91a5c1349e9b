"""The learner's view: one batch through a fitted estimator's network, in the
course's notation, computed by the C kernels that train it."""

from __future__ import annotations  # help() shows ArrayLike, not its expansion

from dataclasses import dataclass
from numbers import Integral

import numpy as np
import scipy.sparse
from numpy.typing import ArrayLike
from sklearn.utils import column_or_1d
from sklearn.utils.validation import check_is_fitted, validate_data

from fcnet import _core, _network


@dataclass(frozen=True)
class BackpropResult:
    """One forward and backward pass of a batch at an estimator's current weights.

    :func:`fcnet.backprop` makes it; each parameter is also an attribute of
    the same name. Lists are indexed by layer, l = 0 .. L with L =
    ``n_layers_ - 1``, as in the course: ``A[0]`` is the batch X; ``Z[0]``,
    ``delta[0]``, ``dW[0]`` and ``db[0]`` are None. ``W[l]`` is
    ``coefs_[l - 1]``, of shape (fan_in, fan_out), and ``b[l]`` is
    ``intercepts_[l - 1]``.

    Parameters
    ----------
    loss : float
        The estimator's loss on the batch, L2 term included.
    Z : list of ndarray of shape (n_samples, units[l])
        Weighted input sums ``Z[l] = A[l-1] @ W[l] + b[l]``.
    A : list of ndarray of shape (n_samples, units[l])
        Activations ``A[l] = f(Z[l])``, times ``mask[l]`` with dropout;
        ``A[L]`` is the output.
    delta : list of ndarray of shape (n_samples, units[l])
        Error signals: ``delta[L] = A[L] - Y`` (times the sample weights) for
        the canonical output/loss pairs, the loss's slope for the absolute
        error, Huber and quantile losses (docs/backprop.md);
        ``delta[l] = (delta[l+1] @ W[l+1].T) * f'(Z[l])``, times ``mask[l]``
        with dropout; the gradient of the loss with respect to ``Z[l]``,
        times n.
    dW : list of ndarray of shape (units[l-1], units[l])
        ``dL/dW[l] = (A[l-1].T @ delta[l] + alpha * W[l]) / n``.
    db : list of ndarray of shape (units[l],)
        ``dL/db[l] = sum(delta[l]) / n``.
    mask : list of ndarray of shape (n_samples, units[l]), or of None
        With ``dropout_seed``, the dropout multipliers of the hidden layers
        l = 1 .. L-1: 0 for a dropped unit, ``1 / (1 - dropout)`` for a kept
        one. None for the other layers, and everywhere without dropout.

    See Also
    --------
    fcnet.backprop : Compute it for a batch.

    Notes
    -----
    With the squared error and several outputs, ``delta[L]`` is divided by
    n_outputs so that dW and db are the gradient of the reported loss (which
    averages over outputs); scikit-learn's stochastic steps omit that factor.

    Examples
    --------
    >>> import numpy as np
    >>> from fcnet import FCNetRegressor, backprop
    >>> X, y = np.array([[0.0], [1.0]]), np.array([0.0, 1.0])
    >>> reg = FCNetRegressor(hidden_layer_sizes=(3,), random_state=0).partial_fit(X, y)
    >>> [None if a is None else a.shape for a in backprop(reg, X, y).delta]
    [None, (2, 3), (2, 1)]
    """

    loss: float
    Z: list
    A: list
    delta: list
    dW: list
    db: list
    mask: list


@dataclass
class _Batch:
    """A batch prepared for the core, and the estimator's network at its weights."""

    net: _core.Net
    params: np.ndarray
    X: np.ndarray
    Y: np.ndarray
    sample_weight: np.ndarray
    alpha: float
    delta_scale: float
    dropout_key: int

    def loss_and_gradient(self, params, grads, workspace):
        return _core.forward_backward(self.net, grads, workspace, params, _core.Input(self.X),
                                      self.Y, self.sample_weight, self.alpha, self.delta_scale,
                                      self.dropout_key)

    def workspace(self):
        return np.empty(self.net.backprop_workspace_len(len(self.X)), dtype=self.params.dtype)


def _prepare(estimator, X, y, sample_weight, dropout_seed):
    check_is_fitted(estimator)
    if dropout_seed is not None:
        if not (isinstance(dropout_seed, Integral) and 0 <= dropout_seed < 2**64):
            raise ValueError(f"dropout_seed must be None or an int in [0, 2**64), "
                             f"got {dropout_seed!r}.")
        if not estimator.dropout > 0:
            raise ValueError("dropout_seed draws dropout masks: it needs an estimator with "
                             "dropout > 0.")
    X, y = validate_data(estimator, X, y, reset=False, accept_sparse=True, multi_output=True,
                         dtype=(np.float64, np.float32))
    if scipy.sparse.issparse(X):
        X = X.toarray()  # a batch to look at, not a training set
    if y.ndim == 2 and y.shape[1] == 1:
        y = column_or_1d(y)
    units = _network.units_of(estimator.coefs_, estimator.intercepts_)
    dtype = np.result_type(X.dtype, estimator.coefs_[0].dtype)
    Y = np.ascontiguousarray(estimator._encode_targets(y), dtype=dtype)
    if sample_weight is not None:
        sample_weight = np.ascontiguousarray(sample_weight, dtype=dtype)
    dropout = 0.0 if dropout_seed is None else estimator.dropout
    net = _core.Net(units, estimator.activation, estimator.out_activation_,
                    estimator._loss_name(), estimator._loss_parameter(), dropout)
    return _Batch(net, _network.block_of(estimator.coefs_, estimator.intercepts_, dtype),
                  np.ascontiguousarray(X, dtype=dtype), Y, sample_weight, estimator.alpha,
                  estimator._true_gradient_scale(), dropout_seed or 0)


def backprop(estimator, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None,
             dropout_seed: int | None = None) -> BackpropResult:
    """Z, A, delta and the gradients of every layer for one batch.

    Computed by the C kernels that train the estimator, at its current
    weights, and returned in the course's notation: the learner's view of
    what one training step computes.

    Parameters
    ----------
    estimator : fitted FCNetClassifier, FCNetRegressor, MLPClassifier or MLPRegressor
        The network, at its current weights.
    X : array-like of shape (n_samples, n_features)
        The batch (a sparse one is densified).
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Its targets: class labels, or values.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the rows; None weighs each row 1.
    dropout_seed : int >= 0 or None, default=None
        None: the pass without dropout. An int: the pass with the
        estimator's dropout, under the masks this seed draws (the same seed,
        the same masks); needs ``dropout > 0``.

    Returns
    -------
    BackpropResult
        The loss and the per-layer ``Z``, ``A``, ``delta``, ``dW`` and ``db``.

    See Also
    --------
    fcnet.check_gradients : Compare these gradients with finite differences.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from fcnet import FCNetClassifier, backprop
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = FCNetClassifier(hidden_layer_sizes=(5,), solver="lbfgs", random_state=0)
    >>> result = backprop(clf.fit(X, y), X[:8], y[:8])
    >>> result.dW[1].shape, result.db[2].shape
    ((4, 5), (3,))
    """
    batch = _prepare(estimator, X, y, sample_weight, dropout_seed)
    units, rows = list(batch.net.units), len(batch.X)
    L = len(units) - 1
    grads, workspace = np.empty_like(batch.params), batch.workspace()
    loss = batch.loss_and_gradient(batch.params, grads, workspace)

    def left_in_workspace(start, cols):  # a (rows x cols) block the core wrote
        return workspace[start : start + rows * cols].reshape(rows, cols).copy()

    # A[l] and delta[l] where the core says it left them
    A, delta = [batch.X], [None]
    for l, (A_at, delta_at) in enumerate(batch.net.backprop_offsets(rows), start=1):
        A.append(left_in_workspace(A_at, units[l]))
        delta.append(left_in_workspace(delta_at, units[l]))
    Ws, bs = _network.views(batch.params, units)
    Z = [None]
    for l in range(1, L + 1):  # the weighted input sums, by the same kernel without f
        Z.append(np.empty((rows, units[l]), dtype=batch.params.dtype))
        _core.dense_forward(Z[l], A[l - 1], Ws[l - 1], bs[l - 1], "identity")
    dW, db = _network.views(grads, units)
    mask = [None] * (L + 1)
    if dropout_seed is not None:
        for l in range(1, L):
            mask[l] = np.empty((rows, units[l]), dtype=batch.params.dtype)
            _core.dropout_mask(mask[l], dropout_seed, l, estimator.dropout)
    return BackpropResult(float(loss), Z, A, delta, [None, *dW], [None, *db], mask)


def check_gradients(estimator, X: ArrayLike, y: ArrayLike,
                    sample_weight: ArrayLike | None = None, step: float = 1e-3,
                    dropout_seed: int | None = None) -> float:
    """Largest relative error of backprop's gradient against finite differences.

    Compares dW and db of :func:`fcnet.backprop` with central differences
    of the loss, over every weight and bias: four loss evaluations per
    parameter (Richardson extrapolation of central differences at step and
    step / 2), meant for small networks. Relu's kink makes the derivative
    undefined where a Z is within a step of 0, as do the absolute error's and
    quantile loss's where an output is within a step of its target. Near a
    minimum, where gradients approach 0, the relative error of a finite
    difference grows with no fault in backprop: check before convergence.

    Parameters
    ----------
    estimator : fitted FCNetClassifier, FCNetRegressor, MLPClassifier or MLPRegressor
        The network, at its current weights.
    X : array-like of shape (n_samples, n_features)
        The batch.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Its targets: class labels, or values.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the rows; None weighs each row 1.
    step : float, default=1e-3
        The finite differences' step.
    dropout_seed : int >= 0 or None, default=None
        As in :func:`backprop`: with a seed, every evaluation uses the same
        dropout masks.

    Returns
    -------
    float
        The maximum over parameters of ``|numeric - analytic| /
        max(|numeric|, |analytic|, 1e-8)``.

    See Also
    --------
    fcnet.backprop : The gradient being checked, layer by layer.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from fcnet import FCNetClassifier, check_gradients
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = FCNetClassifier(hidden_layer_sizes=(4,), activation="tanh", solver="lbfgs",
    ...                       max_iter=5, random_state=0).fit(X, y)
    >>> check_gradients(clf, X[:10], y[:10]) < 1e-6
    True
    """
    batch = _prepare(estimator, X, y, sample_weight, dropout_seed)
    grads, workspace = np.empty_like(batch.params), batch.workspace()
    batch.loss_and_gradient(batch.params, grads, workspace)
    scratch = np.empty_like(grads)

    def central(i, h):
        shifted = batch.params.copy()
        shifted[i] += h
        ahead = batch.loss_and_gradient(shifted, scratch, workspace)
        shifted[i] -= 2 * h
        return (ahead - batch.loss_and_gradient(shifted, scratch, workspace)) / (2 * h)

    numeric = np.array([(4 * central(i, step / 2) - central(i, step)) / 3
                        for i in range(len(grads))])
    scale = np.maximum(np.maximum(np.abs(numeric), np.abs(grads)), 1e-8)
    return float(np.max(np.abs(numeric - grads) / scale))
