"""fcnet.save and fcnet.load: model files that hold only arrays and plain
metadata, read without pickle, so that loading an untrusted file cannot run
code. Here: the two functions, and writing a file; the format, and reading it
back with every part checked, are in _model_file.py.
"""

import io
import json
import numbers
import os
import secrets
import zipfile
from typing import BinaryIO

import numpy as np
from sklearn.utils.validation import check_is_fitted

from fcnet import _model_file
from fcnet._estimators import FCNetClassifier, FCNetRegressor
from fcnet._fitted import CURVES, SCALARS
from fcnet._model_file import ESTIMATORS, FORMAT, METADATA, VERSION

# Windows opens files in text mode unless told otherwise
O_BINARY = getattr(os, "O_BINARY", 0)


def save(estimator: "FCNetClassifier | FCNetRegressor",
         file: "str | os.PathLike[str] | BinaryIO") -> None:
    """Write a fitted estimator to a file in fcnet's model format.

    The file holds the weights, the fitted attributes, the optimizer state
    (so that ``partial_fit`` continues where it stopped) and plain metadata;
    :func:`fcnet.load` reads it without pickle. The format is specified in
    the docstring of the module ``fcnet._model_file``. A path is written atomically: the model goes
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
    A fitted network of one hidden layer is a ZIP archive of its metadata
    and arrays:

    >>> import io
    >>> import zipfile
    >>> from sklearn.datasets import load_iris
    >>> import fcnet
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = fcnet.MLPClassifier(solver="lbfgs", alpha=1.0, random_state=0).fit(X, y)
    >>> file = io.BytesIO()
    >>> fcnet.save(clf, file)
    >>> sorted(zipfile.ZipFile(file).namelist())  # doctest: +NORMALIZE_WHITESPACE
    ['classes.npy', 'coef_0.npy', 'coef_1.npy', 'fcnet.json', 'intercept_0.npy',
     'intercept_1.npy']
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
    metadata = json.dumps({
        "format": FORMAT, "version": VERSION, "estimator": name,
        "params": _plain_params(estimator),
        "fitted": _plain_fitted(estimator),
        "arrays": {key: {"dtype": value.dtype.str, "shape": list(value.shape)}
                   for key, value in arrays.items()},
    })
    if isinstance(file, (str, os.PathLike)):
        _write_atomically(_path(file), metadata, arrays)
    elif hasattr(file, "write"):
        _write(file, metadata, arrays)
    else:
        raise TypeError(f"fcnet.save writes to a str or os.PathLike path or a binary file "
                        f"object, not {type(file).__name__}.")


def _path(file):
    path = os.fspath(file)
    if not isinstance(path, str):
        raise TypeError(f"fcnet model paths are str or os.PathLike[str], not "
                        f"{type(path).__name__}.")
    return path


def _write(target, metadata, arrays):
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(METADATA, metadata)
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, value, allow_pickle=False)
            archive.writestr(f"{key}.npy", buffer.getvalue())


def _write_atomically(path, metadata, arrays):
    directory, base = os.path.split(os.path.abspath(path))
    partial = os.path.join(directory, f".{base}.{secrets.token_hex(4)}.partial")
    # created as open() creates files (mode 0o666 less the umask), never reused
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_BINARY, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as target:
            _write(target, metadata, arrays)
            target.flush()
            os.fsync(target.fileno())
        os.replace(partial, path)
    except BaseException:
        os.unlink(partial)
        raise
    _sync_directory(directory)


def _sync_directory(directory):
    """Puts the rename on disk too, where the system lets a directory be synced."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _plain_params(estimator):
    params = {key: _plain(value) for key, value in estimator.get_params(deep=False).items()}
    if not isinstance(params["random_state"], (int, type(None))):
        raise ValueError("fcnet.save needs random_state to be an int or None, not a "
                         "RandomState instance, whose state the format does not hold.")
    if isinstance(params.get("class_weight"), dict):
        params["class_weight"] = [[_plain(k), float(v)]
                                  for k, v in params["class_weight"].items()]
    return params


def _plain(value):
    """Scalars of any kind parameter validation accepts (numpy's included) as
    the Python bool, int, float or str JSON writes, sequences of them (the
    hidden layer sizes) as lists; anything else as it is."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (list, tuple, range, np.ndarray)):
        return [_plain(v) for v in value]
    return value


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
    The copy predicts what the saved model predicts:

    >>> import io
    >>> import fcnet
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> saved = fcnet.MLPClassifier(solver="lbfgs", random_state=0).fit(X, y)
    >>> file = io.BytesIO()
    >>> fcnet.save(saved, file)
    >>> copy = fcnet.load(io.BytesIO(file.getvalue()))
    >>> copy
    MLPClassifier(random_state=0, solver='lbfgs')
    >>> bool((copy.predict(X) == saved.predict(X)).all())
    True
    """
    if isinstance(file, (str, os.PathLike)):
        path = _path(file)
        if os.path.isdir(path):
            raise ValueError(f"{path!r} is a directory, not an fcnet model file.")
        with open(path, "rb") as source:
            return _model_file.read(source)
    if isinstance(file, io.TextIOBase) or not all(
            hasattr(file, method) for method in ("read", "seek", "tell")):
        raise TypeError(f"fcnet.load reads a str or os.PathLike path or a binary file object, "
                        f"not {type(file).__name__}.")
    return _model_file.read(file)
