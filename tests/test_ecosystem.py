"""fcnet among its neighbours: threads under joblib, scikit-learn's callbacks
and Display style, Dask, pandas and the HTML repr."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import fcnet
from fcnet import FCNetClassifier, FCNetRegressor, _core


def test_grid_search_jobs_do_not_oversubscribe_the_cores(iris):
    """joblib's workers cap OpenMP at cores // n_jobs: the score here is the
    thread count the core would use inside each worker."""
    X, y = iris
    search = GridSearchCV(FCNetClassifier(max_iter=2), {"alpha": [1e-4, 1e-3]}, cv=2,
                          n_jobs=2, scoring=lambda estimator, X, y: _core.max_threads())
    search.fit(X, y)
    assert set(search.cv_results_["mean_test_score"]) == {max(1, os.cpu_count() // 2)}


def test_scoring_monitor_sees_one_subtask_per_epoch(iris):
    from sklearn.callback import ScoringMonitor

    X, y = iris
    monitor = ScoringMonitor(scoring="accuracy")
    model = FCNetClassifier(max_iter=6, random_state=0).set_callbacks(monitor)
    model.fit(X, y)
    records = monitor.get_logs().data
    epochs = [r for r in records if r["task_name"].startswith("epoch")]
    assert [r["task_name"] for r in epochs] == [f"epoch {i}" for i in range(1, 7)]
    root = next(r for r in records if r["task_name"] == "fit")
    assert root["accuracy"] == pytest.approx(model.score(X, y))
    assert epochs[-1]["accuracy"] == pytest.approx(model.score(X, y))


def test_progress_bar_runs_and_verbose_lines_stay(iris, capsys):
    from sklearn.callback import ProgressBar

    X, y = iris
    FCNetClassifier(max_iter=3, verbose=True).set_callbacks(ProgressBar()).fit(X, y)
    assert capsys.readouterr().out.count("Iteration") == 3


def test_fits_without_scikit_learns_callback_api(iris):
    """With scikit-learn < 1.9 there is no sklearn.callback: fcnet imports and fits."""
    script = textwrap.dedent("""
        import sys, types, warnings
        import sklearn.datasets, sklearn.model_selection, sklearn.neural_network
        # as if scikit-learn predated the callback API
        sys.modules["sklearn.callback"] = types.ModuleType("sklearn.callback")
        warnings.simplefilter("ignore")
        from sklearn.datasets import load_iris
        import fcnet
        X, y = load_iris(return_X_y=True)
        model = fcnet.FCNetClassifier(max_iter=200, random_state=0).fit(X, y)
        assert not hasattr(model, "set_callbacks")
        print(model.score(X, y))
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert float(run.stdout) > 0.9


def test_loss_curve_display(iris, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    X, y = iris
    model = FCNetClassifier(early_stopping=True, max_iter=15, random_state=0).fit(X, y)
    display = fcnet.LossCurveDisplay.from_estimator(model)
    assert set(display.lines_) == {"training loss", "validation loss", "validation score"}
    assert_allclose(display.lines_["training loss"].get_ydata(), model.loss_curve_)
    assert_allclose(display.lines_["validation score"].get_ydata(), model.validation_scores_)
    assert display.score_ax_ is not None
    display.figure_.savefig(tmp_path / "history.png")
    assert (tmp_path / "history.png").stat().st_size > 1000
    plain = fcnet.LossCurveDisplay.from_estimator(
        FCNetRegressor(max_iter=4).fit(X, y.astype(float)))
    assert set(plain.lines_) == {"training loss"} and plain.score_ax_ is None
    with pytest.raises(ValueError, match="lbfgs keeps no per-epoch history"):
        fcnet.LossCurveDisplay.from_estimator(FCNetClassifier(solver="lbfgs").fit(X, y))


def test_loss_curve_display_without_matplotlib_says_what_to_install(iris, monkeypatch):
    X, y = iris
    model = FCNetClassifier(max_iter=2, random_state=0).fit(X, y)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` fails
    with pytest.raises(ImportError, match=r"from_estimator requires matplotlib: "
                                          r"pip install 'fcnet\[plot\]'"):
        fcnet.LossCurveDisplay.from_estimator(model)


def test_grid_search_on_a_dask_cluster_equals_the_local_run(iris):
    import joblib
    from distributed import Client, LocalCluster

    X, y = iris
    pipe = make_pipeline(StandardScaler(), FCNetClassifier(max_iter=20, random_state=0))
    grid = {"fcnetclassifier__alpha": [1e-4, 1e-2], "fcnetclassifier__hidden_layer_sizes":
            [(8,), (16,)]}
    local = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster):
        with joblib.parallel_backend("dask"):
            remote = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    assert_array_equal(remote.cv_results_["mean_test_score"],
                       local.cv_results_["mean_test_score"])
    assert remote.best_params_ == local.best_params_


def test_dask_ml_incremental_trains_through_partial_fit(iris):
    import dask.array as da
    from dask_ml.wrappers import Incremental

    X, y = iris
    order = np.random.default_rng(0).permutation(len(X))
    X, y = X[order], y[order]
    incremental = Incremental(FCNetClassifier(random_state=0), shuffle_blocks=False)
    incremental.fit(da.from_array(X, chunks=50), da.from_array(y, chunks=50), classes=[0, 1, 2])
    by_hand = FCNetClassifier(random_state=0)
    for start in range(0, 150, 50):
        by_hand.partial_fit(X[start:start + 50], y[start:start + 50], classes=[0, 1, 2])
    for mine, reference in zip(incremental.estimator_.coefs_, by_hand.coefs_):
        assert_array_equal(mine, reference)


def test_pandas_feature_names_and_html_repr(iris):
    import pandas as pd

    X, y = iris
    frame = pd.DataFrame(X, columns=["sepal length", "sepal width", "petal length",
                                     "petal width"])
    model = FCNetClassifier(max_iter=3).fit(frame, y)
    assert list(model.feature_names_in_) == list(frame.columns)
    with pytest.warns(UserWarning, match="feature names"):
        model.predict(X)
    html = model._repr_html_()
    assert "FCNetClassifier" in html and "<style" in html
