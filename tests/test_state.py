"""What an estimator's state promises: predict always answers with the current
coefs_ and intercepts_; a fit or partial_fit that raises leaves no trace; the
per-epoch records of a fit agree, even after Ctrl-C; one estimator trains one
fit at a time; float32 training refuses targets and weights it cannot hold."""

import copy
import io
import os
import pickle
import signal
import sys
import threading
import warnings

import joblib
import matplotlib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal, assert_equal
from sklearn.base import clone
from sklearn.datasets import make_classification, make_regression
from weights import assert_same_weights

import fcnet
from fcnet import FCNetClassifier, FCNetRegressor, _core, _training

matplotlib.use("Agg")



@pytest.fixture
def regression_200x5():
    """make_regression's 200 samples of 5 features, the target scaled to order 1."""
    X, y = make_regression(n_samples=200, n_features=5, random_state=0)
    return X, y / 100


# ---- predict never answers with stale weights ----

def pickled(model):
    return pickle.loads(pickle.dumps(model))


def joblib_round_trip(model):
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


def fcnet_round_trip(model):
    buffer = io.BytesIO()
    fcnet.save(model, buffer)
    buffer.seek(0)
    return fcnet.load(buffer)


def assigned_copies(model):
    model.coefs_ = [c.copy() for c in model.coefs_]
    model.intercepts_ = [b.copy() for b in model.intercepts_]
    return model


