"""fcnet.save / fcnet.load, pickle and joblib: exact round trips that keep
learning, and model files that cannot run code or crash the loader."""

import io
import json
import pickle
import struct
import time
import tracemalloc
import zipfile
import zlib

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_regression

import fcnet
from fcnet import FCNetClassifier, FCNetRegressor


def saved(model):
    buffer = io.BytesIO()
    fcnet.save(model, buffer)
    return buffer.getvalue()


def assert_identical_models(loaded, model, X):
    """The same class, parameters, weights (dtype and bits) and predictions."""
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
def test_save_load_is_exact_and_partial_fit_continues_identically(iris_species_names, dtype,
                                                                  solver):
    X, y = iris_species_names
    X = X.astype(dtype)
    model = FCNetClassifier(hidden_layer_sizes=(7,), solver=solver, max_iter=20,
                            random_state=0, class_weight={"setosa": 2.0}).fit(X, y)
    loaded = fcnet.load(io.BytesIO(saved(model)))
    assert_identical_models(loaded, model, X)
    assert loaded.loss_curve_ == model.loss_curve_ and loaded.t_ == model.t_
    for m in (model, loaded):  # the optimizer state came along: the same next epoch
        m.partial_fit(X, y)
    assert_identical_models(loaded, model, X)


def test_save_load_regressor_lbfgs_early_stopping_and_file_paths(tmp_path):
    X, y = make_regression(n_samples=120, n_features=4, n_targets=2, random_state=0)
    for model in [FCNetRegressor(solver="lbfgs", max_iter=30, random_state=0),
                  FCNetRegressor(early_stopping=True, max_iter=30, random_state=0),
                  FCNetRegressor(loss="poisson", max_iter=5, random_state=0)]:
        target = np.abs(y) if model.loss == "poisson" else y
        model.fit(X, target)
        path = tmp_path / "model.fcnet"
        fcnet.save(model, path)
        loaded = fcnet.load(path)
        assert_identical_models(loaded, model, X)
        for name in ["validation_scores_", "best_validation_score_", "validation_loss_curve_",
                     "n_iter_", "loss_", "out_activation_"]:
            assert getattr(loaded, name, "absent") == getattr(model, name, "absent"), name


def test_pandas_feature_names_survive(iris_species_names):
    import pandas as pd

    X, y = iris_species_names
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    model = FCNetClassifier(max_iter=5, random_state=0).fit(frame, y)
    loaded = fcnet.load(io.BytesIO(saved(model)))
    assert_array_equal(loaded.feature_names_in_, model.feature_names_in_)
    assert_array_equal(loaded.predict(frame), model.predict(frame))


@pytest.mark.parametrize("cls", [FCNetClassifier, FCNetRegressor])
def test_files_from_before_dropout_and_the_robust_losses_load(iris_species_names, cls):
    """A file written before dropout, huber_epsilon and quantile existed
    lacks them: they take their defaults, with which the model trains as it
    did."""
    X, y = iris_species_names
    y = y if cls is FCNetClassifier else X[:, 3]
    model = cls(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(X, y)

    def without_later_params(name, content):
        if name != "fcnet.json":
            return content
        metadata = json.loads(content)
        for later in ("dropout", "huber_epsilon", "quantile"):
            metadata["params"].pop(later, None)
        return json.dumps(metadata).encode()

    loaded = fcnet.load(io.BytesIO(rewritten(saved(model), without_later_params)))
    assert_identical_models(loaded, model, X)


@pytest.mark.parametrize("dump, restore", [
    (pickle.dumps, pickle.loads),
    (lambda m: _joblib_bytes(m), lambda b: joblib.load(io.BytesIO(b))),
])
def test_pickle_and_joblib_round_trips_keep_learning(iris_species_names, dump, restore):
    """scikit-learn's MLP once stopped learning after unpickling (#19626):
    its optimizer held the old arrays. fcnet's partial_fit keeps training."""
    X, y = iris_species_names
    model = FCNetClassifier(max_iter=5, random_state=0).fit(X, y)
    loaded = restore(dump(model))
    assert_identical_models(loaded, model, X)
    before = [c.copy() for c in loaded.coefs_]
    for m in (model, loaded):
        m.partial_fit(X, y)
    assert not np.array_equal(loaded.coefs_[0], before[0])
    assert_identical_models(loaded, model, X)


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


def test_hostile_and_broken_files_raise_value_error(iris_species_names):
    X, y = iris_species_names
    good = saved(FCNetClassifier(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(X, y))
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


def test_fuzzed_files_raise_value_error_or_load_a_working_model(iris):
    """10,000 mutations of a valid file: bytes flipped, cut, inserted."""
    X, y = iris
    model = FCNetClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(X, y)
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


def test_save_writes_the_numpy_scalars_validation_accepts(tmp_path, iris):
    X, y = iris
    params = dict(hidden_layer_sizes=np.array([4, 3], dtype=np.uint16),
                  alpha=np.longdouble("1e-4"), learning_rate_init=np.float16(0.01),
                  momentum=np.float32(0.9), batch_size=np.int8(50),
                  max_iter=np.uint64(3), random_state=np.int64(7), shuffle=np.bool_(False),
                  n_iter_no_change=np.inf, solver="sgd", activation=np.str_("tanh"),
                  class_weight={np.int64(0): np.float32(2.0)})
    model = FCNetClassifier(**params).fit(X, y)
    path = tmp_path / "model.fcnet"
    fcnet.save(model, path)
    loaded = fcnet.load(path)
    # as Python's scalars, equal to the originals (alpha rounded to a double)
    expected = {**params, "hidden_layer_sizes": (4, 3), "alpha": float(params["alpha"])}
    assert loaded.get_params() == {**model.get_params(), **expected}
    assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))


