"""The fcnet model file format, and reading it back (fcnet.load).

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

Reading checks, before it reads any array's data, that every member lies
inside the file and appears once, the metadata against itself (parameter
values), the arrays it lists against those the model's parameters call for
(names, shapes, dtypes) and each .npy header against the metadata: memory
stays bounded by the file's size, and anything else raises ValueError.
"""

import json
import math
import os
import struct
import tokenize
import zipfile

import numpy as np
from sklearn.preprocessing import LabelBinarizer

from fcnet import _network
from fcnet._estimators import (
    FCNetClassifier,
    FCNetRegressor,
    MLPClassifier,
    MLPRegressor,
    _is_stochastic,
)
from fcnet._fitted import CURVES, SCALARS
from fcnet._inputs import hidden_layers
from fcnet._optimizers import StochasticOptimizer

FORMAT, VERSION = "fcnet-model", 1
METADATA = "fcnet.json"
MAX_METADATA_BYTES = 1 << 20
ESTIMATORS = {"FCNetClassifier": FCNetClassifier, "FCNetRegressor": FCNetRegressor,
              "MLPClassifier": MLPClassifier, "MLPRegressor": MLPRegressor}
PARAM_DTYPES = ("<f4", "<f8")
# constructor parameters added since files of version 1 were first written:
# absent from a file, they take their defaults, which train as before them
LATER_PARAMS = ("dropout", "huber_epsilon", "quantile")
# what zipfile raises on archives it cannot read (json's errors are ValueErrors)
BROKEN_ZIP = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError,
              struct.error)


def read(source):
    """The estimator in the binary file source, every part checked before it is used."""
    source = _Bounded(source)
    try:
        archive = zipfile.ZipFile(source)
    except BROKEN_ZIP as error:
        raise ValueError(f"not an fcnet model file: {type(error).__name__}: {error}") from None
    try:
        with archive:
            return _read(archive, source.size)
    except BROKEN_ZIP + (KeyError, UnicodeDecodeError, OverflowError, TypeError,
                         AttributeError, IndexError, RuntimeError) as error:
        raise ValueError(f"corrupt fcnet model file: {type(error).__name__}: {error}") from None


class _Bounded:
    """The binary file zipfile reads, kept inside it: a seek outside it is a
    broken archive (a file on disk raised OSError for a negative offset), and
    a read never asks for more than what is left (asking a file for a
    declared 8 TiB allocated them)."""

    def __init__(self, file):
        self.file = file
        self.size = file.seek(0, os.SEEK_END)

    def seek(self, offset, whence=os.SEEK_SET):
        start = {os.SEEK_SET: 0, os.SEEK_CUR: self.file.tell(), os.SEEK_END: self.size}[whence]
        if not 0 <= start + offset <= self.size:
            raise zipfile.BadZipFile("an offset points outside the file")
        return self.file.seek(start + offset)

    def tell(self):
        return self.file.tell()

    def read(self, n=-1):
        left = self.size - self.file.tell()
        return self.file.read(left if n is None or n < 0 else min(n, left))

    def seekable(self):
        return True


def _read(archive, file_size):
    infos = archive.infolist()
    members = {info.filename: info for info in infos}
    _expect(len(members) == len(infos), "a member name appears twice")
    for info in infos:
        _expect(info.compress_type == zipfile.ZIP_STORED, f"{info.filename} is compressed")
        _expect(info.header_offset + info.compress_size <= file_size,
                f"{info.filename} declares more bytes than the file holds")
    _expect(METADATA in members, f"no {METADATA}")
    metadata = _read_metadata(archive, members[METADATA])
    specs = metadata["arrays"]
    _expect(set(members) == {METADATA} | {f"{key}.npy" for key in specs},
            "its members do not match its metadata")
    estimator = _estimator(metadata)
    units = _check_array_specs(estimator, metadata)
    arrays = {key: _read_array(archive, members[f"{key}.npy"], spec)
              for key, spec in specs.items()}
    _restore(estimator, metadata, arrays, units)
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
    cls = ESTIMATORS[metadata["estimator"]]
    defaults = cls().get_params()
    params = {name: defaults[name] for name in LATER_PARAMS if name in defaults}
    params.update(metadata["params"])
    if isinstance(params.get("class_weight"), list):
        _expect(all(isinstance(p, list) and len(p) == 2 for p in params["class_weight"]),
                "bad class_weight")
        params["class_weight"] = {key: value for key, value in params["class_weight"]}
    if isinstance(params.get("hidden_layer_sizes"), list):
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    _expect(set(params) == set(defaults), "wrong set of parameters")
    estimator = cls(**params)
    estimator._validate_params()  # raises InvalidParameterError, a ValueError
    return estimator


