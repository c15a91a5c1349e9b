"""A fit is bitwise the same whatever the number of OpenMP threads: every
parallel loop owns disjoint outputs and sums in a fixed order."""

import os
import pathlib
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_info, threadpool_limits
from weights import assert_same_weights

from fcnet import FCNetClassifier, FCNetRegressor, _core


def test_core_follows_threadpool_limits():
    assert any(lib["internal_api"] == "openmp" for lib in threadpool_info())
    with threadpool_limits(limits=1):
        assert _core.max_threads() == 1
    with threadpool_limits(limits=3):
        assert _core.max_threads() == 3


@pytest.mark.parametrize("model", [
    FCNetClassifier(),
    FCNetClassifier(dropout=0.3),
    FCNetRegressor(loss="huber", huber_epsilon=0.5),
    FCNetRegressor(loss="quantile", quantile=0.8, dropout=0.2),
], ids=["default", "dropout", "huber", "quantile-dropout"])
@pytest.mark.parametrize("n_features, hidden", [(64, (256, 200)), (64, (100,)), (1000, (256,))],
                         ids=["team", "halves", "row-halves"])
def test_fit_is_bitwise_identical_for_any_thread_count(model, n_features, hidden):
    # team: layers large enough (batch x fan_in x fan_out) for the team to
    # split the products, and weights enough (68k) for it to split the L2
    # penalty's sum; halves: products too small for it, minibatches run as
    # two halves of their rows (but with dropout); row-halves: the forward
    # pass and delta recursion run as halves, the weights' gradient on the
    # team (but with dropout)
    X, y = make_classification(n_samples=600, n_features=n_features, n_informative=20,
                               n_classes=3, random_state=0)
    if isinstance(model, FCNetRegressor):
        y = X[:, :2] @ [1.0, -2.0] + y
    fits = []
    for n_threads in [1, 2, 3]:
        with threadpool_limits(limits=n_threads):
            fit = clone(model).set_params(hidden_layer_sizes=hidden, max_iter=3,
                                          random_state=0)
            fits.append(fit.fit(X.astype(np.float32), y))
    for other in fits[1:]:
        assert_same_weights(other, fits[0])
        assert other.loss_curve_ == fits[0].loss_curve_


FORKED_CHILDREN = textwrap.dedent("""
    import multiprocessing
    import warnings

    import numpy as np
    import scipy.sparse
    from threadpoolctl import threadpool_limits

    from fcnet import FCNetClassifier, _core

    warnings.simplefilter("ignore")
    rng = np.random.default_rng(0)
    # large enough for every parallel loop of the core: products, gathers,
    # optimizer steps and the sparse first layer
    X = rng.standard_normal((1024, 300)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int)
    X_sparse = scipy.sparse.random(1024, 3000, density=0.02, format="csr", dtype=np.float32,
                                   random_state=0)

    def fit_and_predict(solver):
        dense = FCNetClassifier(hidden_layer_sizes=(256,), solver=solver, batch_size=256,
                                max_iter=2, random_state=0).fit(X, y)
        sparse = FCNetClassifier(hidden_layer_sizes=(512,), solver=solver, batch_size=256,
                                 max_iter=2, random_state=0).fit(X_sparse, y)
        return _core.max_threads(), dense.predict_proba(X), sparse.predict_proba(X_sparse)

    if __name__ == "__main__":
        with threadpool_limits(limits=2):  # the parent's thread team is started
            parent = fit_and_predict("adam")
        with multiprocessing.get_context("fork").Pool(2) as pool:
            children = pool.map(fit_and_predict, ["adam", "sgd"])
        assert [threads for threads, *_ in children] == [_core.max_threads()] * 2
        for mine, reference in zip(children[0][1:], parent[1:]):
            np.testing.assert_array_equal(mine, reference)
        print("ok")
""")


def test_a_child_forked_after_a_fit_fits_and_predicts(tmp_path):
    """Threads do not survive fork: a child that waited for its parent's
    workers (as libgomp's pool does) would hang. The core's team is remade
    in the child (csrc/threads.c), with the same results."""
    script = tmp_path / "forked_children.py"  # a file: the children import its functions
    script.write_text(FORKED_CHILDREN)
    # its own session: a hung pool worker is killed with it, not left behind
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail("a forked child hung")
    assert process.returncode == 0 and out.strip() == "ok", err[-3000:]


def test_the_core_runs_no_openmp_region():
    """Its loops run on its own team (csrc/threads.h): an OpenMP region would
    hang a forked child and wait out time slices on a busy machine."""
    csrc = pathlib.Path(__file__).parents[1] / "csrc"
    regions = [f"{path.name}: {line.strip()}" for path in sorted(csrc.glob("*.[ch]"))
               for line in path.read_text().splitlines() if line.strip().startswith("#pragma omp")]
    assert regions == []
