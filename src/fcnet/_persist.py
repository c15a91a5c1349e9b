"""fcnet.save and fcnet.load: model files that hold only arrays and plain
metadata, read without pickle, so that loading an untrusted file cannot run
code.

The format (version 1) is a ZIP archive whose members are stored, not
compressed (no member can expand beyond the file's own size):

- ``fcnet.json``: UTF-8 JSON, at most 1 MiB: ``{"format": "fcnet-model",
  "version": 1, "estimator": "FCNetClassifier" | "FCNetRegressor" | "MLPClassifier"
  | "MLPRegressor",
  "params": {constructor parameters}, "fitted": {scalar fitted attributes and
  lists of floats}, "arrays": {name: {"dtype": ..., "shape": [...]}}}``.
- ``<name>.npy`` for each entry of ``arrays``, in NumPy's .npy format:
  ``coef_<i>``, ``intercept_<i>``, ``optimizer_state`` (when fitted by sgd or
  adam), ``best_params`` (early stopping), ``classes`` and
  ``feature_names_in`` (when the estimator has them).

Loading checks every member against the metadata and the metadata against
itself (parameter values, layer shapes, dtypes, sizes) before building the
estimator; anything else raises ValueError.
"""

import io
import json
import math
import os
import struct
import zipfile
from typing import BinaryIO

import numpy as np
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils.validation import check_is_fitted

from fcnet import _network
from fcnet._estimators import FCNetClassifier, FCNetRegressor, MLPClassifier, MLPRegressor
from fcnet._optimizers import StochasticOptimizer

FORMAT, VERSION = "fcnet-model", 1
METADATA = "fcnet.json"
MAX_METADATA_BYTES = 1 << 20
ESTIMATORS = {"FCNetClassifier": FCNetClassifier, "FCNetRegressor": FCNetRegressor,
              "MLPClassifier": MLPClassifier, "MLPRegressor": MLPRegressor}
PARAM_DTYPES = ("<f4", "<f8")
# fitted attributes kept as JSON: name -> accepted Python types
SCALARS = {
    "n_layers_": (int,), "n_outputs_": (int,), "n_iter_": (int,), "t_": (int,),
    "n_features_in_": (int,), "out_activation_": (str,), "loss_": (float, int),
    "best_loss_": (float, int, type(None)), "best_validation_score_": (float, int, type(None)),
    "_no_improvement_count": (int,),
}
CURVES = ("loss_curve_", "validation_scores_", "validation_loss_curve_")
# what zipfile raises on archives it cannot read (json's errors are ValueErrors)
BROKEN_ZIP = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError,
              struct.error)


def save(estimator: "FCNetClassifier | FCNetRegressor",
         file: "str | os.PathLike[str] | BinaryIO") -> None:
    """Write a fitted estimator to a file in fcnet's model format.

    The file holds the weights, the fitted attributes, the optimizer state
    (so that ``partial_fit`` continues where it stopped) and plain metadata;
    :func:`fcnet.load` reads it without pickle. The format is specified in
    this module's docstring. A path is written atomically: the model goes
    to a new file beside it, which replaces the path only once it is
    complete and on disk, so that an error, Ctrl-C or a full disk leaves a
    file already there as it was. Parameters held as numpy scalars are
    written as Python's bool, int, float and str.

    Parameters
    ----------
    estimator : fitted FCNetClassifier, FCNetRegressor, MLPClassifier or MLPRegressor
        The model to save.
    file : str, os.PathLike or binary file object
        Where to write.

    Raises
    ------
    TypeError
        For anything but fcnet's estimators.

    See Also
    --------
    fcnet.load : Read the file back.

    Examples
    --------
    >>> import io
    >>> from sklearn.datasets import load_iris
    >>> import fcnet
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = fcnet.MLPClassifier(solver="lbfgs", alpha=1.0, random_state=0).fit(X, y)
    >>> file = io.BytesIO()
    >>> fcnet.save(clf, file)
    >>> copy = fcnet.load(io.BytesIO(file.getvalue()))
    >>> bool((copy.predict(X) == clf.predict(X)).all())
    True
    """
    name = type(estimator).__name__
    if ESTIMATORS.get(name) is not type(estimator):  # scikit-learn's MLPClassifier is not
        raise TypeError(f"fcnet.save writes fcnet's estimators ({', '.join(ESTIMATORS)}), "
                        f"not {name}.")
    check_is_fitted(estimator)
    arrays = {}
    for i, (coef, intercept) in enumerate(zip(estimator.coefs_, estimator.intercepts_)):
        arrays[f"coef_{i}"], arrays[f"intercept_{i}"] = coef, intercept
    if hasattr(estimator, "_optimizer"):
        arrays["optimizer_state"] = estimator._optimizer.state
    if hasattr(estimator, "_best_params"):
        arrays["best_params"] = estimator._best_params
    if hasattr(estimator, "classes_"):
        arrays["classes"] = estimator.classes_
    if hasattr(estimator, "feature_names_in_"):
        arrays["feature_names_in"] = estimator.feature_names_in_.astype(str)
    arrays = {key: np.ascontiguousarray(value) for key, value in arrays.items()}
    for key, value in arrays.items():
        if value.dtype.hasobject:
            raise ValueError(f"{key} has dtype object, which the model format does not hold.")
    metadata = {
        "format": FORMAT, "version": VERSION, "estimator": name,
        "params": _plain_params(estimator),
        "fitted": _plain_fitted(estimator),
        "arrays": {key: {"dtype": value.dtype.str, "shape": list(value.shape)}
                   for key, value in arrays.items()},
    }
    target = open(file, "wb") if isinstance(file, (str, os.PathLike)) else file
    try:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(METADATA, json.dumps(metadata))
            for key, value in arrays.items():
                buffer = io.BytesIO()
                np.lib.format.write_array(buffer, value, allow_pickle=False)
                archive.writestr(f"{key}.npy", buffer.getvalue())
    finally:
        if target is not file:
            target.close()


