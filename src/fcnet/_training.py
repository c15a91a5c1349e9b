"""Training the parameter block, as scikit-learn's MLP trains it: lbfgs over
the whole training set, or epochs of minibatches (sgd, adam) with the
validation split, the per-epoch records and the stopping rule.

lbfgs hands scipy a function whose loss and gradient come from one C call
(_core.forward_backward); each epoch of sgd or adam is one C call
(_core.train_epoch) that runs every minibatch, after which Python records the
loss, scores the validation split and decides whether to stop.

The warnings a fit may end with are the estimators' to give (see
_estimators.py): this module reports why training stopped. A fit runs all
or nothing, one at a time per estimator (one_fit_at_a_time).
"""

import functools
import threading
import weakref
from numbers import Integral

import numpy as np
import scipy
import scipy.optimize
from sklearn.base import is_classifier
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state

from fcnet import _core, _network, _predict
from fcnet._fitted import CURVES
from fcnet._inputs import TrainingSet
from fcnet._optimizers import StochasticOptimizer

# Why the epochs of a fit stopped, where the estimator warns of it
REACHED_MAX_ITER = "reached max_iter"
INTERRUPTED = "interrupted"

# scipy 1.15 deprecated L-BFGS-B's iprint, which prints nothing since
_LBFGS_TAKES_IPRINT = tuple(int(part) for part in scipy.__version__.split(".")[:2]) < (1, 15)

# Each estimator's lock, held while one of its fits runs (see one_fit_at_a_time).
_FIT_LOCKS = weakref.WeakKeyDictionary()

# Each estimator's RandomState for an int random_state, reseeded at every fit
# (see random_state): building one costs 120 us, reseeding it 2 us, which
# matters to partial_fit on small blocks. Fits are one at a time per
# estimator, so its RandomState is never used by two at once.
_RANDOM_STATES = weakref.WeakKeyDictionary()


class Checkpoint:
    """An estimator's attributes at one moment, to go back to. A fit trains
    a new optimizer, or a copy of the previous one, whose learning rate the
    schedules change in place; the curves only grow, so their lengths are
    enough."""

    def __init__(self, estimator):
        self.attributes = dict(estimator.__dict__)
        self.curve_lengths = {name: len(self.attributes[name]) for name in CURVES
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


def one_fit_at_a_time(method):
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
            before = Checkpoint(self)
            try:
                return method(self, *args, **kwargs)
            except BaseException:
                before.restore(self)
                raise
        finally:
            lock.release()

    return exclusive_method


def random_state(estimator):
    """check_random_state(estimator.random_state): for an int, a RandomState
    seeded with it, as new."""
    if not isinstance(estimator.random_state, Integral):
        return check_random_state(estimator.random_state)
    generator = _RANDOM_STATES.get(estimator)
    if generator is None:
        generator = _RANDOM_STATES[estimator] = np.random.RandomState()
    generator.seed(estimator.random_state)
    return generator


def check_memory(estimator, units, n_samples, dtype):
    """Refuse, before allocating, a network whose blocks and workspaces
    would not fit in memory (e.g. hidden_layer_sizes=(10**9,))."""
    _network.check_memory(
        _network.fit_bytes(units, dtype, estimator.solver, n_samples,
                           batch_size(estimator, n_samples), estimator.dropout),
        f"A network of layer sizes {units}",
    )


def batch_size(estimator, n_samples):
    """The minibatch size of sgd and adam: batch_size, clipped to [1, n_samples]."""
    if estimator.batch_size == "auto":
        return min(200, n_samples)
    return int(np.clip(estimator.batch_size, 1, n_samples))


def fit_lbfgs(estimator, net, training_set, params):
    """Train params in place with scipy's L-BFGS-B; returns scipy's result."""
    X, Y, sample_weight = training_set
    inputs = _core.Input(X)
    grads = np.empty_like(params)
    workspace = np.empty(net.backprop_workspace_len(X.shape[0]), dtype=params.dtype)
    delta_scale = estimator._true_gradient_scale()

    def loss_and_gradient(packed):
        params[:] = packed
        loss = _core.forward_backward(
            net, grads, workspace, params, inputs, Y, sample_weight, estimator.alpha, delta_scale
        )
        return loss, grads.astype(np.float64)  # a copy: scipy keeps it

    iprint = 1 if estimator.verbose is True or estimator.verbose >= 1 else -1
    result = scipy.optimize.minimize(
        loss_and_gradient,
        params.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        options={
            "maxfun": estimator.max_fun,
            "maxiter": estimator.max_iter,
            "gtol": estimator.tol,
            **({"iprint": iprint} if _LBFGS_TAKES_IPRINT else {}),
        },
    )
    params[:] = result.x
    return result


def start_records(estimator, params):
    """The per-epoch records of the stochastic solvers, as scikit-learn keeps them."""
    estimator.loss_curve_ = []
    estimator._no_improvement_count = 0
    if estimator.early_stopping:
        estimator.validation_scores_ = []
        estimator.validation_loss_curve_ = []
        estimator.best_validation_score_ = -np.inf
        estimator.best_loss_ = None
        estimator._best_params = params.copy()
    else:
        estimator.best_loss_ = np.inf
        estimator.validation_scores_ = None
        estimator.validation_loss_curve_ = None
        estimator.best_validation_score_ = None


def validation_split(estimator, training_set, random_state):
    """scikit-learn's split of the training set into what trains and what
    scores each epoch: the same call on the same generator, stratified for
    one output unit (binary classification)."""
    X, Y, sample_weight = training_set
    stratify = Y.astype(bool) if is_classifier(estimator) and Y.shape[1] == 1 else None
    arrays = [X, Y] if sample_weight is None else [X, Y, sample_weight]
    split = train_test_split(
        *arrays,
        random_state=random_state,
        test_size=estimator.validation_fraction,
        stratify=stratify,
    )
    X_train, X_val, Y_train, Y_val = split[:4]
    sw_train, sw_val = split[4:] if sample_weight is not None else (None, None)
    if X_val.shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' "
            "or the size of your dataset."
        )
    return TrainingSet(X_train, Y_train, sw_train), TrainingSet(X_val, Y_val, sw_val)


