"""fcnet.save / fcnet.load, pickle and joblib: exact round trips that keep
learning, and model files that cannot run code or crash the loader."""

import io
import json
import pickle
import time
import warnings
import zipfile

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning

import fcnet
from fcnet import FCNetClassifier, FCNetRegressor


def fitted(model, X, y, **fit_params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y, **fit_params)


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True)
    return X, np.array(["setosa", "versicolor", "virginica"])[y]


def saved(model):
    buffer = io.BytesIO()
    fcnet.save(model, buffer)
    return buffer.getvalue()


def assert_same_model(loaded, model, X):
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    for mine, reference in zip(loaded.coefs_ + loaded.intercepts_,
                               model.coefs_ + model.intercepts_):
        assert mine.dtype == reference.dtype
        assert_array_equal(mine, reference)
    method = "predict_proba" if hasattr(model, "predict_proba") else "predict"
    assert_array_equal(getattr(loaded, method)(X), getattr(model, method)(X))
    assert_array_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_save_load_is_exact_and_partial_fit_continues_identically(iris, dtype, solver):
    X, y = iris
    X = X.astype(dtype)
    model = fitted(FCNetClassifier(hidden_layer_sizes=(7,), solver=solver, max_iter=20,
                                   random_state=0, class_weight={"setosa": 2.0}), X, y)
    loaded = fcnet.load(io.BytesIO(saved(model)))
    assert_same_model(loaded, model, X)
    assert loaded.loss_curve_ == model.loss_curve_ and loaded.t_ == model.t_
    for m in (model, loaded):  # the optimizer state came along: the same next epoch
        m.partial_fit(X, y)
    assert_same_model(loaded, model, X)


def test_save_load_regressor_lbfgs_early_stopping_and_file_paths(tmp_path):
    X, y = make_regression(n_samples=120, n_features=4, n_targets=2, random_state=0)
    for model in [FCNetRegressor(solver="lbfgs", max_iter=30, random_state=0),
                  FCNetRegressor(early_stopping=True, max_iter=30, random_state=0),
                  FCNetRegressor(loss="poisson", max_iter=5, random_state=0)]:
        target = np.abs(y) if model.loss == "poisson" else y
        fitted(model, X, target)
        path = tmp_path / "model.fcnet"
        fcnet.save(model, path)
        loaded = fcnet.load(path)
        assert_same_model(loaded, model, X)
        for name in ["validation_scores_", "best_validation_score_", "validation_loss_curve_",
                     "n_iter_", "loss_", "out_activation_"]:
            assert getattr(loaded, name, "absent") == getattr(model, name, "absent"), name


def test_pandas_feature_names_survive(iris):
    import pandas as pd

    X, y = iris
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = fitted(FCNetClassifier(max_iter=5, random_state=0), frame, y)
    loaded = fcnet.load(io.BytesIO(saved(model)))
    assert_array_equal(loaded.feature_names_in_, model.feature_names_in_)
    assert_array_equal(loaded.predict(frame), model.predict(frame))


@pytest.mark.parametrize("cls", [FCNetClassifier, FCNetRegressor])
def test_files_from_before_dropout_and_the_robust_losses_load(iris, cls):
    """A file written before dropout, huber_epsilon and quantile existed
    lacks them: they take their defaults, with which the model trains as it
    did."""
    X, y = iris
    y = y if cls is FCNetClassifier else X[:, 3]
    model = fitted(cls(hidden_layer_sizes=(5,), max_iter=3, random_state=0), X, y)

    def without_later_params(name, content):
        if name != "fcnet.json":
            return content
        metadata = json.loads(content)
        for later in ("dropout", "huber_epsilon", "quantile"):
            metadata["params"].pop(later, None)
        return json.dumps(metadata).encode()

    loaded = fcnet.load(io.BytesIO(rewritten(saved(model), without_later_params)))
    assert_same_model(loaded, model, X)


