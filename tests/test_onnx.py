"""fcnet.to_onnx: onnxruntime loads the model and predicts what fcnet
predicts, for float32 and float64 input, every kind of target."""

import numpy as np
import onnxruntime
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import fcnet

rng = np.random.RandomState(0)
X = rng.randn(80, 4)
TARGETS = {
    "binary": (X[:, 0] > 0).astype(int),
    "multiclass": np.digitize(X[:, 0] + X[:, 1], [-0.5, 0.5]),
    "multilabel": (X[:, :3] > 0).astype(int),
    "one output": X @ [1.0, -2.0, 0.5, 0.0],
    "two outputs": np.c_[X @ [1.0, -2.0, 0.5, 0.0], np.tanh(X[:, 1])],
}
# float32: onnxruntime and fcnet round differently; float64: both are exact
# to a few ulps of each layer's sums
TOLERANCE = {np.float32: dict(rtol=1e-5, atol=1e-6), np.float64: dict(rtol=1e-12, atol=1e-14)}


def onnxruntime_outputs(onnx_model, X):
    session = onnxruntime.InferenceSession(onnx_model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("target", list(TARGETS))
def test_onnx_model_loads_and_predicts_what_fcnet_predicts(target, dtype):
    y = TARGETS[target]
    is_classifier = target in ("binary", "multiclass", "multilabel")
    model = (fcnet.MLPClassifier if is_classifier else fcnet.MLPRegressor)(
        hidden_layer_sizes=(6,), max_iter=30, random_state=0)
    model.fit(X.astype(dtype), y)
    X_test = X.astype(dtype)  # the model's own dtype: exact labels near 0.5
    outputs = onnxruntime_outputs(fcnet.to_onnx(model, X_test[:1]), X_test)
    if not is_classifier:
        assert_allclose(outputs[0], model.predict(X_test).reshape(len(X), -1), **TOLERANCE[dtype])
        return
    assert_array_equal(outputs[0], model.predict(X_test))
    probabilities = outputs[1]
    if dtype == np.float32:  # ZipMap's list of {class: probability}
        probabilities = [[row[c] for c in sorted(row)] for row in probabilities]
    assert_allclose(probabilities, model.predict_proba(X_test), **TOLERANCE[dtype])


def test_float32_probabilities_as_an_array_on_request():
    model = fcnet.FCNetClassifier(hidden_layer_sizes=(6,), solver="lbfgs", random_state=0)
    model.fit(X.astype(np.float32), TARGETS["multiclass"])
    X_test = X.astype(np.float32)
    onnx_model = fcnet.to_onnx(model, X_test[:1], options={"zipmap": False})
    outputs = onnxruntime_outputs(onnx_model, X_test)
    assert_allclose(outputs[1], model.predict_proba(X_test), **TOLERANCE[np.float32])


def test_poisson_output_is_refused_with_a_clear_error():
    model = fcnet.FCNetRegressor(loss="poisson", solver="lbfgs", max_iter=5, random_state=0)
    model.fit(X, np.abs(X[:, 0]))
    with pytest.raises(ValueError, match="Poisson"):
        fcnet.to_onnx(model, X[:1])
