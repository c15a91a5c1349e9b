"""FCNetClassifier and FCNetRegressor: scikit-learn's MLP estimators, trained
by fcnet's C core.

Python validates and prepares (parameters, labels, sample weights, dtype,
random state, the flat parameter block); each epoch is one call into C that
runs every minibatch; Python records the loss, scores the validation split,
decides when to stop, prints and warns, as scikit-learn's MLP does, once per
epoch. lbfgs hands scipy a function whose loss and gradient come from one C
call over the whole training set.
"""

from __future__ import annotations  # help() shows ArrayLike, not its expansion

import functools
import math
import threading
import warnings
import weakref
from numbers import Integral, Real
from typing import Self

import numpy as np
import scipy.optimize
import scipy.sparse
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.fixes import _get_additional_lbfgs_options_dict
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from fcnet import _core, _network
from fcnet._callbacks import NO_CONTEXT, CallbackSupportMixin, fit_context, with_callbacks
from fcnet._docstrings import estimator_doc
from fcnet._optimizers import StochasticOptimizer

# Rows passed forward at once by predict: bounds its workspace.
_PREDICT_CHUNK_ROWS = 4096

# Each fitted estimator's core network and parameter block for predict, kept
# outside the estimator: predict must not change its __dict__.
_PREDICTION_CACHE = weakref.WeakKeyDictionary()

# Each estimator's lock, held while one of its fits runs (see _one_fit_at_a_time).
_FIT_LOCKS = weakref.WeakKeyDictionary()

# Each estimator's RandomState for an int random_state, reseeded at every fit
# (see _random_state): building one costs 120 us, reseeding it 2 us, which
# matters to partial_fit on small blocks. Fits are one at a time per
# estimator, so its RandomState is never used by two at once.
_RANDOM_STATES = weakref.WeakKeyDictionary()

# The per-epoch records of the stochastic solvers, which fit only appends to.
_EPOCH_CURVES = ("loss_curve_", "validation_scores_", "validation_loss_curve_")

# float32's largest value, and the largest whose square it holds (targets
# beyond it overflow the squared error and adam's second moment)
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_FLOAT32_SQUARE_LIMIT = math.sqrt(_FLOAT32_MAX)


def _store_arguments(estimator, arguments):
    """What an __init__ does: store each argument under its own name, nothing
    else (scikit-learn's rule; get_params reads them back by signature)."""
    for name, value in arguments.items():
        if name != "self":
            setattr(estimator, name, value)


class _Checkpoint:
    """An estimator's attributes at one moment, to go back to. A fit trains
    a new optimizer, or a copy of the previous one, whose learning rate the
    schedules change in place; the curves only grow, so their lengths are
    enough."""

    def __init__(self, estimator):
        self.attributes = dict(estimator.__dict__)
        self.curve_lengths = {name: len(self.attributes[name]) for name in _EPOCH_CURVES
                              if isinstance(self.attributes.get(name), list)}
        optimizer = self.attributes.get("_optimizer")
        self.learning_rate = None if optimizer is None else optimizer.core.learning_rate

    def restore(self, estimator):
        for name, length in self.curve_lengths.items():
            del self.attributes[name][length:]
        if self.learning_rate is not None:
            self.attributes["_optimizer"].core.learning_rate = self.learning_rate
        estimator.__dict__.clear()
        estimator.__dict__.update(self.attributes)


def _one_fit_at_a_time(method):
    """fit and partial_fit, all or nothing and one at a time per estimator:
    one that raises leaves the estimator as it was (weights, optimizer,
    counters, records), and one that starts while another runs, from another
    thread or from a callback, is refused."""

    @functools.wraps(method)
    def exclusive_method(self, *args, **kwargs):
        lock = _FIT_LOCKS.setdefault(self, threading.Lock())
        if not lock.acquire(blocking=False):
            raise RuntimeError(
                f"{type(self).__name__}.{method.__name__}: a fit of this estimator is already "
                "running (in another thread, or in a callback of it). One estimator trains "
                "one fit at a time; train clones (sklearn.base.clone) to fit several at once."
            )
        try:
            before = _Checkpoint(self)
            try:
                return method(self, *args, **kwargs)
            except BaseException:
                before.restore(self)
                raise
        finally:
            lock.release()

    return exclusive_method


