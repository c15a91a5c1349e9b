"""FCNetClassifier and FCNetRegressor: scikit-learn's MLP estimators, trained
by fcnet's C core.

Python validates and prepares (parameters, labels, dtype, random state, the
flat parameter block); each epoch is one call into C that runs every
minibatch; Python records the loss, decides when to stop, prints and warns,
as scikit-learn's MLP does, once per epoch.
"""

import warnings
from numbers import Integral, Real

import numpy as np
import scipy.sparse
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils import check_random_state, column_or_1d
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import _check_partial_fit_first_call, type_of_target, unique_labels
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from fcnet import _core, _network
from fcnet._optimizers import StochasticOptimizer

# Rows passed forward at once by predict: bounds its workspace.
_PREDICT_CHUNK_ROWS = 4096


class NotYetImplementedError(NotImplementedError, TypeError):
    """An option of scikit-learn's MLP that fcnet does not implement yet.

    Also a TypeError, so that code written for estimators without sparse
    support (scikit-learn's own checks among them) recognises the refusal of
    sparse input.
    """


def _store_arguments(estimator, arguments):
    """What an __init__ does: store each argument under its own name, nothing
    else (scikit-learn's rule; get_params reads them back by signature)."""
    for name, value in arguments.items():
        if name != "self":
            setattr(estimator, name, value)


def _is_stochastic(estimator):
    """partial_fit exists for the stochastic solvers only, as in scikit-learn."""
    if estimator.solver not in ("sgd", "adam"):
        raise AttributeError(
            f"partial_fit is only available for stochastic optimizers. "
            f"{estimator.solver} is not stochastic."
        )
    return True


class _BaseFCNet(BaseEstimator):
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
    }

    # ---- fit, with its helpers in call order ----

    def fit(self, X, y):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The input data. float32 trains in float32; other input in float64.

        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target values (class labels in classification, real numbers in
            regression).

        Returns
        -------
        self : object
            Returns a trained model.
        """
        self._validate_params()
        return self._fit(X, y, incremental=False)

    def _fit(self, X, y, incremental):
        """fit (incremental=False) and one epoch of partial_fit (True)."""
        self._refuse_unimplemented(X)
        hidden_layer_sizes = self._hidden_layer_sizes()
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, Y = self._validate_input(X, y, incremental, reset=first_pass)
        units = [X.shape[1], *hidden_layer_sizes, Y.shape[1]]
        random_state = check_random_state(self.random_state)
        if first_pass:
            params = self._initialize(Y, units, X.dtype, random_state)
        else:
            params = self._previous_params(units, X.dtype)
        self._fit_stochastic(X, Y, params, units, random_state, incremental)
        if not np.isfinite(params).all():
            # a warm start or partial_fit trained a copy: the previous
            # coefs_ and intercepts_ are still there
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed."
            )
        self.coefs_, self.intercepts_ = _network.views(params, units)
        return self

    def _refuse_unimplemented(self, X):
        """Options that arrive with full scikit-learn parity are refused by
        name until then, never silently ignored."""
        if scipy.sparse.issparse(X):
            raise NotYetImplementedError(
                "fcnet does not accept sparse X yet; pass a dense array (X.toarray())."
            )
        unimplemented = {
            "solver='lbfgs'": self.solver == "lbfgs",
            f"learning_rate={self.learning_rate!r}": self.learning_rate != "constant",
            "early_stopping=True": self.early_stopping,
            f"loss={getattr(self, 'loss', None)!r}": getattr(self, "loss", None) == "poisson",
        }
        for option, requested in unimplemented.items():
            if requested:
                raise NotYetImplementedError(f"fcnet does not implement {option} yet.")

    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if hasattr(sizes, "__iter__") else [sizes]
        if np.any(np.array(sizes) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _initialize(self, Y, units, dtype, random_state):
        """Reset the fitted attributes; return the new parameter block."""
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(units)
        self.out_activation_ = self._output_activation()
        params = _network.glorot_uniform(units, self.activation, random_state, dtype)
        self.coefs_, self.intercepts_ = _network.views(params, units)
        self.loss_curve_ = []
        self._no_improvement_count = 0
        self.best_loss_ = np.inf
        self.validation_scores_ = None
        self.best_validation_score_ = None
        return params

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

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than "
                "sample size. It is going to be clipped"
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _fit_stochastic(self, X, Y, params, units, random_state, incremental):
        n_samples = X.shape[0]
        batch_size = self._batch_size(n_samples)
        net = _core.Net(units, self.activation, self.out_activation_, self._loss_name())
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = StochasticOptimizer(self, net.n_params, X.dtype)
        # successive partial_fit calls may bring X of another dtype
        self._optimizer.state = self._optimizer.state.astype(X.dtype, copy=False)
        grads = np.empty_like(params)
        workspace = np.empty(net.workspace_len(batch_size), dtype=X.dtype)
        sample_idx = np.arange(n_samples, dtype=np.int64)
        try:
            self.n_iter_ = 0
            for _ in range(self.max_iter):
                if self.shuffle:
                    # what sklearn.utils.shuffle(sample_idx, random_state) does
                    # in scikit-learn's MLP, without its validation overhead
                    permutation = np.arange(n_samples)
                    random_state.shuffle(permutation)
                    sample_idx = sample_idx[permutation]
                summed_loss = _core.train_epoch(
                    net, self._optimizer.core, params, grads, self._optimizer.state,
                    workspace, X, Y, sample_idx, batch_size, self.alpha,
                )
                self.n_iter_ += 1
                # a scalar of X's dtype, as scikit-learn's loss_ is
                self.loss_ = X.dtype.type(summed_loss / n_samples)
                self.t_ += n_samples
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print("Iteration %d, loss = %.8f" % (self.n_iter_, self.loss_))
                if self._training_loss_stalled():
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
        except KeyboardInterrupt:
            warnings.warn("Training interrupted by user.")

    def _training_loss_stalled(self):
        """Count epochs that did not beat the best loss by tol; True once
        there are more than n_iter_no_change of them in a row."""
        if self.loss_curve_[-1] > self.best_loss_ - self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if self.loss_curve_[-1] < self.best_loss_:
            self.best_loss_ = self.loss_curve_[-1]
        return self._no_improvement_count > self.n_iter_no_change

    # ---- prediction ----

    def _forward(self, X):
        """Output activations A[L] for X, computed in C."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32), order="C")
        units = _network.units_of(self.coefs_, self.intercepts_)
        dtype = np.result_type(X.dtype, self.coefs_[0].dtype)
        X = X.astype(dtype, copy=False)
        params = _network.block_of(self.coefs_, self.intercepts_, dtype)
        net = _core.Net(units, self.activation, self.out_activation_, self._loss_name())
        chunk_rows = min(X.shape[0], _PREDICT_CHUNK_ROWS)
        workspace = np.empty(max(1, net.predict_workspace_len(chunk_rows)), dtype=dtype)
        out = np.empty((X.shape[0], units[-1]), dtype=dtype)
        _core.predict(net, out, workspace, params, X, chunk_rows)
        return out