def _plain_params(estimator):
    params = estimator.get_params(deep=False)
    if not isinstance(params["random_state"], (int, type(None))):
        raise ValueError("fcnet.save needs random_state to be an int or None, not a "
                         "RandomState instance, whose state the format does not hold.")
    sizes = params["hidden_layer_sizes"]
    params["hidden_layer_sizes"] = [int(s) for s in sizes] if hasattr(sizes, "__iter__") \
        else int(sizes)
    if isinstance(params.get("class_weight"), dict):
        params["class_weight"] = [[_plain(k), float(v)]
                                  for k, v in params["class_weight"].items()]
    return {key: _plain(value) for key, value in params.items()}


def _plain(value):
    """numpy scalars as the Python scalars JSON writes."""
    return value.item() if isinstance(value, np.generic) else value


def _plain_fitted(estimator):
    fitted = {name: _plain(getattr(estimator, name)) for name in SCALARS
              if hasattr(estimator, name)}
    for name in CURVES:
        if hasattr(estimator, name):
            values = getattr(estimator, name)
            fitted[name] = None if values is None else [float(v) for v in values]
    if hasattr(estimator, "_optimizer"):
        core = estimator._optimizer.core
        fitted["optimizer"] = {"solver": core.solver, "learning_rate": core.learning_rate,
                               "adam_steps": core.adam_steps}
    if hasattr(estimator, "_label_binarizer"):
        fitted["label_type"] = estimator._label_binarizer.y_type_
    return fitted


def load(file: "str | os.PathLike[str] | BinaryIO") -> "FCNetClassifier | FCNetRegressor":
    """Read a model written by :func:`fcnet.save`.

    Reads no pickle: every member is checked against the metadata before it
    is read, so an untrusted file cannot run code.

    Parameters
    ----------
    file : str, os.PathLike or binary file object
        The model file.

    Returns
    -------
    FCNetClassifier, FCNetRegressor, MLPClassifier or MLPRegressor
        The fitted estimator, of the class that was saved.

    Raises
    ------
    ValueError
        For anything that is not a well-formed fcnet model file (a directory
        included), with memory bounded by the file's size.
    TypeError
        For a file argument of another type.
    OSError
        As open() raises it, for a path that cannot be opened.

    See Also
    --------
    fcnet.save : Write the file.

    Examples
    --------
    >>> import io
    >>> from sklearn.datasets import load_iris
    >>> import fcnet
    >>> X, y = load_iris(return_X_y=True)
    >>> file = io.BytesIO()
    >>> fcnet.save(fcnet.MLPClassifier(solver="lbfgs", random_state=0).fit(X, y), file)
    >>> fcnet.load(io.BytesIO(file.getvalue()))
    MLPClassifier(random_state=0, solver='lbfgs')
    """
    try:
        archive = zipfile.ZipFile(file)
    except BROKEN_ZIP as error:
        raise ValueError(f"not an fcnet model file: {type(error).__name__}: {error}") from None
    try:
        with archive:
            return _read(archive)
    except BROKEN_ZIP + (KeyError, UnicodeDecodeError, OverflowError, TypeError,
                         AttributeError, IndexError, RuntimeError) as error:
        raise ValueError(f"corrupt fcnet model file: {type(error).__name__}: {error}") from None


