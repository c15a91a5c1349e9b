"""Faults lose nothing, memory does not leak, threads do not interfere."""

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_classification, make_regression

from fcnet import FCNetClassifier, FCNetRegressor


def test_divergence_error_names_the_cause_and_a_remedy():
    X, y = make_regression(n_samples=100, n_features=5, random_state=0)
    with pytest.raises(ValueError, match="diverged.*StandardScaler.*learning_rate_init"):
        FCNetRegressor(activation="identity", solver="sgd", max_iter=5).fit(X * 1e200, y)


def test_a_network_too_large_for_memory_is_refused_before_allocating():
    X, y = make_regression(n_samples=20, n_features=4, random_state=0)
    with pytest.raises(MemoryError, match="needs about .* GiB"):
        FCNetRegressor(hidden_layer_sizes=(10**9,)).fit(X, y)


def test_sigint_in_a_subprocess_leaves_a_usable_consistent_model():
    script = textwrap.dedent("""
        import numpy as np, warnings
        from fcnet import FCNetClassifier
        rng = np.random.default_rng(0)
        X = rng.standard_normal((100_000, 50)).astype(np.float32)
        y = (X[:, 0] > 0).astype(int)
        print("fitting", flush=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = FCNetClassifier(hidden_layer_sizes=(512, 512), batch_size=16,
                                    max_iter=50, random_state=0).fit(X, y)
        assert any("Training interrupted by user." in str(w.message) for w in caught)
        assert model.n_iter_ == len(model.loss_curve_)
        assert model.t_ == model.n_iter_ * len(X)
        assert all(np.isfinite(c).all() for c in model.coefs_)
        print("accuracy", model.score(X[:1000], y[:1000]), flush=True)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "fitting"
    threading.Event().wait(1.0)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert out.startswith("accuracy")


def test_500_fit_predict_cycles_grow_rss_by_less_than_2_mb():
    script = textwrap.dedent("""
        import numpy as np, warnings
        from fcnet import FCNetClassifier
        warnings.simplefilter("ignore")
        rng = np.random.default_rng(0)
        X, y = rng.standard_normal((200, 10)), rng.integers(0, 3, 200)
        def rss_kib():
            with open("/proc/self/status") as status:
                return next(int(l.split()[1]) for l in status if l.startswith("VmRSS"))
        def cycles(n):
            for i in range(n):
                model = FCNetClassifier(hidden_layer_sizes=(16,), max_iter=3,
                                        random_state=i).fit(X, y)
                model.predict_proba(X)
        cycles(50)  # allocator and caches settle
        before = rss_kib()
        cycles(500)
        print(rss_kib() - before)
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout.split()[-1]) < 2048


def test_predict_from_eight_threads_equals_sequential():
    X, y = make_classification(n_samples=3000, n_features=20, n_classes=3, n_informative=6,
                               random_state=0)
    model = FCNetClassifier(hidden_layer_sizes=(64,), max_iter=5, random_state=0).fit(X, y)
    chunks = np.array_split(X, 8)
    expected = [model.predict_proba(chunk) for chunk in chunks]
    results = [None] * 8
    barrier = threading.Barrier(8)

    def work(i):
        barrier.wait()
        for _ in range(20):
            results[i] = model.predict_proba(chunks[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for got, want in zip(results, expected):
        assert_array_equal(got, want)


def test_two_fits_in_two_threads_equal_their_sequential_fits():
    X, y = make_regression(n_samples=2000, n_features=30, random_state=0)
    params = [dict(hidden_layer_sizes=(64,), random_state=0, max_iter=5),
              dict(hidden_layer_sizes=(32, 16), solver="sgd", random_state=1, max_iter=5)]
    sequential = [FCNetRegressor(**p).fit(X, y / 100) for p in params]
    parallel = [FCNetRegressor(**p) for p in params]
    threads = [threading.Thread(target=m.fit, args=(X, y / 100)) for m in parallel]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for mine, reference in zip(parallel, sequential):
        for a, b in zip(mine.coefs_, reference.coefs_):
            assert_array_equal(a, b)


def test_valgrind_memcheck_finds_no_error_in_fcnet():
    script = textwrap.dedent("""
        import numpy as np, warnings
        from fcnet import _core, _network
        warnings.simplefilter("ignore")
        rng = np.random.default_rng(0)
        units = [6, 9, 3]
        net = _core.Net(units, "tanh", "softmax", "log_loss")
        params = rng.uniform(-1, 1, _network.n_params(units))
        X, Y = rng.standard_normal((37, 6)), np.eye(3)[rng.integers(0, 3, 37)]
        grads = np.empty_like(params)
        _core.forward_backward(net, grads, np.empty(net.backprop_workspace_len(37)), params,
                               _core.Input(X), Y, np.ones(37), 0.1)
        state = np.zeros(2 * len(params))
        adam = _core.Optimizer("adam", 1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
        _core.train_epoch(net, adam, params, grads, state, np.empty(net.epoch_workspace_len(8)),
                          _core.Input(X), Y, None, rng.permutation(37), 8, 1e-4)
        out = np.empty((37, 3))
        _core.predict(net, out, np.empty(net.predict_workspace_len(37)), params,
                      _core.Input(X), 4096)
        print("ok", float(out.sum()))
    """)
    run = subprocess.run(
        ["valgrind", "--errors-for-leak-kinds=none", "--num-callers=30", sys.executable, "-c",
         script],
        capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONMALLOC": "malloc", "OMP_NUM_THREADS": "1"})
    assert run.returncode == 0 and "ok" in run.stdout, run.stderr[-3000:]
    # The dynamic loader and CPython's integer code report known false
    # positives; an error whose stack passes through fcnet's code is ours.
    blocks = re.split(r"\n==\d+== \n", run.stderr)
    ours = [block for block in blocks if "_core.cpython" in block or "fcn_" in block]
    assert not ours, "\n\n".join(ours)[:5000]