@pytest.mark.parametrize("dump, restore", [
    (pickle.dumps, pickle.loads),
    (lambda m: _joblib_bytes(m), lambda b: joblib.load(io.BytesIO(b))),
])
def test_pickle_and_joblib_round_trips_keep_learning(iris, dump, restore):
    """scikit-learn's MLP once stopped learning after unpickling (#19626):
    its optimizer held the old arrays. fcnet's partial_fit keeps training."""
    X, y = iris
    model = fitted(FCNetClassifier(max_iter=5, random_state=0), X, y)
    loaded = restore(dump(model))
    assert_same_model(loaded, model, X)
    before = [c.copy() for c in loaded.coefs_]
    for m in (model, loaded):
        m.partial_fit(X, y)
    assert not np.array_equal(loaded.coefs_[0], before[0])
    assert_same_model(loaded, model, X)


def _joblib_bytes(model):
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


def rewritten(data, change):
    """The archive with change(name, bytes) -> bytes or None (drop) applied to its members."""
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w") as archive:
        for info in source.infolist():
            content = change(info.filename, source.read(info))
            if content is not None:
                archive.writestr(info.filename, content)
    return target.getvalue()


def npy(array):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array)
    return buffer.getvalue()


def test_hostile_and_broken_files_raise_value_error(iris):
    X, y = iris
    good = saved(fitted(FCNetClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0),
                        X, y))
    def metadata_edit(edit):
        def change(name, content):
            if name != "fcnet.json":
                return content
            metadata = json.loads(content)
            edit(metadata)
            return json.dumps(metadata).encode()
        return rewritten(good, change)

    hostile = {
        "empty": b"",
        "not a zip": b"hello world" * 10,
        "truncated": good[: len(good) // 2],
        "a pickle": pickle.dumps(FCNetClassifier()),
        "extra member": _with_extra(good),
        "missing weights": rewritten(good, lambda n, c: None if n == "coef_0.npy" else c),
        "wrong weight shape": rewritten(
            good, lambda n, c: npy(np.zeros((3, 5))) if n == "coef_0.npy" else c),
        "object array": rewritten(
            good, lambda n, c: _object_npy() if n == "coef_0.npy" else c),
        "huge declared size": metadata_edit(
            lambda m: m["arrays"]["coef_0"].update(shape=[10**9, 10**9])),
        "wrong dtype": metadata_edit(lambda m: m["arrays"]["coef_0"].update(dtype="|O")),
        "unknown estimator": metadata_edit(lambda m: m.update(estimator="os.system")),
        "bad parameter": metadata_edit(lambda m: m["params"].update(alpha=-1)),
        "extra parameter": metadata_edit(lambda m: m["params"].update(evil="rm -rf /")),
        "inconsistent layers": metadata_edit(
            lambda m: m["params"].update(hidden_layer_sizes=[6])),
        "bad version": metadata_edit(lambda m: m.update(version=99)),
        "compressed member": _compressed(good),
        "not json": rewritten(good, lambda n, c: b"\xff\xfe" if n == "fcnet.json" else c),
    }
    for name, data in hostile.items():
        with pytest.raises(ValueError):
            fcnet.load(io.BytesIO(data))
            pytest.fail(f"{name} loaded")


def _with_extra(data):
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("payload.py", "import os")
    return buffer.getvalue()


def _object_npy():
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array([None, 1], dtype=object), allow_pickle=True)
    return buffer.getvalue()


def _compressed(data):
    source, target = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            archive.writestr(info.filename, source.read(info))
    return target.getvalue()


def test_fuzzed_files_raise_value_error_or_load_a_working_model():
    """10,000 mutations of a valid file: bytes flipped, cut, inserted."""
    X, y = load_iris(return_X_y=True)
    model = fitted(FCNetClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0), X, y)
    good = saved(model)
    rng = np.random.default_rng(0)
    start, outcomes = time.monotonic(), {"error": 0, "loaded": 0}
    for _ in range(10_000):
        data = bytearray(good)
        kind = rng.integers(3)
        if kind == 0:
            for position in rng.integers(0, len(data), rng.integers(1, 4)):
                data[position] ^= 1 << rng.integers(8)
        elif kind == 1:
            data = data[: rng.integers(0, len(data))]
        else:
            position = rng.integers(0, len(data))
            data[position:position] = rng.bytes(rng.integers(1, 9))
        try:
            loaded = fcnet.load(io.BytesIO(bytes(data)))
        except ValueError:
            outcomes["error"] += 1
            continue
        assert loaded.predict_proba(X[:5]).shape == (5, 3)  # a harmless mutation
        outcomes["loaded"] += 1
    assert outcomes["error"] > 9000
    assert time.monotonic() - start < 120