def _read(archive):
    members = {info.filename: info for info in archive.infolist()}
    if METADATA not in members:
        raise ValueError(f"corrupt fcnet model file: no {METADATA}")
    metadata = _read_metadata(archive, members[METADATA])
    specs = metadata["arrays"]
    if set(members) != {METADATA} | {f"{key}.npy" for key in specs}:
        raise ValueError("corrupt fcnet model file: its members do not match its metadata")
    for info in members.values():
        if info.compress_type != zipfile.ZIP_STORED:
            raise ValueError(f"corrupt fcnet model file: {info.filename} is compressed")
    estimator = _estimator(metadata)
    arrays = {key: _read_array(archive, members[f"{key}.npy"], spec)
              for key, spec in specs.items()}
    _restore(estimator, metadata, arrays)
    return estimator


def _read_metadata(archive, info):
    if info.file_size > MAX_METADATA_BYTES:
        raise ValueError(f"corrupt fcnet model file: {METADATA} is too large")
    metadata = json.loads(archive.read(info).decode("utf-8"))
    _expect(isinstance(metadata, dict), "metadata is not an object")
    _expect(metadata.get("format") == FORMAT, "not an fcnet model file")
    _expect(metadata.get("version") == VERSION,
            f"unsupported format version {metadata.get('version')!r}")
    _expect(metadata.get("estimator") in ESTIMATORS, "unknown estimator")
    for key in ("params", "fitted", "arrays"):
        _expect(isinstance(metadata.get(key), dict), f"{key} is not an object")
    for key, spec in metadata["arrays"].items():
        _expect(isinstance(spec, dict) and isinstance(spec.get("dtype"), str)
                and isinstance(spec.get("shape"), list)
                and all(type(n) is int and 0 <= n for n in spec["shape"]),
                f"bad description of array {key!r}")
    return metadata


def _expect(condition, what):
    if not condition:
        raise ValueError(f"corrupt fcnet model file: {what}")


def _estimator(metadata):
    params = dict(metadata["params"])
    if isinstance(params.get("class_weight"), list):
        _expect(all(isinstance(p, list) and len(p) == 2 for p in params["class_weight"]),
                "bad class_weight")
        params["class_weight"] = {key: value for key, value in params["class_weight"]}
    if isinstance(params.get("hidden_layer_sizes"), list):
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    cls = ESTIMATORS[metadata["estimator"]]
    _expect(set(params) == set(cls().get_params()), "wrong set of parameters")
    estimator = cls(**params)
    estimator._validate_params()  # raises InvalidParameterError, a ValueError
    return estimator


def _read_array(archive, info, spec):
    """One .npy member, its header checked against the metadata before any
    data is read, so that declared sizes cannot trigger large allocations."""
    dtype = np.dtype(spec["dtype"])
    _expect(not dtype.hasobject and dtype.kind in "biufU", f"dtype {dtype} is not allowed")
    shape = tuple(spec["shape"])
    n_bytes = math.prod(shape) * dtype.itemsize
    with archive.open(info) as member:
        version = np.lib.format.read_magic(member)
        _expect(version in ((1, 0), (2, 0)), f"{info.filename}: unknown .npy version")
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) \
            else np.lib.format.read_array_header_2_0
        header_shape, fortran_order, header_dtype = header(member)
        _expect(header_shape == shape and header_dtype == dtype and not fortran_order,
                f"{info.filename}: its header disagrees with the metadata")
        _expect(info.file_size - member.tell() == n_bytes,
                f"{info.filename}: its size disagrees with its header")
        data = member.read(n_bytes)
    _expect(len(data) == n_bytes, f"{info.filename} is truncated")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


