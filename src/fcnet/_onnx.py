"""fcnet.to_onnx: an ONNX model of a fitted estimator (the optional `onnx`
extra: skl2onnx, onnx; onnxruntime to run it).

An fcnet network computes exactly what scikit-learn's MLP computes from the
same weights, so it is handed to skl2onnx's MLP converter as the equivalent
scikit-learn estimator."""

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.utils.validation import check_is_fitted

from fcnet._estimators import FCNetClassifier

# what a scikit-learn MLP needs to predict, copied from the fcnet estimator
FITTED = ("coefs_", "intercepts_", "n_layers_", "n_outputs_", "out_activation_",
          "n_features_in_", "classes_", "_label_binarizer", "n_iter_", "t_")


def to_onnx(estimator, X_sample: ArrayLike, **options: Any) -> Any:
    """The ONNX model of a fitted FCNetClassifier or FCNetRegressor.

    Parameters
    ----------
    estimator : fitted FCNetClassifier or FCNetRegressor
    X_sample : array-like of shape (n_samples, n_features)
        A few rows of input: they set the ONNX input's type (float32 unless
        X_sample is float64).
    **options
        Passed on to ``skl2onnx.to_onnx`` (e.g. ``target_opset``, ``options``).

    Returns
    -------
    onnx.ModelProto
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
    model = convert(twin, X_sample.astype(dtype), **options)
    if twin_class is MLPRegressor:
        _give_all_outputs(model, estimator.n_outputs_)
    return model


def _give_all_outputs(model, n_outputs):
    """skl2onnx's MLPRegressor converter reshapes the output to one column,
    which scrambles several outputs: reshape to n_outputs columns instead."""
    from onnx import numpy_helper

    output = model.graph.output[0]
    reshape = next(node for node in model.graph.node if output.name in node.output)
    if reshape.op_type != "Reshape":
        return
    for i, initializer in enumerate(model.graph.initializer):
        if initializer.name == reshape.input[1]:
            model.graph.initializer[i].CopyFrom(numpy_helper.from_array(
                np.array([-1, n_outputs], dtype=np.int64), initializer.name))
    output.type.tensor_type.shape.dim[1].dim_value = n_outputs
