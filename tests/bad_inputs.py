"""Malformed inputs, each tried in a process of its own.

Run as a script, this forks one child per case (which starts a thread team
of its own, as every forked child does), waits for it at most
TIMEOUT seconds and prints one JSON line per case: what the child reported,
or that it crashed (a signal) or hung. tests/test_bad_input.py checks them.
"""

import json
import os
import signal
import sys
import time
import warnings

import numpy as np
import pandas as pd
import scipy.sparse
from sklearn.exceptions import NotFittedError

import fcnet
from fcnet import FCNetClassifier, FCNetRegressor, _core

TIMEOUT = 20
RNG = np.random.default_rng(0)
X = RNG.standard_normal((40, 3))
y_class = np.arange(40) % 3
y_reg = RNG.standard_normal(40)


def with_value(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


def fit(X=X, y=y_class, cls=FCNetClassifier, sample_weight=None, **params):
    cls(max_iter=2, **params).fit(X, y, sample_weight=sample_weight)


def predict(X_new, cls=FCNetClassifier):
    model = cls(max_iter=2).fit(X, y_class if cls is FCNetClassifier else y_reg)
    return model.predict(X_new)


def predict_through_core(n_inputs, column):
    """The bridge on its own: a sparse X of n_inputs columns, one row with its
    one nonzero in column, predicted with buffers as the core sizes them."""
    net = _core.Net([n_inputs, 4, 1], "relu", "identity", "squared_error")
    X = scipy.sparse.csr_matrix(([1.0], ([0], [column])), shape=(1, n_inputs))
    workspace = np.empty(net.predict_workspace_len(1))
    _core.predict(net, np.empty((1, 1)), workspace, np.zeros(net.n_params), _core.Input(X), 1)


def load_from(target):
    fcnet.load(target)


BAD = (ValueError, TypeError)
# name: (what to run, the exceptions it must raise; None: it must work)
CASES = {
    "NaN in X": (lambda: fit(with_value(X, (0, 0), np.nan)), BAD),
    "inf in X": (lambda: fit(with_value(X, (3, 1), np.inf)), BAD),
    "-inf in X": (lambda: fit(with_value(X, (3, 1), -np.inf)), BAD),
    "NaN in regression y": (lambda: fit(y=with_value(y_reg, 5, np.nan), cls=FCNetRegressor), BAD),
    "inf in regression y": (lambda: fit(y=with_value(y_reg, 5, np.inf), cls=FCNetRegressor), BAD),
    "NaN label": (lambda: fit(y=with_value(y_class, 5, np.nan)), BAD),
    "NaN in sample_weight": (lambda: fit(sample_weight=with_value(np.ones(40), 2, np.nan)), BAD),
    "inf in sample_weight": (lambda: fit(sample_weight=with_value(np.ones(40), 2, np.inf)), BAD),
    "all-zero sample_weight": (lambda: fit(sample_weight=np.zeros(40)), BAD),
    "sample_weight too short": (lambda: fit(sample_weight=np.ones(39)), BAD),
    "empty X": (lambda: fit(np.empty((0, 3)), np.empty(0)), BAD),
    "zero features": (lambda: fit(np.empty((40, 0))), BAD),
    "1-D X": (lambda: fit(X[:, 0]), BAD),
    "3-D X": (lambda: fit(X.reshape(40, 3, 1)), BAD),
    "object X of strings": (lambda: fit(np.full((40, 3), "a", dtype=object)), BAD),
    "string X": (lambda: fit(np.full((40, 3), "a")), BAD),
    "complex X": (lambda: fit(X + 1j), BAD),
    "bool X (works, as in scikit-learn)": (lambda: fit(X > 0), None),
    "numpy string parameters (work, as in scikit-learn)": (
        lambda: fit(y=y_reg, cls=FCNetRegressor, activation=np.str_("tanh"),
                    loss=np.str_("squared_error")), None),
    "big-endian X (works)": (lambda: fit(X.astype(">f8")), None),
    "non-contiguous X (works)": (lambda: fit(np.repeat(X, 2, axis=1)[:, ::2]), None),
    "Fortran-ordered X (works)": (lambda: fit(np.asfortranarray(X)), None),
    "float16 X (works)": (lambda: fit(X.astype(np.float16)), None),
    "X and y lengths differ": (lambda: fit(X, y_class[:-1]), BAD),
    "a single class (works, as in scikit-learn)": (lambda: fit(y=np.zeros(40)), None),
    "string regression targets": (lambda: fit(y=np.full(40, "a"), cls=FCNetRegressor), BAD),
    "wrong feature count at predict": (lambda: predict(X[:, :2]), BAD),
    "predict before fit": (lambda: FCNetClassifier().predict(X), (NotFittedError,)),
    "predict_proba before fit": (lambda: FCNetClassifier().predict_proba(X), (NotFittedError,)),
    "NaN at predict": (lambda: predict(with_value(X, (1, 1), np.nan)), BAD),
    "hidden_layer_sizes (0,)": (lambda: fit(hidden_layer_sizes=(0,)), BAD),
    "hidden_layer_sizes (-3,)": (lambda: fit(hidden_layer_sizes=(-3,)), BAD),
    "hidden_layer_sizes 0": (lambda: fit(hidden_layer_sizes=0), BAD),
    "hidden_layer_sizes (2.5,)": (lambda: fit(hidden_layer_sizes=(2.5,)), BAD),
    "hidden_layer_sizes 'ten'": (lambda: fit(hidden_layer_sizes="ten"), BAD),
    "batch_size 0": (lambda: fit(batch_size=0), BAD),
    "batch_size 'big'": (lambda: fit(batch_size="big"), BAD),
    "learning_rate_init 0": (lambda: fit(learning_rate_init=0.0), BAD),
    "learning_rate_init -1": (lambda: fit(learning_rate_init=-1.0), BAD),
    "activation 'swish'": (lambda: fit(activation="swish"), BAD),
    "solver 'newton'": (lambda: fit(solver="newton"), BAD),
    "learning_rate 'cyclic'": (lambda: fit(learning_rate="cyclic"), BAD),
    "loss 'log_cosh'": (lambda: fit(y=y_reg, cls=FCNetRegressor, loss="log_cosh"), BAD),
    "huber_epsilon 0": (lambda: fit(y=y_reg, cls=FCNetRegressor, loss="huber",
                                    huber_epsilon=0.0), BAD),
    "quantile 1": (lambda: fit(y=y_reg, cls=FCNetRegressor, loss="quantile", quantile=1.0), BAD),
    "dropout 1": (lambda: fit(dropout=1.0), BAD),
    "dropout with lbfgs": (lambda: fit(dropout=0.5, solver="lbfgs"), BAD),
    "alpha -1": (lambda: fit(alpha=-1.0), BAD),
    "momentum 2": (lambda: fit(momentum=2.0), BAD),
    "beta_1 1": (lambda: fit(beta_1=1.0), BAD),
    "epsilon 0": (lambda: fit(epsilon=0.0), BAD),
    "max_iter 0": (lambda: FCNetClassifier(max_iter=0).fit(X, y_class), BAD),
    "tol -1": (lambda: fit(tol=-1.0), BAD),
    "validation_fraction 1": (lambda: fit(validation_fraction=1.0, early_stopping=True), BAD),
    "n_iter_no_change 0": (lambda: fit(n_iter_no_change=0), BAD),
    "max_fun 0": (lambda: fit(solver="lbfgs", max_fun=0), BAD),
    "class_weight 'heavy'": (lambda: fit(class_weight="heavy"), BAD),
    "sparse X with NaN": (lambda: fit(scipy.sparse.csr_matrix(with_value(X, (0, 0), np.nan))), BAD),
    "pandas X with NaN": (lambda: fit(pd.DataFrame(with_value(X, (2, 2), np.nan))), BAD),
    "hidden_layer_sizes (10**9,)": (lambda: fit(hidden_layer_sizes=(10**9,)), (MemoryError,) + BAD),
    "hidden_layer_sizes (10**6, 10**6)": (
        lambda: fit(hidden_layer_sizes=(10**6, 10**6)), (MemoryError,) + BAD),
    "core predict on 5 inputs (works)": (lambda: predict_through_core(5, 3), None),
    "core net whose parameter count overflows": (lambda: predict_through_core(2**62, 2**40), BAD),
    "core net of 2**64 inputs": (lambda: predict_through_core(2**64, 2**40), BAD),
    "core workspace that overflows": (
        lambda: _core.Net([1, 2**31, 1], "relu", "identity", "squared_error")
        .predict_workspace_len(2**40), BAD),
    "core workspace for -1 rows": (
        lambda: _core.Net([1, 2, 1], "relu", "identity", "squared_error")
        .backprop_workspace_len(-1), BAD),
    "load(None)": (lambda: load_from(None), (TypeError,)),
    "load(3)": (lambda: load_from(3), (TypeError,)),
    "load(a bytes path)": (lambda: load_from(os.fsencode(__file__)), (TypeError,)),
    "load(a text file)": (lambda: load_from(open(__file__)), (TypeError,)),
    "load(a directory)": (lambda: load_from(os.path.dirname(__file__)), (ValueError,)),
    "load(this script)": (lambda: load_from(__file__), (ValueError,)),
    "save(model, None)": (lambda: fcnet.save(FCNetClassifier(max_iter=2).fit(X, y_class), None),
                          (TypeError,)),
    "float32 X, regression y of 1e30": (
        lambda: fit(X.astype(np.float32), y_reg * 1e30, cls=FCNetRegressor), BAD),
    "float32 X, regression y of 1e39": (
        lambda: fit(X.astype(np.float32), y_reg * 1e39, cls=FCNetRegressor), BAD),
    "float64 X, regression y of 1e39 (works, as in scikit-learn)": (
        lambda: fit(X, y_reg * 1e39, cls=FCNetRegressor), None),
    "float32 X, sample_weight of 1e38": (
        lambda: fit(X.astype(np.float32), sample_weight=np.full(40, 1e38, np.float32)), BAD),
    "sample_weight summing to zero": (lambda: fit(sample_weight=np.tile([1.0, -1.0], 20)), BAD),
}


def run_case(name):
    """In the child: 0 raised as expected (or worked where it should), 1 the
    wrong outcome; the message goes to stdout."""
    action, expected = CASES[name]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            action()
    except Exception as error:  # noqa: BLE001 - the outcome is what we report
        ok = expected is not None and isinstance(error, expected)
        return ok, f"{type(error).__name__}: {str(error)[:200]}"
    return expected is None, "no error"


def main():
    for name in CASES:
        read_end, write_end = os.pipe()
        start = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the child
            os.close(read_end)
            ok, message = run_case(name)
            os.write(write_end, json.dumps([ok, message]).encode())
            os._exit(0)
        os.close(write_end)
        outcome = None
        while time.monotonic() - start < TIMEOUT:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                outcome = "signal %d" % os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
                break
            time.sleep(0.01)
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            outcome = "hung"
        with os.fdopen(read_end) as reader:
            report = reader.read()
        ok, message = json.loads(report) if report and outcome is None else (False, outcome)
        print(json.dumps({"case": name, "ok": ok, "message": message,
                          "seconds": round(time.monotonic() - start, 3)}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