def _restore(estimator, metadata, arrays):
    fitted = metadata["fitted"]
    for name, types in SCALARS.items():
        if name in fitted:
            _expect(type(fitted[name]) in types, f"bad {name}")
            setattr(estimator, name, fitted[name])
    _expect("n_layers_" in fitted and "n_features_in_" in fitted, "missing fitted attributes")
    n_layers = fitted["n_layers_"]
    _expect(2 <= n_layers <= 1000, "bad n_layers_")
    coefs = [arrays.get(f"coef_{i}") for i in range(n_layers - 1)]
    intercepts = [arrays.get(f"intercept_{i}") for i in range(n_layers - 1)]
    _expect(all(a is not None and a.dtype.str == coefs[0].dtype.str
                and a.dtype.str in PARAM_DTYPES for a in coefs + intercepts),
            "weights missing or of a wrong dtype")
    units = _network.units_of(coefs, intercepts)  # ValueError when the shapes do not chain
    hidden = estimator.hidden_layer_sizes
    hidden = list(hidden) if hasattr(hidden, "__iter__") else [hidden]
    _expect(units == [fitted["n_features_in_"], *hidden, fitted.get("n_outputs_")],
            "layer shapes disagree with the parameters")
    dtype = coefs[0].dtype
    params = _network.pack(coefs, intercepts, dtype)
    estimator.coefs_, estimator.intercepts_ = _network.views(params, units)
    for name in CURVES:
        if name not in fitted:
            continue
        values = fitted[name]
        _expect(values is None or (isinstance(values, list)
                                   and all(isinstance(v, (int, float)) for v in values)),
                f"bad {name}")
        setattr(estimator, name, None if values is None else [dtype.type(v) for v in values])
    _restore_labels(estimator, fitted, arrays)
    if "feature_names_in" in arrays:
        names = arrays["feature_names_in"]
        _expect(names.dtype.kind == "U" and names.shape == (units[0],), "bad feature names")
        estimator.feature_names_in_ = names.astype(object)
    if "best_params" in arrays:
        _expect(arrays["best_params"].shape == params.shape
                and arrays["best_params"].dtype == dtype, "bad best_params")
        estimator._best_params = arrays["best_params"]
    _restore_optimizer(estimator, fitted, arrays, params)


def _restore_labels(estimator, fitted, arrays):
    is_classifier = isinstance(estimator, FCNetClassifier)
    _expect(is_classifier == ("classes" in arrays) == ("label_type" in fitted),
            "classes disagree with the estimator")
    if not is_classifier:
        _expect(fitted.get("out_activation_") == estimator._output_activation(),
                "bad out_activation_")
        return
    classes, label_type = arrays["classes"], fitted["label_type"]
    _expect(classes.ndim == 1 and len(classes) >= 1 and len(np.unique(classes)) == len(classes),
            "bad classes")
    expected_outputs = {"multiclass": len(classes), "binary": 1,
                        "multilabel-indicator": len(classes)}
    _expect(label_type in expected_outputs and fitted["n_outputs_"] == expected_outputs[label_type]
            and (label_type != "multiclass" or len(classes) > 2)
            and (label_type != "binary" or len(classes) <= 2), "bad label type")
    binarizer = LabelBinarizer()
    binarizer.classes_, binarizer.y_type_, binarizer.sparse_input_ = classes, label_type, False
    estimator._label_binarizer, estimator.classes_ = binarizer, classes
    _expect(fitted.get("out_activation_") == estimator._output_activation(),
            "bad out_activation_")


def _restore_optimizer(estimator, fitted, arrays, params):
    settings = fitted.get("optimizer")
    _expect((settings is None) == ("optimizer_state" not in arrays), "optimizer half there")
    if settings is None:
        return
    _expect(isinstance(settings, dict) and settings.get("solver") == estimator.solver
            and isinstance(settings.get("learning_rate"), (int, float))
            and type(settings.get("adam_steps")) is int and settings["adam_steps"] >= 0,
            "bad optimizer settings")
    state = arrays["optimizer_state"]
    length = len(params) * (2 if estimator.solver == "adam" else 1)
    _expect(state.shape == (length,) and state.dtype == params.dtype, "bad optimizer state")
    optimizer = StochasticOptimizer(estimator, len(params), params.dtype)
    optimizer.core.learning_rate = settings["learning_rate"]
    optimizer.core.adam_steps = settings["adam_steps"]
    optimizer.state = state
    estimator._optimizer = optimizer