def _check_array_specs(estimator, metadata):
    """The arrays the metadata lists against those the model needs, whose
    names, dtypes and shapes follow from its parameters and scalar fitted
    attributes alone: so each member's size is known before it is read, and
    no member is read that the model does not use. Returns the layer sizes."""
    fitted, specs = metadata["fitted"], metadata["arrays"]
    hidden = hidden_layers(estimator.hidden_layer_sizes)
    units = [fitted.get("n_features_in_"), *hidden, fitted.get("n_outputs_")]
    _expect(all(type(n) is int and n >= 1 for n in units)
            and fitted.get("n_layers_") == len(units) <= 1000, "bad layer sizes")
    n_params = _network.n_params(units)
    shapes = {}
    for i, (fan_in, fan_out) in enumerate(_network.weight_shapes(units)):
        shapes[f"coef_{i}"], shapes[f"intercept_{i}"] = [fan_in, fan_out], [fan_out]
    _expect(set(shapes) <= set(specs), "weights missing")
    if _is_stochastic(estimator):  # lbfgs keeps no optimizer state
        shapes["optimizer_state"] = [_network.optimizer_state_len(units, estimator.solver)]
    shapes["best_params"] = [n_params]
    _expect(set(specs) <= set(shapes) | {"classes", "feature_names_in"},
            "it holds arrays the model does not use")
    param_dtype = specs["coef_0"]["dtype"]
    _expect(param_dtype in PARAM_DTYPES, "weights of a wrong dtype")
    for key, spec in specs.items():
        if key == "classes":
            _expect(len(spec["shape"]) == 1 and 1 <= spec["shape"][0] <= max(2, units[-1]),
                    "bad classes")
        elif key == "feature_names_in":
            _expect(spec["shape"] == units[:1] and np.dtype(spec["dtype"]).kind == "U",
                    "bad feature names")
        else:
            _expect(spec["shape"] == shapes[key] and spec["dtype"] == param_dtype,
                    f"bad {key}: its shape or dtype is not the model's")
    return units


def _read_array(archive, info, spec):
    """One .npy member, its header checked against the metadata before any
    data is read, so that declared sizes cannot trigger large allocations."""
    dtype = np.dtype(spec["dtype"])
    _expect(not dtype.hasobject and dtype.kind in "biufU", f"dtype {dtype} is not allowed")
    shape = tuple(spec["shape"])
    n_bytes = math.prod(shape) * dtype.itemsize
    with archive.open(info) as member:
        header_shape, fortran_order, header_dtype = _read_npy_header(member, info.filename)
        _expect(header_shape == shape and header_dtype == dtype and not fortran_order,
                f"{info.filename}: its header disagrees with the metadata")
        _expect(info.file_size - member.tell() == n_bytes,
                f"{info.filename}: its size disagrees with its header")
        data = member.read(n_bytes)
    _expect(len(data) == n_bytes, f"{info.filename} is truncated")
    return np.frombuffer(data, dtype=dtype).reshape(shape).copy()


# A saved array's .npy header (its dtype, order and shape) is under 128 bytes.
_MAX_NPY_HEADER = 1024


def _read_npy_header(member, name):
    """numpy's parser of a .npy header, whose errors on a malformed one
    (tokenize's and the parser's among them) become one ValueError. Headers
    are refused beyond _MAX_NPY_HEADER bytes before they are parsed: the
    parser's memory grows with the nesting of what it reads."""
    try:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            return np.lib.format.read_array_header_1_0(member, max_header_size=_MAX_NPY_HEADER)
        if version == (2, 0):
            return np.lib.format.read_array_header_2_0(member, max_header_size=_MAX_NPY_HEADER)
    except (ValueError, SyntaxError, RecursionError, tokenize.TokenError) as error:
        raise ValueError(f"corrupt fcnet model file: {name}: malformed .npy header: "
                         f"{type(error).__name__}: {error}") from None
    raise ValueError(f"corrupt fcnet model file: {name}: unknown .npy version {version}")


def _restore(estimator, metadata, arrays, units):
    fitted = metadata["fitted"]
    for name, types in SCALARS.items():
        if name in fitted:
            _expect(type(fitted[name]) in types, f"bad {name}")
            setattr(estimator, name, fitted[name])
    n_weights = len(units) - 1
    coefs = [arrays[f"coef_{i}"] for i in range(n_weights)]
    intercepts = [arrays[f"intercept_{i}"] for i in range(n_weights)]
    dtype = coefs[0].dtype
    params = _network.pack(coefs, intercepts, dtype)
    estimator.coefs_, estimator.intercepts_ = _network.views(params, units)
    _restore_curves(estimator, fitted, dtype)
    _restore_labels(estimator, fitted, arrays)
    if "feature_names_in" in arrays:
        estimator.feature_names_in_ = arrays["feature_names_in"].astype(object)
    if "best_params" in arrays:
        estimator._best_params = arrays["best_params"]
    _restore_optimizer(estimator, fitted, arrays, params)


def _restore_curves(estimator, fitted, dtype):
    """The per-epoch records, as scalars of the weights' dtype (as fit keeps them)."""
    for name in CURVES:
        if name not in fitted:
            continue
        values = fitted[name]
        _expect(values is None or (isinstance(values, list)
                                   and all(isinstance(v, (int, float)) for v in values)),
                f"bad {name}")
        setattr(estimator, name, None if values is None else [dtype.type(v) for v in values])


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
    optimizer = StochasticOptimizer(estimator, len(state), params.dtype)
    optimizer.core.learning_rate = settings["learning_rate"]
    optimizer.core.adam_steps = settings["adam_steps"]
    optimizer.state = state
    estimator._optimizer = optimizer
