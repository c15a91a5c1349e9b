"""Ctrl-C during fit: noticed at a minibatch boundary, mid-epoch, with
scikit-learn's warning, leaving a usable model; during predict: noticed
between chunks."""

import os
import signal
import threading

import numpy as np
import pytest

from fcnet import FCNetClassifier, _core


def test_ctrl_c_stops_within_an_epoch_and_leaves_a_usable_model(monkeypatch):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((240_000, 100)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    # an epoch is 450 GFLOP in 7500 minibatches: seconds on any CPU; the
    # signal comes 0.2 s into the first one, whatever the set-up before it took
    timers = []
    train_epoch = _core.train_epoch

    def train_epoch_then_ctrl_c(*args, **kwargs):
        if not timers:
            timers.append(threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)))
            timers[0].start()
        return train_epoch(*args, **kwargs)

    monkeypatch.setattr(_core, "train_epoch", train_epoch_then_ctrl_c)
    model = FCNetClassifier(hidden_layer_sizes=(512, 512), batch_size=32, max_iter=5,
                            random_state=0)
    try:
        with pytest.warns(UserWarning, match="Training interrupted by user."):
            model.fit(X, y)
    finally:
        for timer in timers:
            timer.cancel()
    # stopped inside the first epoch: no epoch was recorded, yet batches ran
    assert model.n_iter_ == 0 and model.loss_curve_ == [] and model.t_ == 0
    assert all(np.isfinite(c).all() for c in model.coefs_)
    assert model.predict(X[:10]).shape == (10,)
    assert model.score(X[:2000], y[:2000]) > 0.6


def test_ctrl_c_stops_a_long_predict_between_chunks():
    rng = np.random.default_rng(0)
    units = [256, 2048, 2048, 1]
    net = _core.Net(units, "relu", "identity", "squared_error")
    params = rng.uniform(-0.05, 0.05, net.n_params).astype(np.float32)
    X = rng.standard_normal((50_000, units[0])).astype(np.float32)
    out = np.full((len(X), 1), np.nan, dtype=np.float32)
    chunk_rows = 1024
    workspace = np.empty(net.predict_workspace_len(chunk_rows), dtype=np.float32)
    # 470 GFLOP in 49 chunks: seconds on any CPU; the signal comes 0.2 s in
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            _core.predict(net, out, workspace, params, _core.Input(X), chunk_rows)
    finally:
        timer.cancel()
    # stopped between chunks: the first is done, the last was never started
    assert np.isfinite(out[:chunk_rows]).all() and np.isnan(out[-chunk_rows:]).all()
