"""fcnet.to_onnx: an ONNX model of a fitted estimator (the optional `onnx`
extra: skl2onnx, onnx; onnxruntime to run it).

An fcnet network computes exactly what scikit-learn's MLP computes from the
same weights, so it is handed to skl2onnx's MLP converter as the equivalent
scikit-learn estimator."""

from __future__ import annotations  # help() shows ArrayLike, not its expansion

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils.validation import check_is_fitted

from fcnet._estimators import FCNetClassifier
from fcnet._fitted import CURVES, SCALARS

# the fitted attributes a scikit-learn MLP has, copied from the fcnet estimator
FITTED = ("coefs_", "intercepts_", "classes_", "_label_binarizer", *SCALARS, *CURVES)


def to_onnx(estimator, X_sample: ArrayLike, **options: Any) -> Any:
    """The ONNX model of a fitted fcnet estimator.

    The model runs in onnxruntime for float32 and float64 input alike, for
    binary, multiclass and multilabel classifiers and for regressors of one
    or several outputs.

    Parameters
    ----------
    estimator : fitted FCNetClassifier, FCNetRegressor, MLPClassifier or MLPRegressor
        The model to convert (not with ``loss="poisson"``: skl2onnx has no
        converter for its exp output).
    X_sample : array-like of shape (n_samples, n_features)
        A few rows of input: they set the ONNX input's type (float32 unless
        X_sample is float64).
    **options
        Passed on to ``skl2onnx.to_onnx`` (e.g. ``target_opset``, ``options``).

    Returns
    -------
    onnx.ModelProto
        The model. A classifier's outputs are the labels and the
        probabilities: a list of {class: probability} dicts for float32
        input (skl2onnx's default), an (n_samples, n_classes) array for
        float64 input (ONNX's ZipMap, which makes the dicts, takes float32
        only) or with ``options={"zipmap": False}``.

    Raises
    ------
    ImportError
        Without skl2onnx (``pip install "fcnet[onnx]"``).
    ValueError
        For a regressor trained with ``loss="poisson"``.

    See Also
    --------
    fcnet.save : Save in fcnet's own format, which keeps the optimizer state too.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime
    >>> from sklearn.datasets import load_iris
    >>> from fcnet import FCNetClassifier, to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = FCNetClassifier(solver="lbfgs", random_state=0).fit(X, y)
    >>> session = onnxruntime.InferenceSession(to_onnx(clf, X[:1]).SerializeToString())
    >>> labels, probabilities = session.run(None, {"X": X[:3]})
    >>> labels.tolist()
    [0, 0, 0]
    >>> bool(np.allclose(probabilities, clf.predict_proba(X[:3])))
    True
    """
    try:
        from skl2onnx import to_onnx as convert
    except ImportError as error:
        raise ImportError("fcnet.to_onnx needs skl2onnx: pip install 'fcnet[onnx]'") from error
    check_is_fitted(estimator)
    if estimator.out_activation_ == "exp":
        raise ValueError("ONNX export of the Poisson loss's exp output is not supported by "
                         "skl2onnx's MLP converter.")
    twin_class = MLPClassifier if isinstance(estimator, FCNetClassifier) else MLPRegressor
    shared = set(twin_class().get_params()) & set(estimator.get_params())
    twin = twin_class(**{name: estimator.get_params()[name] for name in shared})
    for name in FITTED:
        if hasattr(estimator, name):
            setattr(twin, name, getattr(estimator, name))
    X_sample = np.asarray(X_sample)
    dtype = np.float64 if X_sample.dtype == np.float64 else np.float32
    if twin_class is MLPClassifier and dtype == np.float64:
        # ONNX's ZipMap, skl2onnx's default last step, takes float32 only
        options.setdefault("options", {"zipmap": False})
    model = convert(twin, X_sample.astype(dtype), **options)
    if twin_class is MLPRegressor:
        _give_all_outputs(model, estimator.n_outputs_)
    elif estimator._label_binarizer.y_type_ == "multilabel-indicator":
        _label_multilabel_exactly(model, estimator.n_outputs_)
    return model


def _output_node(model, output):
    """The node that writes the graph output `output`."""
    return next(node for node in model.graph.node if output.name in node.output)


def _give_all_outputs(model, n_outputs):
    """skl2onnx's MLPRegressor converter reshapes the output to one column,
    which scrambles several outputs: reshape to n_outputs columns instead."""
    from onnx import numpy_helper

    output = model.graph.output[0]
    reshape = _output_node(model, output)
    if reshape.op_type != "Reshape":
        return
    for i, initializer in enumerate(model.graph.initializer):
        if initializer.name == reshape.input[1]:
            model.graph.initializer[i].CopyFrom(numpy_helper.from_array(
                np.array([-1, n_outputs], dtype=np.int64), initializer.name))
    output.type.tensor_type.shape.dim[1].dim_value = n_outputs


def _label_multilabel_exactly(model, n_outputs):
    """skl2onnx labels multilabel outputs with ONNX-ML's Binarizer, which
    onnxruntime runs on float32 only, and declares one label per row: label
    with Greater, exact in either precision (fcnet's rule, p > 0.5), and
    declare (n_samples, n_outputs) labels."""
    from onnx import helper, numpy_helper

    label = model.graph.output[0]
    binarizer = next(node for node in model.graph.node if node.op_type == "Binarizer")
    dtype = helper.tensor_dtype_to_np_dtype(model.graph.input[0].type.tensor_type.elem_type)
    threshold = binarizer.output[0] + "_threshold"
    model.graph.initializer.append(numpy_helper.from_array(np.array(0.5, dtype), threshold))
    greater = helper.make_node("Greater", [binarizer.input[0], threshold], list(binarizer.output))
    nodes = list(model.graph.node)
    nodes[nodes.index(binarizer)] = greater
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    if len(label.type.tensor_type.shape.dim) == 1:
        label.type.tensor_type.shape.dim.add().dim_value = n_outputs