def _is_plain_target(y, n_samples):
    """Whether y needs none of validate_data's work, next to a plain X: a
    numeric array of n_samples finite rows, 1-d or of several columns (one
    column is raveled with a warning there). Lets partial_fit on a small block
    skip validate_data's fixed cost."""
    return (
        type(y) is np.ndarray
        and (y.ndim == 1 or (y.ndim == 2 and y.shape[1] > 1))
        and y.shape[0] == n_samples
        and y.dtype.kind in "biuf"
        and (y.dtype.kind != "f" or math.isfinite(np.vdot(y, y)))
    )


def _check_weight_sum(sample_weight, dtype):
    """The loss is a weighted mean: its weights must have a sum, non-zero and
    (with float32 X, which trains in float32) within float32's range."""
    total = float(sample_weight.sum(dtype=np.float64))
    if total == 0:
        raise ValueError("Weights sum to zero, can't be normalized: the loss is the mean "
                         "weighted by sample_weight.")
    if dtype == np.float32 and abs(total) > _FLOAT32_MAX:
        raise ValueError(
            f"sample_weight sums to {total:.3g}, more than float32 holds: float32 X trains "
            "in float32. Pass X as float64, or divide sample_weight and alpha by one "
            "constant (which trains the same model)."
        )


def _check_float32_targets(Y):
    """Targets float32 training cannot hold, refused before they overflow."""
    largest = max(float(Y.max()), -float(Y.min()))
    if largest > _FLOAT32_SQUARE_LIMIT:
        raise ValueError(
            f"y has values as large as {largest:.3g}: float32 X trains in float32, where "
            f"the squares of targets beyond {_FLOAT32_SQUARE_LIMIT:.3g} (the squared error, "
            "adam's moments) overflow. Pass X as float64, or scale y (e.g. "
            "sklearn.compose.TransformedTargetRegressor with a StandardScaler)."
        )


def _is_stochastic(estimator):
    """partial_fit exists for the stochastic solvers only, as in scikit-learn."""
    if estimator.solver not in ("sgd", "adam"):
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers. "
            f"{estimator.solver} is not stochastic."
        )
    return True


