"""FCNetClassifier and FCNetRegressor: scikit-learn's MLP estimators, trained
by fcnet's C core.

What is the estimators' own lives here: parameters, labels, targets, the
fitted attributes, the warnings, the FCNet* and MLP* names. A fit reads, in
call order: fit -> _fit -> _inputs.training_set (X, y, sample weights as the
core takes them) -> _initialize or _previous_params (the parameter block) ->
_training.fit_lbfgs or _training.Epochs (the calls into C). predict reads
_predict.forward.
"""

from __future__ import annotations  # help() shows ArrayLike, not its expansion

import inspect
import warnings
from numbers import Integral, Real
from typing import Self

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.metaestimators import available_if

from fcnet import _core, _inputs, _labels, _network, _predict, _training
from fcnet._callbacks import NO_CONTEXT, CallbackSupportMixin, fit_context, with_callbacks
from fcnet._docstrings import estimator_doc
from fcnet._sklearn_private import (
    Interval,
    Options,
    StrOptions,
    check_optimize_result,
    check_partial_fit_first_call,
)

# scikit-learn's MLP parameters after hidden_layer_sizes and activation, with
# their defaults, in its order; keyword-only in both estimators.
_MLP_KEYWORDS = {
    "solver": "adam",
    "alpha": 0.0001,
    "batch_size": "auto",
    "learning_rate": "constant",
    "learning_rate_init": 0.001,
    "power_t": 0.5,
    "max_iter": 200,
    "shuffle": True,
    "random_state": None,
    "tol": 1e-4,
    "verbose": False,
    "warm_start": False,
    "momentum": 0.9,
    "nesterovs_momentum": True,
    "early_stopping": False,
    "validation_fraction": 0.1,
    "beta_1": 0.9,
    "beta_2": 0.999,
    "epsilon": 1e-8,
    "n_iter_no_change": 10,
    "max_fun": 15000,
}


def _init_taking(positional, keywords):
    """An estimator's __init__: it takes the parameters positional, then
    keywords (each a dict of name: default), and stores each argument under
    its own name, nothing else (scikit-learn's rule). Its signature is
    written out, so that get_params, set_params, clone and help() read the
    parameters off it as they would off a written def; the two estimators
    share most parameters, and each keeps scikit-learn's order (the
    regressor's loss first)."""
    Parameter = inspect.Parameter
    signature = inspect.Signature(
        [Parameter("self", Parameter.POSITIONAL_OR_KEYWORD)]
        + [Parameter(name, Parameter.POSITIONAL_OR_KEYWORD, default=default)
           for name, default in positional.items()]
        + [Parameter(name, Parameter.KEYWORD_ONLY, default=default)
           for name, default in keywords.items()])

    def __init__(self, *args, **kwargs):
        arguments = signature.bind(self, *args, **kwargs)
        arguments.apply_defaults()
        for name, value in list(arguments.arguments.items())[1:]:
            setattr(self, name, value)

    __init__.__signature__ = signature
    return __init__


def _is_stochastic(estimator):
    """Whether the solver is sgd or adam: partial_fit exists for them only,
    as in scikit-learn."""
    return estimator.solver in ("sgd", "adam")


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

    @_training.one_fit_at_a_time
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
        hidden_layer_sizes = _inputs.checked_hidden_layers(self.hidden_layer_sizes)
        # a first pass starts from new weights; others continue from coefs_
        first_pass = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        training_set = _inputs.training_set(self, X, y, sample_weight, incremental, first_pass)
        n_samples, n_features = training_set.X.shape
        dtype = training_set.X.dtype
        units = [n_features, *hidden_layer_sizes, training_set.Y.shape[1]]
        _training.check_memory(self, units, n_samples, dtype)
        if self.dropout > 0 and self.solver == "lbfgs":
            raise ValueError(
                "dropout needs a stochastic solver ('sgd' or 'adam'): lbfgs's line search "
                "needs the same loss at every evaluation, and dropout draws new masks at "
                "every step."
            )
        random_state = _training.random_state(self)
        if first_pass:
            params = self._initialize(training_set.Y, units, dtype, random_state)
        else:
            params = self._previous_params(units, dtype)
        net = _core.Net(units, self.activation, self.out_activation_, self._loss_name(),
                        self._loss_parameter(), self.dropout)
        if self.solver == "lbfgs":
            self._fit_lbfgs(net, training_set, params)
        else:
            epochs = _training.Epochs(self, net, training_set, params, random_state, incremental)
            self._warn_if_batch_size_clipped(epochs.n_samples)
            self._warn_why_stopped(epochs.run(context, X, y))
        if not np.isfinite(params).all():
            # _training.one_fit_at_a_time puts the previous model back
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
            _training.start_records(self, params)
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

    def _loss_parameter(self):
        """The number the core's loss takes besides A and Y (none here)."""
        return 0.0

    def _true_gradient_scale(self):
        """delta[L] scale that makes the gradient that of the reported loss:
        the squared error is averaged over outputs (scikit-learn #8349)."""
        return 1.0 / self.n_outputs_ if self._loss_name() == "squared_error" else 1.0

    def _fit_lbfgs(self, net, training_set, params):
        result = _training.fit_lbfgs(self, net, training_set, params)
        # warns, as scikit-learn does, when lbfgs stopped before converging
        self.n_iter_ = check_optimize_result("lbfgs", result, self.max_iter)
        self.loss_ = result.fun

    def _warn_if_batch_size_clipped(self, n_samples):
        if self.batch_size != "auto" and self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than "
                "sample size. It is going to be clipped"
            )

    def _warn_why_stopped(self, stopped):
        """scikit-learn's MLP's warnings for epochs that ran to max_iter or
        that Ctrl-C stopped."""
        if stopped == _training.REACHED_MAX_ITER:
            warnings.warn(
                "Stochastic Optimizer: Maximum iterations (%d) "
                "reached and the optimization hasn't converged yet." % self.max_iter,
                ConvergenceWarning,
            )
        elif stopped == _training.INTERRUPTED:
            warnings.warn("Training interrupted by user.")

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