class FCNetClassifier(ClassifierMixin, _BaseFCNet):
    """Multi-layer perceptron classifier trained by fcnet's C core.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`:
    same parameters, defaults, fitted attributes and methods; see its
    documentation for each parameter. For one ``random_state`` it draws the
    same initial weights and the same minibatches, so it trains the same
    network up to rounding.

    Implemented so far: ``solver`` 'sgd' and 'adam' with
    ``learning_rate='constant'``, ``warm_start`` and ``partial_fit``, on dense
    X. The other options raise :class:`NotYetImplementedError` naming
    themselves.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer.
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        Activation function of the hidden layers.
    solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
        The solver for weight optimization.
    alpha : float, default=0.0001
        Strength of the L2 regularization term, divided by the batch size.
    batch_size : int or 'auto', default='auto'
        Minibatch size; 'auto' is ``min(200, n_samples)``.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        Learning rate schedule of sgd.
    learning_rate_init : float, default=0.001
        The initial learning rate.
    power_t : float, default=0.5
        Exponent of the 'invscaling' schedule.
    max_iter : int, default=200
        Maximum number of epochs.
    shuffle : bool, default=True
        Whether to shuffle samples in each epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation and the shuffling.
    tol : float, default=1e-4
        Tolerance for the training loss improvement that stops training.
    verbose : bool, default=False
        Whether to print the loss of each epoch.
    warm_start : bool, default=False
        Reuse the previous solution as initialisation.
    momentum : float, default=0.9
        Momentum of sgd.
    nesterovs_momentum : bool, default=True
        Whether sgd uses Nesterov's momentum.
    early_stopping : bool, default=False
        Stop when a held-out validation score stops improving.
    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of adam's moment estimates.
    epsilon : float, default=1e-8
        Numerical stability term of adam.
    n_iter_no_change : int, default=10
        Epochs without a tol improvement before stopping.
    max_fun : int, default=15000
        Maximum number of loss evaluations of lbfgs.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    loss_ : float
        The loss of the last epoch.
    best_loss_ : float
        The smallest epoch loss reached.
    loss_curve_ : list of shape (n_iter_,)
        The loss of each epoch.
    validation_scores_ : None
        Scores of early stopping (not implemented yet).
    best_validation_score_ : None
        Best score of early stopping (not implemented yet).
    t_ : int
        Number of training samples seen.
    coefs_ : list of shape (n_layers - 1,)
        Weight matrices, coefs_[i] of shape (fan_in, fan_out).
    intercepts_ : list of shape (n_layers - 1,)
        Bias vectors, intercepts_[i] of shape (fan_out,).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.
    n_iter_ : int
        Number of epochs run.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of outputs.
    out_activation_ : str
        Name of the output activation function.
    """

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
    ):
        _store_arguments(self, locals())

    def _validate_input(self, X, y, incremental, reset):
        """X as a C-contiguous float array; y as the 0/1 label indicator matrix Y."""
        X, y = validate_data(
            self, X, y, multi_output=True, dtype=(np.float64, np.float32), order="C",
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
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
        Y = self._label_binarizer.transform(y)
        return X, np.ascontiguousarray(Y, dtype=X.dtype)

    @available_if(_is_stochastic)
    def partial_fit(self, X, y, classes=None):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,)
            The target values.

        classes : array of shape (n_classes,), default=None
            Classes across all calls to partial_fit; required on the first
            call, omitted after it. y need not contain all of them.

        Returns
        -------
        self : object
            Trained model.
        """
        self._validate_params()
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
        return self._fit(X, y, incremental=True)

    def _output_activation(self):
        return "softmax" if self._label_binarizer.y_type_ == "multiclass" else "logistic"

    def _loss_name(self):
        return "log_loss" if self.out_activation_ == "softmax" else "binary_log_loss"

    def predict(self, X):
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
        y_pred = self._forward(X)
        if self.n_outputs_ == 1:
            y_pred = y_pred.ravel()
        return self._label_binarizer.inverse_transform(y_pred)

    def predict_proba(self, X):
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

    def predict_log_proba(self, X):
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
    """Multi-layer perceptron regressor trained by fcnet's C core.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`:
    same parameters (``loss`` first), defaults, fitted attributes and
    methods; see :class:`FCNetClassifier` and scikit-learn's documentation
    for each parameter. Implemented so far: ``loss='squared_error'`` with
    ``solver`` 'sgd' and 'adam' at a constant learning rate, ``warm_start``
    and ``partial_fit``, on dense X; the other options raise
    :class:`NotYetImplementedError` naming themselves.

    Parameters
    ----------
    loss : {'squared_error', 'poisson'}, default='squared_error'
        The loss function to minimise (half squared error).
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate, \
learning_rate_init, power_t, max_iter, shuffle, random_state, tol, verbose, \
warm_start, momentum, nesterovs_momentum, early_stopping, validation_fraction, \
beta_1, beta_2, epsilon, n_iter_no_change, max_fun
        As in :class:`FCNetClassifier`.

    Attributes
    ----------
    loss_, best_loss_, loss_curve_, validation_scores_, best_validation_score_, \
t_, coefs_, intercepts_, n_features_in_, feature_names_in_, n_iter_, n_layers_, \
n_outputs_, out_activation_
        As in :class:`FCNetClassifier`.
    """

    _parameter_constraints: dict = {
        **_BaseFCNet._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
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
    ):
        _store_arguments(self, locals())

    def _validate_input(self, X, y, incremental, reset):
        """X as a C-contiguous float array; y as an (n_samples, n_outputs) Y of X's dtype."""
        X, y = validate_data(
            self,
            X,
            y,
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            order="C",
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        Y = y.reshape(-1, 1) if y.ndim == 1 else y
        return X, np.ascontiguousarray(Y, dtype=X.dtype)

    @available_if(_is_stochastic)
    def partial_fit(self, X, y):
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            The input data.

        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The target values.

        Returns
        -------
        self : object
            Trained model.
        """
        self._validate_params()
        return self._fit(X, y, incremental=True)

    def _output_activation(self):
        return "identity"

    def _loss_name(self):
        return "squared_error"

    def predict(self, X):
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
        y_pred = self._forward(X)
        return y_pred.ravel() if y_pred.shape[1] == 1 else y_pred