def test_a_failed_save_leaves_the_file_already_there_as_it_was(tmp_path, iris_species_names,
                                                               monkeypatch):
    X, y = iris_species_names
    path = tmp_path / "model.fcnet"
    good = FCNetClassifier(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(X, y)
    fcnet.save(good, path)
    before = path.read_bytes()
    # a disk that fills, or Ctrl-C, while the arrays are written
    write_array = np.lib.format.write_array
    for fault in [OSError(28, "No space left on device"), KeyboardInterrupt()]:
        def failing_write_array(*args, fault=fault, **kwargs):
            monkeypatch.setattr(np.lib.format, "write_array", write_array)
            raise fault

        monkeypatch.setattr(np.lib.format, "write_array", failing_write_array)
        with pytest.raises(type(fault)):
            fcnet.save(FCNetClassifier(max_iter=2, random_state=1).fit(X, y), path)
        assert path.read_bytes() == before
        assert [p.name for p in tmp_path.iterdir()] == ["model.fcnet"]  # nothing left beside
    assert_identical_models(fcnet.load(path), good, X)


def test_save_into_a_missing_directory_raises_os_error_and_leaves_nothing(tmp_path,
                                                                          iris_species_names):
    X, y = iris_species_names
    model = FCNetClassifier(max_iter=2, random_state=0).fit(X, y)
    with pytest.raises(FileNotFoundError):
        fcnet.save(model, tmp_path / "missing" / "model.fcnet")
    with pytest.raises(IsADirectoryError):
        fcnet.save(model, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_every_truncation_of_a_real_file_raises_value_error(tmp_path, iris):
    """Cut at every offset, from the end and from the start, on disk: a file
    (unlike a BytesIO) raised OSError when zipfile sought before its start."""
    X, y = iris
    good = saved(FCNetClassifier(hidden_layer_sizes=(2,), max_iter=2, random_state=0).fit(X, y))
    path = tmp_path / "cut.fcnet"
    for cut in range(1, len(good)):
        for data in (good[:cut], good[cut:]):
            path.write_bytes(data)
            with pytest.raises(ValueError):
                fcnet.load(path)


def zip_by_hand(members):
    """A ZIP archive of stored (name, data, declared size) members, written
    byte by byte so that it may lie: sizes from 4 GiB up go in ZIP64 fields."""
    body, directory = bytearray(), bytearray()
    for name, data, size in members:
        raw_name, crc = name.encode(), zlib.crc32(data)
        size_field, extra = size, b""
        if size >= 0xFFFFFFFF:
            size_field, extra = 0xFFFFFFFF, struct.pack("<HHQQ", 1, 16, size, size)
        offset = len(body)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc, size_field,
                            size_field, len(raw_name), len(extra)) + raw_name + extra + data
        directory += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, crc,
                                 size_field, size_field, len(raw_name), len(extra), 0, 0, 0, 0,
                                 offset) + raw_name + extra
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                      len(directory), len(body), 0)
    return bytes(body + directory + end)