class FCNetClassifier(ClassifierMixin, _predict.ClassifierPredictions, _BaseFCNet):
    __doc__ = estimator_doc("classifier", "FCNetClassifier")

    _parameter_constraints: dict = {
        **_BaseFCNet._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    __init__ = _init_taking({"hidden_layer_sizes": (100,), "activation": "relu"},
                            {**_MLP_KEYWORDS, "class_weight": None, "dropout": 0.0})

    def _target_matrix(self, y, learn_labels):
        """The 0/1 label indicator matrix of y; learn_labels: learn them from y."""
        if learn_labels:
            self._label_binarizer = _labels.binarizer(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            _labels.check_classes(y, self.classes_, self.warm_start)
        return self._encode_targets(y)

    def _encode_targets(self, y):
        """y as the 0/1 label indicator matrix of the known classes."""
        return self._label_binarizer.transform(y)

    @available_if(_is_stochastic)
    @_training.one_fit_at_a_time
    def partial_fit(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None,
                    classes: ArrayLike | None = None) -> Self:
        """Update the model with a single epoch over the given data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            The class labels (a label indicator matrix for multilabel).

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, times those of class_weight.

        classes : array of shape (n_classes,), default=None
            Classes across all calls to partial_fit; required on the first
            call, omitted after it. y need not contain all of them.

        Returns
        -------
        self : object
            Trained model.
        """
        self._validate_params_before_partial_fit()
        if check_partial_fit_first_call(self, classes):
            self._label_binarizer = _labels.binarizer_for_partial_fit(y, classes)
        return self._fit(X, y, sample_weight, incremental=True)

    def _output_activation(self):
        return _labels.output_activation(self._label_binarizer)

    def _loss_name(self):
        return "log_loss" if self.out_activation_ == "softmax" else "binary_log_loss"

    def _predictions(self, A):
        """Labels from output activations (or from a 0/1 indicator matrix)."""
        return _labels.decode(self._label_binarizer, A)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    _score_function = staticmethod(accuracy_score)


class FCNetRegressor(RegressorMixin, _predict.Predictions, _BaseFCNet):
    __doc__ = estimator_doc("regressor", "FCNetRegressor")

    _parameter_constraints: dict = {
        **_BaseFCNet._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson", "absolute_error", "huber", "quantile"})],
        "huber_epsilon": [Interval(Real, 0, None, closed="neither")],
        "quantile": [Interval(Real, 0, 1, closed="neither")],
    }

    __init__ = _init_taking(
        {"loss": "squared_error", "hidden_layer_sizes": (100,), "activation": "relu"},
        {**_MLP_KEYWORDS, "dropout": 0.0, "huber_epsilon": 0.1, "quantile": 0.5})

    def _target_matrix(self, y, learn_labels):
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
    @_training.one_fit_at_a_time
    def partial_fit(self, X: ArrayLike, y: ArrayLike,
                    sample_weight: ArrayLike | None = None) -> Self:
        """Update the model with one epoch of the stochastic solver.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The rows of this epoch.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their target values.

        sample_weight : array-like of shape (n_samples,), default=None
            The weights of the rows in the loss.

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

# scikit-learn's class names for the same estimators: with them, pipeline step
# names, reprs and get_params keys are scikit-learn's (see README, "Drop-in").


class MLPClassifier(FCNetClassifier):
    __doc__ = estimator_doc("classifier", "MLPClassifier")


class MLPRegressor(FCNetRegressor):
    __doc__ = estimator_doc("regressor", "MLPRegressor")