class _BaseFCNet(CallbackSupportMixin, BaseEstimator):
    """What FCNetClassifier and FCNetRegressor share; not for direct use."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu"})],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
    }

    # ---- fit, with its helpers in call order ----

    @_one_fit_at_a_time
    @with_callbacks
    def fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> Self:
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data. float32 trains in float32; other input in float64.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers in
            regression).

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            Returns a trained model.

        Notes
        -----
        With scikit-learn >= 1.9, callbacks set by ``set_callbacks`` (e.g.
        ``sklearn.callback.ProgressBar``, ``ScoringMonitor``) see the fit as
        one task with one subtask per epoch.
        """
        self._validate_params()
        context = fit_context(self, max_subtasks=0 if self.solver == "lbfgs" else self.max_iter)
        context.call_on_fit_task_begin(estimator=self, X=X, y=y)
        self._fit(X, y, sample_weight, incremental=False, context=context)
        context.call_on_fit_task_end(estimator=self, X=X, y=y, reconstruction_attributes={})
        return self

    def _fit(self, X, y, sample_weight, incremental, context=NO_CONTEXT):
        """fit (incremental=False) and one epoch of partial_fit (True);
        context: the callbacks' root context."""
        data = (X, y)  # as the user gave them: what scoring callbacks score on
        hidden_layer_sizes = self._hidden_layer_sizes()
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, Y, sample_weight = self._validate_input(X, y, sample_weight, incremental, first_pass)
        units = [X.shape[1], *hidden_layer_sizes, Y.shape[1]]
        self._check_memory(units, X.shape[0], X.dtype)
        if self.dropout > 0 and self.solver == "lbfgs":
            raise ValueError(
                "dropout needs a stochastic solver ('sgd' or 'adam'): lbfgs's line search "
                "needs the same loss at every evaluation, and dropout draws new masks at "
                "every step."
            )
        random_state = self._random_state()
        if first_pass:
            params = self._initialize(Y, units, X.dtype, random_state)
        else:
            params = self._previous_params(units, X.dtype)
        net = _core.Net(units, self.activation, self.out_activation_, self._loss_name(),
                        self._loss_parameter(), self.dropout)
        if self.solver == "lbfgs":
            self._fit_lbfgs(net, X, Y, sample_weight, params)
        else:
            self._fit_stochastic(net, X, Y, sample_weight, params, random_state, incremental,
                                 context, data)
        if not np.isfinite(params).all():
            # _one_fit_at_a_time puts the previous model back
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed. The training"
                " diverged: scale the features (e.g. StandardScaler) or lower"
                " learning_rate_init."
            )
        self.coefs_, self.intercepts_ = _network.views(params, units)
        return self

    def _validate_params_before_partial_fit(self):
        """Parameters are validated by the first partial_fit, not by later
        ones, as scikit-learn's fit context does."""
        if not hasattr(self, "coefs_"):
            self._validate_params()

    def _random_state(self):
        """check_random_state(self.random_state): for an int, a RandomState
        seeded with it, as new."""
        if not isinstance(self.random_state, Integral):
            return check_random_state(self.random_state)
        random_state = _RANDOM_STATES.get(self)
        if random_state is None:
            random_state = _RANDOM_STATES[self] = np.random.RandomState()
        random_state.seed(self.random_state)
        return random_state

    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if not all(isinstance(s, Integral) for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be integers, got {sizes}.")
        if np.any(np.array(sizes) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _check_memory(self, units, n_samples, dtype):
        """Refuse, before allocating, a network whose blocks and workspaces
        would not fit in memory (e.g. hidden_layer_sizes=(10**9,))."""
        _network.check_memory(
            _network.fit_bytes(units, dtype, self.solver, n_samples,
                               self._batch_size(n_samples), self.dropout),
            f"A network of layer sizes {units}",
        )

    def _validate_input(self, X, y, sample_weight, incremental, reset):
        """X as a C-contiguous float array or a CSR matrix; y as the target
        matrix Y of X's dtype; sample weights of X's dtype, or None."""
        if reset or not (self._is_plain_input(X) and _is_plain_target(y, X.shape[0])):
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse=["csr", "csc"],
                multi_output=True,
                y_numeric=not is_classifier(self),
                dtype=(np.float64, np.float32),
                order="C",
                reset=reset,
            )
        if scipy.sparse.issparse(X):
            X = X.tocsr()
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        Y = self._target_matrix(y, incremental)
        sample_weight = self._sample_weight(y, sample_weight, X, incremental)
        if sample_weight is not None:
            _check_weight_sum(sample_weight, X.dtype)
        if X.dtype == np.float32:
            _check_float32_targets(Y)
        Y = np.ascontiguousarray(Y, dtype=X.dtype)
        if sample_weight is not None:
            sample_weight = sample_weight.astype(X.dtype, copy=False)
        return X, Y, sample_weight

    def _sample_weight(self, y, sample_weight, X, incremental):
        """Sample weights as a float array (float32 stays float32), or None."""
        if sample_weight is None:
            return None
        return _check_sample_weight(sample_weight, X)

    def _initialize(self, Y, units, dtype, random_state):
        """Reset the fitted attributes; return the new parameter block."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(units)
        self.out_activation_ = self._output_activation()
        params = _network.glorot_uniform(units, self.activation, random_state, dtype)
        self.coefs_, self.intercepts_ = _network.views(params, units)
        if self.solver != "lbfgs":
            self._start_records(params)
        return params

    def _start_records(self, params):
        """The per-epoch records of the stochastic solvers, as scikit-learn keeps them."""
        self.loss_curve_ = []
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_ = []
            self.validation_loss_curve_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
            self._best_params = params.copy()
        else:
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.validation_loss_curve_ = None
            self.best_validation_score_ = None

    def _previous_params(self, units, dtype):
        """A copy of the weights a warm start or partial_fit continues from."""
        previous_units = _network.units_of(self.coefs_, self.intercepts_)
        if previous_units != units:
            raise ValueError(
                f"The network has layer sizes {previous_units}, but this call needs {units}: "
                "warm_start and partial_fit keep hidden_layer_sizes, the number of "
                "features and the number of outputs of the previous fit."
            )
        return _network.pack(self.coefs_, self.intercepts_, dtype)

    def _loss_parameter(self):
        """The number the core's loss takes besides A and Y (none here)."""
        return 0.0

    def _true_gradient_scale(self):
        """delta[L] scale that makes the gradient that of the reported loss:
        the squared error is averaged over outputs (scikit-learn #8349)."""
        return 1.0 / self.n_outputs_ if self._loss_name() == "squared_error" else 1.0

    def _fit_lbfgs(self, net, X, Y, sample_weight, params):
        inputs = _core.Input(X)
        grads = np.empty_like(params)
        workspace = np.empty(net.backprop_workspace_len(X.shape[0]), dtype=params.dtype)
        delta_scale = self._true_gradient_scale()

        def loss_and_gradient(packed):
            params[:] = packed
            loss = _core.forward_backward(
                net, grads, workspace, params, inputs, Y, sample_weight, self.alpha, delta_scale
            )
            return loss, grads.astype(np.float64)  # a copy: scipy keeps it

        iprint = 1 if self.verbose is True or self.verbose >= 1 else -1
        result = scipy.optimize.minimize(
            loss_and_gradient,
            params.astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            options={
                "maxfun": self.max_fun,
                "maxiter": self.max_iter,
                "gtol": self.tol,
                **_get_additional_lbfgs_options_dict("iprint", iprint),
            },
        )
        self.n_iter_ = _check_optimize_result("lbfgs", result, self.max_iter)
        self.loss_ = result.fun
        params[:] = result.x

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        return int(np.clip(self.batch_size, 1, n_samples))

    def _fit_stochastic(self, net, X, Y, sample_weight, params, random_state, incremental,
                        context, data):
        if incremental and hasattr(self, "_optimizer"):
            # partial_fit trains a copy, in X's dtype (successive calls may
            # bring either): a call that raises leaves the previous one intact
            self._optimizer = self._optimizer.copy(X.dtype)
        else:
            self._optimizer = StochasticOptimizer(self, net.n_params, X.dtype)
        if not hasattr(self, "loss_curve_") or (
            self.early_stopping and self.validation_scores_ is None
        ):  # a warm start after lbfgs, or with early stopping newly on
            self._start_records(params)
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        validation = None
        if self.early_stopping:
            X, Y, sample_weight, validation = self._validation_split(
                X, Y, sample_weight, random_state
            )

        n_samples = X.shape[0]
        if self.batch_size != "auto" and self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than "
                "sample size. It is going to be clipped"
            )
        batch_size = self._batch_size(n_samples)
        # the key of this fit's dropout masks; each epoch's are told apart by t_
        dropout_seed = random_state.randint(np.iinfo(np.int64).max) if self.dropout > 0 else 0
        inputs = _core.Input(X)
        grads = np.empty_like(params)
        workspace = np.empty(net.epoch_workspace_len(batch_size), dtype=X.dtype)
        sample_idx = np.arange(n_samples, dtype=np.int64)
        self.n_iter_ = 0
        # Ctrl-C may surface anywhere in an epoch, its records included: they
        # go back to the last epoch recorded in full (the weights keep what
        # the batches did)
        recorded = _Checkpoint(self)
        try:
            for _ in range(self.max_iter):
                epoch = context.subcontext(task_name=f"epoch {self.n_iter_ + 1}")
                epoch.call_on_fit_task_begin(estimator=self, X=data[0], y=data[1])
                if self.shuffle:
                    # what sklearn.utils.shuffle(sample_idx, random_state) does
                    # in scikit-learn's MLP, without its validation overhead
                    permutation = np.arange(n_samples)
                    random_state.shuffle(permutation)
                    sample_idx = sample_idx[permutation]
                summed_loss = _core.train_epoch(
                    net, self._optimizer.core, params, grads, self._optimizer.state,
                    workspace, inputs, Y, sample_weight, sample_idx, batch_size, self.alpha,
                    dropout_seed, self.t_,
                )
                self.n_iter_ += 1
                # a scalar of X's dtype, as scikit-learn's loss_ is
                self.loss_ = X.dtype.type(summed_loss / n_samples)
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))
                self._update_no_improvement_count(net, params, validation)
                self._optimizer.iteration_ends(self.t_)
                if epoch.call_on_fit_task_end(
                    estimator=self, X=data[0], y=data[1],
                    reconstruction_attributes=lambda: self._state_at(params, net.units),
                ):
                    break  # a callback asked to stop
                if self._no_improvement_count > self.n_iter_no_change:
                    if validation is not None:
                        msg = (
                            "Validation score did not improve more than "
                            "tol=%f for %d consecutive epochs." % (self.tol, self.n_iter_no_change)
                        )
                    else:
                        msg = (
                            "Training loss did not improve more than tol=%f"
                            " for %d consecutive epochs." % (self.tol, self.n_iter_no_change)
                        )
                    if self._optimizer.trigger_stopping(msg, self.verbose):
                        break
                    self._no_improvement_count = 0
                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        "Stochastic Optimizer: Maximum iterations (%d) "
                        "reached and the optimization hasn't converged yet." % self.max_iter,
                        ConvergenceWarning,
                    )
                recorded = _Checkpoint(self)
        except KeyboardInterrupt:
            recorded.restore(self)
            warnings.warn("Training interrupted by user.")
        if validation is not None:
            params[:] = self._best_params

    def _state_at(self, params, units):
        """The fitted attributes of a model stopped now, for the callbacks."""
        coefs, intercepts = _network.views(params.copy(), list(units))
        return {"coefs_": coefs, "intercepts_": intercepts, "n_iter_": self.n_iter_,
                "loss_curve_": list(self.loss_curve_), "t_": self.t_}

    def _validation_split(self, X, Y, sample_weight, random_state):
        """scikit-learn's split: the same call on the same generator, stratified
        for one output unit (binary classification)."""
        stratify = Y.astype(bool) if is_classifier(self) and self.n_outputs_ == 1 else None
        arrays = [X, Y] if sample_weight is None else [X, Y, sample_weight]
        split = train_test_split(
            *arrays,
            random_state=random_state,
            test_size=self.validation_fraction,
            stratify=stratify,
        )
        X_train, X_val, Y_train, Y_val = split[:4]
        sw_train, sw_val = split[4:] if sample_weight is not None else (None, None)
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        return X_train, Y_train, sw_train, (X_val, Y_val, sw_val)

    def _update_no_improvement_count(self, net, params, validation):
        """Count epochs without a tol improvement of the training loss, or with
        early stopping of the validation score (keeping the best weights)."""
        if validation is None:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if self.loss_curve_[-1] < self.best_loss_:
                self.best_loss_ = self.loss_curve_[-1]
            return
        X_val, Y_val, sw_val = validation
        A = self._output(params, net.units, X_val)
        self.validation_scores_.append(self._validation_score(A, Y_val, sw_val))
        self.validation_loss_curve_.append(
            _core.loss(A, Y_val, self._loss_name(), sw_val, self._loss_parameter()))
        if self.verbose:
            print("Validation score: %f" % self.validation_scores_[-1])
        last_score = self.validation_scores_[-1]
        # a NaN score compares False both ways: it resets the count, as in scikit-learn
        if last_score < self.best_validation_score_ + self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if last_score > self.best_validation_score_:
            self.best_validation_score_ = last_score
            self._best_params = params.copy()

    def _validation_score(self, A, Y, sample_weight):
        """scikit-learn's _score: accuracy or R^2, NaN for non-finite predictions."""
        y_pred = self._predictions(A)
        if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
            return np.nan
        return self._score_function(self._predictions(Y), y_pred, sample_weight=sample_weight)

    # ---- prediction ----

    def _output(self, params, units, X):
        """Output activations A[L] for X (dense or CSR, params' dtype), computed in C."""
        net = _core.Net(units, self.activation, self.out_activation_, self._loss_name())
        chunk_rows = min(X.shape[0], _PREDICT_CHUNK_ROWS)
        workspace = np.empty(max(1, net.predict_workspace_len(chunk_rows)), dtype=params.dtype)
        out = np.empty((X.shape[0], units[-1]), dtype=params.dtype)
        _core.predict(net, out, workspace, params, _core.Input(X), chunk_rows)
        return out

    def _forward(self, X):
        """A[L] for new X, at coefs_ and intercepts_."""
        if not hasattr(self, "coefs_"):
            check_is_fitted(self)
        if not self._is_plain_input(X):
            X = validate_data(
                self, X, reset=False, accept_sparse=["csr", "csc"],
                dtype=(np.float64, np.float32), order="C",
            )
            if scipy.sparse.issparse(X):
                X = X.tocsr()
        # as numpy would compute X @ coefs_: float32 only when both are (both
        # are float32 or float64 here; np.result_type costs a microsecond)
        dtype = X.dtype if X.dtype == self.coefs_[0].dtype else np.dtype(np.float64)
        net, params = self._prediction_network(dtype)
        X = X.astype(dtype, copy=False)
        chunk_rows = min(X.shape[0], _PREDICT_CHUNK_ROWS)
        workspace = np.empty(max(1, net.predict_workspace_len(chunk_rows)), dtype=dtype)
        out = np.empty((X.shape[0], net.n_outputs), dtype=dtype)
        _core.predict(net, out, workspace, params, _core.Input(X), chunk_rows)
        return out

    def _is_plain_input(self, X):
        """Whether X needs none of validate_data's work: a C-contiguous float
        array of the fitted width, finite, and no feature names to compare.
        Checked in a few microseconds, this makes single-row predictions cheap."""
        return (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in (np.float32, np.float64)
            and X.flags.c_contiguous
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
            # a NaN or inf anywhere makes it so; so do values beyond ~1e19
            # (float32), which validate_data then checks. BLAS raises no
            # overflow warning, unlike X.sum().
            and math.isfinite(np.vdot(X, X))
        )

    def _prediction_network(self, dtype):
        """The core's network and the parameter block of coefs_ and intercepts_
        in dtype. Kept between calls, while coefs_, intercepts_ and the
        activations stay the same objects: the network, and the block only
        when coefs_ and intercepts_ are its views, so that an in-place edit of
        them is an edit of it. Other weights (arrays a user assigned, or
        float32 weights for float64 X) are packed anew at each call."""
        key = (self.coefs_, self.intercepts_, *self.coefs_, *self.intercepts_,
               self.activation, self.out_activation_)
        cached = _PREDICTION_CACHE.get(self)
        if cached is None or len(cached[0]) != len(key) or any(
            a is not b for a, b in zip(cached[0], key)
        ):
            units = _network.units_of(self.coefs_, self.intercepts_)
            net = _core.Net(units, self.activation, self.out_activation_, self._loss_name())
            block = _network.owning_block(self.coefs_, self.intercepts_)
            cached = _PREDICTION_CACHE[self] = (key, net, block)
        _, net, block = cached
        if block is None:
            return net, _network.pack(self.coefs_, self.intercepts_, dtype)
        return net, block.astype(dtype, copy=False)

    def __setstate__(self, state):
        super().__setstate__(state)
        # unpickling (copy.deepcopy, joblib) turns the views of the block into
        # separate arrays: views of one block again, predict reads them in place
        if "coefs_" in state and "intercepts_" in state:
            self.coefs_, self.intercepts_ = _network.regrouped(self.coefs_, self.intercepts_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class FCNetClassifier(ClassifierMixin, _BaseFCNet):
    __doc__ = estimator_doc("classifier", "FCNetClassifier")

    _parameter_constraints: dict = {
        **_BaseFCNet._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        class_weight=None,
        dropout=0.0,
    ):
        _store_arguments(self, locals())

    def _target_matrix(self, y, incremental):
        """The 0/1 label indicator matrix of y, learning the labels on a first pass."""
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same "
                        "classes as in the previous call to fit. Previously "
                        f"got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. "
                    f"`self.classes_` has {self.classes_}. 'y' has {classes}."
                )
        return self._encode_targets(y)

    def _encode_targets(self, y):
        """y as the 0/1 label indicator matrix of the known classes."""
        return self._label_binarizer.transform(y)

    def _sample_weight(self, y, sample_weight, X, incremental):
        """Sample weights times class weights."""
        sample_weight = super()._sample_weight(y, sample_weight, X, incremental)
        if self.class_weight is None:
            return sample_weight
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is not supported for partial_fit: one batch "
                "does not tell the class frequencies. Compute them with "
                "sklearn.utils.class_weight.compute_class_weight on enough of the "
                "training targets and pass the resulting dict as class_weight."
            )
        class_weights = compute_sample_weight(self.class_weight, y)
        return class_weights if sample_weight is None else sample_weight * class_weights

    @available_if(_is_stochastic)
    @_one_fit_at_a_time
    def partial_fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None,
                    classes: ArrayLike | None = None) -> Self:
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        classes : array of shape (n_classes,), default=None
            Classes across all calls to partial_fit; required on the first
            call, omitted after it. y need not contain all of them.

        Returns
        -------
        self : object
            Trained model.
        """
        self._validate_params_before_partial_fit()
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight, incremental=True)

    def _output_activation(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _loss_name(self):
        return "log_loss" if self.out_activation_ == "softmax" else "binary_log_loss"

    def _predictions(self, A):
        """Labels from output activations (or from a 0/1 indicator matrix),
        decoded as LabelBinarizer.inverse_transform decodes them, without its
        checks: they cost more than a single-row prediction."""
        binarizer = self._label_binarizer
        if binarizer.sparse_input_:
            return binarizer.inverse_transform(A.ravel() if self.n_outputs_ == 1 else A)
        if binarizer.y_type_ == "multiclass":
            return binarizer.classes_.take(A.argmax(axis=1), mode="clip")
        above = (A > (binarizer.pos_label + binarizer.neg_label) / 2.0).astype(np.intp)
        if binarizer.y_type_ == "multilabel-indicator":
            return above
        if len(binarizer.classes_) == 1:
            return np.repeat(binarizer.classes_[0], len(A))
        return binarizer.classes_[above.ravel()]

    _score_function = staticmethod(accuracy_score)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predict using the multi-layer perceptron classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The predicted classes.
        """
        return self._predictions(self._forward(X))

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Probability estimates.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y_prob : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of `classes_`.
        """
        y_pred = self._forward(X)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
            return np.vstack([1 - y_pred, y_pred]).T
        return y_pred

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Log of the probability estimates.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_y_prob : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        y_prob = self.predict_proba(X)
        return np.log(y_prob, out=y_prob)


    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class FCNetRegressor(RegressorMixin, _BaseFCNet):
    __doc__ = estimator_doc("regressor", "FCNetRegressor")

    _parameter_constraints: dict = {
        **_BaseFCNet._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson", "absolute_error", "huber", "quantile"})],
        "huber_epsilon": [Interval(Real, 0, None, closed="neither")],
        "quantile": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        dropout=0.0,
        huber_epsilon=0.1,
        quantile=0.5,
    ):
        _store_arguments(self, locals())

    def _target_matrix(self, y, incremental):
        """y as an (n_samples, n_outputs) matrix."""
        if self.loss == "poisson" and (y < 0).any():
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for Poisson regression."
            )
        return self._encode_targets(y)

    def _encode_targets(self, y):
        """y as an (n_samples, n_outputs) matrix."""
        return y.reshape(-1, 1) if y.ndim == 1 else y

    @available_if(_is_stochastic)
    @_one_fit_at_a_time
    def partial_fit(self, X: ArrayLike, y: ArrayLike,
                    sample_weight: ArrayLike | None = None) -> Self:
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The input data.

        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : object
            Trained model.
        """
        self._validate_params_before_partial_fit()
        return self._fit(X, y, sample_weight, incremental=True)

    def _output_activation(self):
        return "exp" if self.loss == "poisson" else "identity"

    def _loss_name(self):
        return self.loss

    def _loss_parameter(self):
        return {"huber": self.huber_epsilon, "quantile": self.quantile}.get(self.loss, 0.0)

    def _predictions(self, A):
        return A.ravel() if A.shape[1] == 1 else A

    _score_function = staticmethod(r2_score)

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        return self._predictions(self._forward(X))


# scikit-learn's class names for the same estimators: with them, pipeline step
# names, reprs and get_params keys are scikit-learn's (see README, "Drop-in").


class MLPClassifier(FCNetClassifier):
    __doc__ = estimator_doc("classifier", "MLPClassifier")


class MLPRegressor(FCNetRegressor):
    __doc__ = estimator_doc("regressor", "MLPRegressor")
