"""Subnormal numbers are flushed to zero inside the core on x86 (csrc/subnormals.h),
alike on every thread, and the caller's floating-point mode is restored on return."""

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from fcnet import FCNetClassifier, _core

SUBNORMAL = {np.float32: np.float32(1e-40), np.float64: np.float64(1e-310)}


def numpy_keeps_subnormals(dtype):
    tiny = np.finfo(dtype).tiny
    return np.array([tiny], dtype) / dtype(4) != 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_keeps_subnormals_after_fcnet_runs(dtype):
    X = np.random.default_rng(0).standard_normal((50, 4)).astype(dtype)
    y = (X[:, 0] > 0).astype(int)
    model = FCNetClassifier(hidden_layer_sizes=(8,), max_iter=3).fit(X, y)
    model.predict_proba(X[:1])
    model.partial_fit(X, y)
    assert numpy_keeps_subnormals(dtype)


@pytest.mark.skipif(not _core.FLUSHES_SUBNORMALS,
                    reason="this build leaves the floating-point mode alone (ARM, plain C)")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_core_flushes_subnormal_inputs_and_results(dtype):
    A = np.full((4, 8), SUBNORMAL[dtype], dtype)
    W, b = np.ones((8, 3), dtype), np.zeros(3, dtype)
    Z = np.empty((4, 3), dtype)
    _core.dense_forward(Z, A, W, b, "identity", np.empty(_core.pack_len(4, 8, 3), dtype))
    assert not Z.any()  # 8 x 1e-40 would be a subnormal: read as 0 (DAZ)
    tiny = np.full((2, 2), np.finfo(dtype).tiny, dtype)
    delta = np.full((2, 2), 0.25, dtype)
    _core.activation_backward(delta, tiny, "logistic")  # 0.25 * tiny * (1 - tiny)
    assert not delta.any()  # a subnormal result: written as 0 (FTZ)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_products_with_subnormals_are_the_same_on_any_thread_count(dtype):
    # large enough for the team: every thread must flush as the caller does
    rng = np.random.default_rng(1)
    A = rng.standard_normal((256, 256)).astype(dtype)
    delta = rng.standard_normal((256, 128)).astype(dtype)
    delta[:, ::2] = SUBNORMAL[dtype]  # columns of dW that are subnormal sums
    W = rng.standard_normal((256, 128)).astype(dtype)
    pack = np.empty(max(_core.pack_len(256, 256, 128), _core.pack_len(256, 128, 256)), dtype)
    results = []
    for threads in (1, 2, 3):
        dW, db, delta_in = np.empty_like(W), np.empty(128, dtype), np.empty_like(A)
        with threadpool_limits(threads):
            _core.dense_backward(dW, db, delta_in, delta, A, W, 0.0, 1.0, "identity", pack)
        results.append((dW, db, delta_in))
    for other in results[1:]:
        for expected, got in zip(results[0], other):
            np.testing.assert_array_equal(got, expected)