@pytest.mark.parametrize("x_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("model_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("obtained", [lambda m: m, copy.deepcopy, pickled, joblib_round_trip,
                                      fcnet_round_trip, assigned_copies],
                         ids=["fitted", "deepcopy", "pickle", "joblib", "fcnet.save",
                              "assigned"])
def test_predict_sees_in_place_edits_of_the_weights(regression_200x5, obtained, model_dtype,
                                                    x_dtype):
    X, y = regression_200x5
    model = obtained(FCNetRegressor(hidden_layer_sizes=(6,), max_iter=3,
                                    random_state=0).fit(X.astype(model_dtype), y))
    X = X.astype(x_dtype)
    before = model.predict(X)  # fills whatever predict keeps between calls
    model.intercepts_[-1][...] += 1000.0
    assert_allclose(model.predict(X) - before, 1000.0, atol=1e-3)
    model.coefs_[-1][...] = 0.0
    assert_allclose(model.predict(X), model.intercepts_[-1][0], rtol=1e-6)


def test_predict_sees_a_replaced_layer(regression_200x5):
    X, y = regression_200x5
    model = FCNetRegressor(hidden_layer_sizes=(6,), max_iter=3, random_state=0).fit(X, y)
    model.predict(X)
    model.intercepts_[-1] = model.intercepts_[-1] + 1000.0
    reference = FCNetRegressor(hidden_layer_sizes=(6,), max_iter=3, random_state=0).fit(X, y)
    assert_allclose(model.predict(X), reference.predict(X) + 1000.0)


def test_unpickled_weights_are_views_of_one_block_again(regression_200x5):
    """So that predict needs no packed copy of them after pickle, deepcopy or joblib."""
    X, y = regression_200x5
    model = pickled(FCNetRegressor(hidden_layer_sizes=(6, 4), max_iter=3,
                                   random_state=0).fit(X, y))
    block = model.coefs_[0].base
    assert block is not None and all(a.base is block for a in model.coefs_ + model.intercepts_)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predict_on_large_finite_input_warns_of_nothing(dtype):
    X, y = make_regression(n_samples=50, n_features=4, random_state=0)
    model = FCNetRegressor(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    model.fit(X.astype(dtype), y / 100)
    large = np.full((3, 4), np.finfo(dtype).max / 2, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert model.predict(large).shape == (3,)


# ---- a rejected fit leaves no trace ----

def state_of(value):
    """The estimator's attributes as plain, comparable copies."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return [state_of(v) for v in value]
    if isinstance(value, dict):
        return {k: state_of(v) for k, v in value.items()}
    if isinstance(value, _core.Optimizer):
        return value.__reduce__()[1]
    if hasattr(value, "__dict__"):
        return (type(value).__name__, state_of(vars(value)))
    return value


def diverge(model, X, y, call, **fit_params):
    with pytest.raises(ValueError, match="non-finite parameter weights"):
        getattr(model, call)(X * 1e200, y * 1e200, **fit_params)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_a_diverging_partial_fit_leaves_no_trace(regression_200x5, solver):
    X, y = regression_200x5
    model = FCNetRegressor(hidden_layer_sizes=(5,), solver=solver, learning_rate="invscaling",
                           random_state=0)
    twin = copy.deepcopy(model)
    for m in (model, twin):
        m.partial_fit(X, y)
    saved = state_of(vars(model))
    diverge(model, X, y, "partial_fit")
    assert_equal(state_of(vars(model)), saved)
    for m in (model, twin):
        m.partial_fit(X, y)  # clean data trains on, as if the rejected call never was
    assert_equal(state_of(vars(model)), state_of(vars(twin)))


def test_a_diverging_first_partial_fit_leaves_the_classifier_unfitted():
    X, y = make_classification(n_samples=100, n_features=5, random_state=0)
    model = FCNetClassifier(hidden_layer_sizes=(5,), solver="sgd", batch_size=10, random_state=0)
    saved = state_of(vars(model))
    with pytest.raises(ValueError, match="non-finite parameter weights"):
        model.partial_fit(X * 1e300, y, classes=[0, 1])
    assert_equal(state_of(vars(model)), saved)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        model.partial_fit(X, y)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("warm_start", [True, False])
def test_a_diverging_fit_leaves_the_previous_model(regression_200x5, solver, warm_start):
    X, y = regression_200x5
    model = FCNetRegressor(hidden_layer_sizes=(5,), solver=solver, max_iter=3,
                           warm_start=warm_start, random_state=0).fit(X, y)
    saved = state_of(vars(model))
    diverge(model, X, y, "fit")
    assert_equal(state_of(vars(model)), saved)
    assert np.isfinite(model.predict(X)).all()


@pytest.mark.parametrize("solver, core_call", [("lbfgs", "forward_backward"),
                                               ("adam", "train_epoch")])
def test_a_fit_that_fails_midway_leaves_the_previous_model(regression_200x5, monkeypatch, solver,
                                                           core_call):
    X, y = regression_200x5
    model = FCNetRegressor(hidden_layer_sizes=(5,), solver=solver, max_iter=5,
                           warm_start=True, random_state=0).fit(X, y)
    saved = state_of(vars(model))
    real_call, calls = getattr(_core, core_call), []

    def fails_on_the_third_call(*args):
        calls.append(1)
        if len(calls) == 3:
            raise MemoryError
        return real_call(*args)

    monkeypatch.setattr(_core, core_call, fails_on_the_third_call)
    with pytest.raises(MemoryError):
        model.fit(X, y)
    assert_equal(state_of(vars(model)), saved)


# ---- one fit at a time ----

@pytest.mark.parametrize("second", ["fit", "partial_fit"])
def test_a_second_fit_while_one_runs_is_refused_and_changes_nothing(monkeypatch, second):
    X, y = make_regression(n_samples=500, n_features=8, random_state=0)
    y /= 100
    reference = FCNetRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    train_epoch = _core.train_epoch
    inside, release = threading.Event(), threading.Event()

    def train_epoch_held_once(*args):
        if not inside.is_set():
            inside.set()
            release.wait(timeout=60)
        return train_epoch(*args)

    monkeypatch.setattr(_core, "train_epoch", train_epoch_held_once)
    model = FCNetRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    first = threading.Thread(target=model.fit, args=(X, y))
    first.start()
    try:
        assert inside.wait(timeout=60)
        with pytest.raises(RuntimeError, match="already running"):
            getattr(model, second)(X.astype(np.float32), y)
    finally:
        release.set()
        first.join()
    assert model.n_iter_ == 5 == len(model.loss_curve_)
    assert_same_weights(model, reference)


def test_fits_of_one_estimator_from_many_threads_never_mix():
    X, y = make_regression(n_samples=2000, n_features=8, random_state=0)
    y /= 100
    reference = FCNetRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X, y)
    model = FCNetRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0)
    barrier, outcomes = threading.Barrier(4), []

    def work():
        barrier.wait()
        try:
            model.fit(X, y)
            outcomes.append("fitted")
        except RuntimeError as error:
            outcomes.append(str(error))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert "fitted" in outcomes
    assert all(o == "fitted" or "already running" in o for o in outcomes)
    assert model.n_iter_ == 5 == len(model.loss_curve_) and model.t_ == 5 * len(X)
    for mine, theirs in zip(model.coefs_, reference.coefs_):
        assert_array_equal(mine, theirs)


# ---- the per-epoch records of a fit agree, interrupted or not ----

def assert_records_agree(model, n_train):
    assert len(model.loss_curve_) == model.n_iter_
    assert model.t_ == model.n_iter_ * n_train
    if model.early_stopping:
        assert len(model.validation_scores_) == len(model.validation_loss_curve_) == model.n_iter_
        assert model.best_validation_score_ == max(model.validation_scores_, default=-np.inf)
    else:
        assert model.best_loss_ == min(model.loss_curve_, default=np.inf)


def early_stopping_classifier():
    X, y = make_classification(n_samples=300, n_features=6, random_state=0)
    model = FCNetClassifier(hidden_layer_sizes=(8,), early_stopping=True, max_iter=4, tol=0,
                            random_state=0)
    return model, X, y, 270  # 10% held out


def test_ctrl_c_during_validation_scoring_drops_the_whole_epoch(monkeypatch):
    """The validation split is scored in C, where no signal is looked at: a
    Ctrl-C that arrives there surfaces after the epoch's loss was recorded."""
    predict = _core.predict
    calls = []

    def predict_then_ctrl_c(*args):
        out = predict(*args)
        calls.append(1)
        if len(calls) == 3:  # scoring epoch 3
            os.kill(os.getpid(), signal.SIGINT)
        return out

    monkeypatch.setattr(_core, "predict", predict_then_ctrl_c)
    model, X, y, n_train = early_stopping_classifier()
    with pytest.warns(UserWarning, match="Training interrupted by user."):
        model.fit(X, y)
    monkeypatch.undo()
    assert model.n_iter_ == 2
    assert_records_agree(model, n_train)
    fcnet.LossCurveDisplay.from_estimator(model)


def fit_with_ctrl_c_at_line(model, X, y, line):
    """model.fit(X, y) with KeyboardInterrupt raised at the line-th line of
    the epoch loop (_training.Epochs) that runs (never, for None); returns how
    many ran."""
    codes = {method.__code__ for method in vars(_training.Epochs).values()
             if hasattr(method, "__code__")}
    count = [0]

    def tracer(frame, event, arg):
        if frame.f_code not in codes:
            return None
        count[0] += 1
        if count[0] == line:
            raise KeyboardInterrupt
        return tracer

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        model.fit(X, y)
    except KeyboardInterrupt:
        pass  # raised outside the epochs: the fit passes it on, having changed nothing
    finally:
        sys.settrace(previous)
    return count[0]


# each interrupted epoch warns as scikit-learn does; the records are what is checked
@pytest.mark.filterwarnings("ignore:Training interrupted by user.:UserWarning")
@pytest.mark.parametrize("early_stopping", [True, False])
def test_ctrl_c_at_any_line_of_the_epoch_loop_leaves_agreeing_records(early_stopping):
    model, X, y, n_train = early_stopping_classifier()
    model.set_params(early_stopping=early_stopping)
    n_train = n_train if early_stopping else len(X)
    n_lines = fit_with_ctrl_c_at_line(clone(model), X, y, None)
    assert n_lines > 50
    for line in range(1, n_lines + 1):
        interrupted = clone(model)
        fit_with_ctrl_c_at_line(interrupted, X, y, line)
        if hasattr(interrupted, "coefs_"):
            assert_records_agree(interrupted, n_train)
        else:
            assert_equal(state_of(vars(interrupted)), state_of(vars(model)))


# ---- float32 training and what it cannot hold ----

@pytest.mark.parametrize("scale", [1e30, 1e39])
def test_float32_training_refuses_targets_whose_squares_it_cannot_hold(scale):
    X, y = make_regression(n_samples=100, n_features=4, random_state=0)
    model = FCNetRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    with pytest.raises(ValueError, match="y has values as large as .*float32.*float64"):
        model.fit(X.astype(np.float32), y * scale)
    # in float64 they train, as in scikit-learn
    model.fit(X, y * scale)
    assert np.isfinite(model.loss_) and model.loss_ > 1e50


def test_float32_training_refuses_sample_weights_whose_sum_it_cannot_hold():
    X, y = make_classification(n_samples=100, n_features=4, random_state=0)
    weights = np.full(100, 1e38, dtype=np.float32)
    model = FCNetClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    with pytest.raises(ValueError, match="sample_weight sums to .*float32.*alpha"):
        model.fit(X.astype(np.float32), y, sample_weight=weights)
    model.fit(X, y, sample_weight=weights)  # float64 holds them
    assert np.isfinite(model.loss_)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sample_weights_summing_to_zero_are_refused(dtype):
    X, y = make_classification(n_samples=100, n_features=4, random_state=0)
    with pytest.raises(ValueError, match="Weights sum to zero"):
        FCNetClassifier(max_iter=2).fit(X.astype(dtype), y, sample_weight=np.tile([1.0, -1.0], 50))
