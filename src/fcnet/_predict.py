"""Prediction: the output activations A[L] of new X at coefs_ and intercepts_,
computed in C by chunks of rows, and the estimators' predict methods, which
turn them into labels, probabilities or values.

Predict is fast for a single row too: its network and parameter block are
cached per estimator, and reused only while they are what coefs_ and
intercepts_ say, so that it never serves stale weights.
"""

from __future__ import annotations  # help() shows ArrayLike, not its expansion

import weakref

import numpy as np
from numpy.typing import ArrayLike
from sklearn.utils.validation import check_is_fitted

from fcnet import _core, _inputs, _network

# Rows passed forward at once by predict: bounds its workspace.
_PREDICT_CHUNK_ROWS = 4096

# Each fitted estimator's core network and parameter block for predict, kept
# outside the estimator: predict must not change its __dict__.
_PREDICTION_CACHE = weakref.WeakKeyDictionary()


def forward(estimator, X):
    """A[L] for new X, at the estimator's coefs_ and intercepts_."""
    if not hasattr(estimator, "coefs_"):
        check_is_fitted(estimator)
    if not _inputs.is_plain_input(estimator, X):
        X = _inputs.validated_X(estimator, X)
    # as numpy would compute X @ coefs_: float32 only when both are (both
    # are float32 or float64 here; np.result_type costs a microsecond)
    dtype = X.dtype if X.dtype == estimator.coefs_[0].dtype else np.dtype(np.float64)
    net, params = _prediction_network(estimator, dtype)
    return output_activations(net, params, X.astype(dtype, copy=False))


def output_activations(net, params, X):
    """A[L] of the network net at the parameter block params, for X (dense or
    CSR, of params' dtype)."""
    chunk_rows = min(X.shape[0], _PREDICT_CHUNK_ROWS)
    workspace = np.empty(max(1, net.predict_workspace_len(chunk_rows)), dtype=params.dtype)
    out = np.empty((X.shape[0], net.n_outputs), dtype=params.dtype)
    _core.predict(net, out, workspace, params, _core.Input(X), chunk_rows)
    return out


def _prediction_network(estimator, dtype):
    """The core's network and the parameter block of coefs_ and intercepts_
    in dtype. Kept between calls, while coefs_, intercepts_ and the
    activations stay the same objects: the network, and the block only
    when coefs_ and intercepts_ are its views, so that an in-place edit of
    them is an edit of it. Other weights (arrays a user assigned, or
    float32 weights for float64 X) are packed anew at each call."""
    coefs, intercepts = estimator.coefs_, estimator.intercepts_
    key = (coefs, intercepts, *coefs, *intercepts,
           estimator.activation, estimator.out_activation_)
    cached = _PREDICTION_CACHE.get(estimator)
    if cached is None or len(cached[0]) != len(key) or any(
        a is not b for a, b in zip(cached[0], key)
    ):
        units = _network.units_of(coefs, intercepts)
        net = _core.Net(units, estimator.activation, estimator.out_activation_,
                        estimator._loss_name())
        block = _network.owning_block(coefs, intercepts)
        cached = _PREDICTION_CACHE[estimator] = (key, net, block)
    _, net, block = cached
    if block is None:
        return net, _network.pack(coefs, intercepts, dtype)
    return net, block.astype(dtype, copy=False)


class Predictions:
    """The estimators' predict method."""

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted classes (the classifier's outputs are its
            classes, or the labels of a multilabel y) or values.
        """
        return self._predictions(forward(self, X))


class ClassifierPredictions(Predictions):
    """FCNetClassifier's predict methods: predict, and the probabilities."""

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows to estimate the class probabilities of.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of `classes_`.
        """
        y_pred = forward(self, X)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Log of the probability estimates, ``log(predict_proba(X))``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows to compute the log-probabilities of.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            The natural logarithm of each class's probability, in the
            order of `classes_`.
        """
        y_prob = self.predict_proba(X)
        return np.log(y_prob, out=y_prob)