def npy_header(shape, dtype="<f8", header=None):
    """The start of a .npy file: its magic and header, no data."""
    if header is None:
        header = f"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {tuple(shape)}, }}"
    raw = header.encode("latin1")
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(raw)) + raw


def members_of(data):
    archive = zipfile.ZipFile(io.BytesIO(data))
    return {info.filename: archive.read(info) for info in archive.infolist()}


def with_metadata(members, edit):
    metadata = json.loads(members["fcnet.json"])
    edit(metadata)
    return {**members, "fcnet.json": json.dumps(metadata).encode()}


def hostile_archives(good):
    """name: archive bytes. Each breaks one rule of the format while its
    metadata, headers and directory agree wherever they can."""
    members = members_of(good)

    def archive(members, declared=None):
        declared = declared or {}
        return zip_by_hand([(name, data, declared.get(name, len(data)))
                            for name, data in members.items()])

    tera = 1 << 40  # coef_0 of 2**40 x 1 float64: 8 TiB
    huge = with_metadata(members, lambda m: (
        m["fitted"].update(n_features_in_=tera), m["params"].update(hidden_layer_sizes=[1]),
        m["arrays"]["coef_0"].update(shape=[tera, 1])))
    huge["coef_0.npy"] = npy_header((tera, 1)) + bytes(64)
    unused = with_metadata(members, lambda m: m["arrays"].update(
        unused={"dtype": "<f8", "shape": [1 << 21]}))
    unused["unused.npy"] = npy(np.zeros(1 << 21))  # 16 MiB nothing needs
    named = {name.replace("coef_0", "../coef_0"): data for name, data in members.items()}
    named_in_metadata = with_metadata(named, lambda m: m["arrays"].update(
        {"../coef_0": m["arrays"].pop("coef_0")}))
    cases = {
        "8 TiB declared by ZIP64, .npy header and metadata": archive(
            huge, {"coef_0.npy": len(npy_header((tera, 1))) + 8 * tera}),
        "a member declared larger than the file": archive(
            members, {"coef_0.npy": len(members["coef_0.npy"]) + 1000}),
        "a member declared shorter than its data": archive(
            members, {"coef_0.npy": len(members["coef_0.npy"]) - 8}),
        "a listed member nothing uses": archive(unused),
        "a duplicate member": zip_by_hand(
            [(n, d, len(d)) for n, d in members.items()]
            + [("coef_0.npy", members["coef_0.npy"], len(members["coef_0.npy"]))]),
        "a path-like member name": archive(named),
        "a path-like array name in the metadata": archive(named_in_metadata),
        "an absolute member name": archive(
            {name.replace("fcnet.json", "/fcnet.json"): data for name, data in members.items()}),
        "metadata declared 4 GiB": archive(members, {"fcnet.json": 1 << 32}),
    }
    for header in ["{'descr': '<f8', 'fortran_order': False, 'shape': (3, 5), 'x",
                   "(((((", "'''", "-" * 5000 + "1", "[1, 2]", "{1: 2}",
                   "{'descr': '<f8', 'fortran_order': True, 'shape': (4, 2), }",
                   "{'descr': '|O', 'fortran_order': False, 'shape': (4, 2), }"]:
        cases[f"the .npy header {header[:40]!r}"] = archive(
            {**members, "coef_0.npy": npy_header(None, header=header) + bytes(64)})
    return cases


def test_hostile_archives_raise_value_error_within_bounded_memory(tmp_path, iris):
    X, y = iris
    good = saved(FCNetClassifier(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=2,
                                 random_state=0).fit(X, y))
    assert fcnet.load(io.BytesIO(archive_like(good))).predict(X[:2]).shape == (2,)
    path = tmp_path / "hostile.fcnet"
    for name, data in hostile_archives(good).items():
        path.write_bytes(data)
        tracemalloc.start()
        try:
            with pytest.raises(ValueError):
                fcnet.load(path)
                pytest.fail(f"{name} loaded")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 1 << 21, name  # 2 MiB: the good model and the parser's own


def archive_like(good):
    """good rewritten by zip_by_hand with its true sizes: it must load, or the
    hostile variants would prove nothing."""
    return zip_by_hand([(name, data, len(data)) for name, data in members_of(good).items()])