class Epochs:
    """The epochs of sgd or adam in one fit (one epoch in partial_fit): each
    is one call into C that runs every minibatch; after it, in Python, the
    records, the learning-rate schedule, the stopping rule and the
    callbacks. Built for one fit, it holds that fit's buffers."""

    def __init__(self, estimator, net, training_set, params, random_state, incremental):
        self.estimator, self.net, self.params = estimator, net, params
        self.random_state, self.incremental = random_state, incremental
        X = training_set.X
        if incremental and hasattr(estimator, "_optimizer"):
            # partial_fit trains a copy, in X's dtype (successive calls may
            # bring either): a call that raises leaves the previous one intact
            estimator._optimizer = estimator._optimizer.copy(X.dtype)
        else:
            estimator._optimizer = StochasticOptimizer(
                estimator, net.optimizer_state_len(estimator.solver), X.dtype)
        if not hasattr(estimator, "loss_curve_") or (
            estimator.early_stopping and estimator.validation_scores_ is None
        ):  # a warm start after lbfgs, or with early stopping newly on
            start_records(estimator, params)
        if estimator.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        self.validation = None
        if estimator.early_stopping:
            training_set, self.validation = validation_split(estimator, training_set, random_state)
        self.training_set = training_set
        self.n_samples = training_set.X.shape[0]
        self.batch_size = batch_size(estimator, self.n_samples)
        # the key of this fit's dropout masks; each epoch's are told apart by t_
        self.dropout_seed = (random_state.randint(np.iinfo(np.int64).max)
                             if estimator.dropout > 0 else 0)
        self.inputs = _core.Input(training_set.X)
        self.grads = np.empty_like(params)
        self.workspace = np.empty(net.epoch_workspace_len(self.batch_size), dtype=X.dtype)
        self.sample_idx = np.arange(self.n_samples, dtype=np.int64)

    def run(self, context, X, y):
        """Train up to max_iter epochs, or one for partial_fit. context: the
        callbacks' root context; X, y: the data as the user gave it, which
        callbacks score on. Returns REACHED_MAX_ITER, INTERRUPTED or None."""
        estimator = self.estimator
        estimator.n_iter_ = 0
        stopped = self._epochs(context, {"estimator": estimator, "X": X, "y": y})
        if self.validation is not None:
            self.params[:] = estimator._best_params
        return stopped

    def _epochs(self, context, callback_arguments):
        """The loop over epochs; returns why it ended (see run)."""
        estimator = self.estimator
        # Ctrl-C may surface anywhere in an epoch, its records included: they
        # go back to the last epoch recorded in full (the weights keep what
        # the batches did)
        recorded = Checkpoint(estimator)
        try:
            for _ in range(estimator.max_iter):
                epoch = context.subcontext(task_name=f"epoch {estimator.n_iter_ + 1}")
                epoch.call_on_fit_task_begin(**callback_arguments)
                self._train_one_epoch()
                if self._stops(epoch, callback_arguments) or self.incremental:
                    return None
                recorded = Checkpoint(estimator)
        except KeyboardInterrupt:
            recorded.restore(estimator)
            return INTERRUPTED
        return REACHED_MAX_ITER

    def _train_one_epoch(self):
        """One epoch in C, then its records and the learning-rate schedule."""
        estimator, X = self.estimator, self.training_set.X
        if estimator.shuffle:
            # what sklearn.utils.shuffle(sample_idx, random_state) does in
            # scikit-learn's MLP, without its validation overhead
            permutation = np.arange(self.n_samples)
            self.random_state.shuffle(permutation)
            self.sample_idx = self.sample_idx[permutation]
        summed_loss = _core.train_epoch(
            self.net, estimator._optimizer.core, self.params, self.grads,
            estimator._optimizer.state, self.workspace, self.inputs, self.training_set.Y,
            self.training_set.sample_weight, self.sample_idx, self.batch_size, estimator.alpha,
            self.dropout_seed, estimator.t_,
        )
        estimator.n_iter_ += 1
        # a scalar of X's dtype, as scikit-learn's loss_ is
        estimator.loss_ = X.dtype.type(summed_loss / self.n_samples)
        estimator.t_ += self.n_samples
        estimator.loss_curve_.append(estimator.loss_)
        if estimator.verbose:
            print("Iteration %d, loss = %.8f" % (estimator.n_iter_, estimator.loss_))
        self._update_no_improvement_count()
        estimator._optimizer.iteration_ends(estimator.t_)

    def _stops(self, epoch, callback_arguments):
        """Whether training stops after this epoch: a callback asks it, or
        the loss (or validation score) has stalled for n_iter_no_change
        epochs and the learning-rate schedule has nothing left to try."""
        estimator = self.estimator
        if epoch.call_on_fit_task_end(**callback_arguments,
                                      reconstruction_attributes=self._state_now):
            return True
        if estimator._no_improvement_count <= estimator.n_iter_no_change:
            return False
        stalled = ("Validation score" if self.validation is not None else "Training loss")
        msg = "%s did not improve more than tol=%f for %d consecutive epochs." % (
            stalled, estimator.tol, estimator.n_iter_no_change)
        if estimator._optimizer.trigger_stopping(msg, estimator.verbose):
            return True
        estimator._no_improvement_count = 0
        return False

    def _state_now(self):
        """The fitted attributes of a model stopped now, for the callbacks."""
        estimator = self.estimator
        coefs, intercepts = _network.views(self.params.copy(), list(self.net.units))
        return {"coefs_": coefs, "intercepts_": intercepts, "n_iter_": estimator.n_iter_,
                "loss_curve_": list(estimator.loss_curve_), "t_": estimator.t_}

    def _update_no_improvement_count(self):
        """Count epochs without a tol improvement of the training loss, or with
        early stopping of the validation score (keeping the best weights)."""
        estimator = self.estimator
        if self.validation is None:
            if estimator.loss_curve_[-1] > estimator.best_loss_ - estimator.tol:
                estimator._no_improvement_count += 1
            else:
                estimator._no_improvement_count = 0
            if estimator.loss_curve_[-1] < estimator.best_loss_:
                estimator.best_loss_ = estimator.loss_curve_[-1]
            return
        last_score = self._score_validation_split()
        # a NaN score compares False both ways: it resets the count, as in scikit-learn
        if last_score < estimator.best_validation_score_ + estimator.tol:
            estimator._no_improvement_count += 1
        else:
            estimator._no_improvement_count = 0
        if last_score > estimator.best_validation_score_:
            estimator.best_validation_score_ = last_score
            estimator._best_params = self.params.copy()

    def _score_validation_split(self):
        """Record the validation score and loss of this epoch; returns the score."""
        estimator = self.estimator
        X_val, Y_val, sw_val = self.validation
        A = _predict.output_activations(self.net, self.params, X_val)
        estimator.validation_scores_.append(_validation_score(estimator, A, Y_val, sw_val))
        estimator.validation_loss_curve_.append(
            _core.loss(A, Y_val, estimator._loss_name(), sw_val, estimator._loss_parameter()))
        if estimator.verbose:
            print("Validation score: %f" % estimator.validation_scores_[-1])
        return estimator.validation_scores_[-1]


def _validation_score(estimator, A, Y, sample_weight):
    """scikit-learn's _score: accuracy or R^2, NaN for non-finite predictions."""
    y_pred = estimator._predictions(A)
    if np.issubdtype(y_pred.dtype, np.floating) and not np.isfinite(y_pred).all():
        return np.nan
    return estimator._score_function(estimator._predictions(Y), y_pred,
                                     sample_weight=sample_weight)
