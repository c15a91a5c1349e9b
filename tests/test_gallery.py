"""scikit-learn's gallery examples for its MLP, with fcnet's MLPClassifier or
MLPRegressor imported in place of scikit-learn's as the only change.

Each example's use of the estimator is written here once as a function of
the estimator class (smaller data and max_iter than the gallery's, so that
the suite stays quick), run with scikit-learn's class and with fcnet's, and
the results compared: fcnet follows scikit-learn's trajectory, so they agree
to rounding."""

import contextlib
import io
import re
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
import sklearn.neural_network
from numpy.testing import assert_allclose
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris, make_circles, make_classification, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import PartialDependenceDisplay
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, QuantileTransformer, StandardScaler

import fcnet

matplotlib.use("Agg")

SKLEARN = sklearn.neural_network
FCNET = fcnet


# ---- plot_mlp_training_curves: seven stochastic strategies per dataset ----

STRATEGIES = [
    {"solver": "sgd", "learning_rate": "constant", "momentum": 0, "learning_rate_init": 0.2},
    {"solver": "sgd", "learning_rate": "constant", "momentum": 0.9,
     "nesterovs_momentum": False, "learning_rate_init": 0.2},
    {"solver": "sgd", "learning_rate": "constant", "momentum": 0.9,
     "nesterovs_momentum": True, "learning_rate_init": 0.2},
    {"solver": "sgd", "learning_rate": "invscaling", "momentum": 0, "learning_rate_init": 0.2},
    {"solver": "sgd", "learning_rate": "invscaling", "momentum": 0.9,
     "nesterovs_momentum": True, "learning_rate_init": 0.2},
    {"solver": "sgd", "learning_rate": "invscaling", "momentum": 0.9,
     "nesterovs_momentum": False, "learning_rate_init": 0.2},
    {"solver": "adam", "learning_rate_init": 0.01},
]


def training_curves(library, module):
    """Loss curves and training scores of each strategy on each dataset, with
    the example's warnings filter written for the library's module."""
    datasets = [load_iris(return_X_y=True), make_circles(noise=0.2, factor=0.5, random_state=1),
                make_moons(noise=0.3, random_state=0)]
    curves, scores = [], []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=ConvergenceWarning, module=module)
        for X, y in datasets:
            X = MinMaxScaler().fit_transform(X)
            for strategy in STRATEGIES:
                mlp = library.MLPClassifier(verbose=0, random_state=0, max_iter=15, **strategy)
                mlp.fit(X, y)
                curves.append(mlp.loss_curve_)
                scores.append(mlp.score(X, y))
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    return curves, scores


def test_plot_mlp_training_curves():
    theirs, ours = training_curves(SKLEARN, "sklearn"), training_curves(FCNET, "fcnet")
    for their_curve, our_curve in zip(theirs[0], ours[0]):
        assert_allclose(our_curve, their_curve, rtol=1e-9)
    assert ours[1] == theirs[1]


# ---- plot_mnist_filters: 28 x 28 images (generated here, not MNIST) ----

def mnist_filters(library):
    """The example's fit, printed progress, scores and first-layer filters."""
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(600, 784))
    y = (X[:, :10] @ np.arange(10) * 10 / 45).astype(int).astype(str)  # labels as strings
    X_train, X_test, y_train, y_test = X[:500], X[500:], y[:500], y[500:]
    mlp = library.MLPClassifier(hidden_layer_sizes=(50,), max_iter=10, alpha=1e-4, solver="sgd",
                                verbose=10, random_state=1, learning_rate_init=0.1)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        mlp.fit(X_train, y_train)
    losses = [float(loss) for loss in re.findall(r"Iteration \d+, loss = ([\d.]+)",
                                                 printed.getvalue())]
    filters = [coef.reshape(28, 28) for coef in mlp.coefs_[0].T[:16]]
    return losses, mlp.score(X_train, y_train), mlp.score(X_test, y_test), filters


def test_plot_mnist_filters():
    theirs, ours = mnist_filters(SKLEARN), mnist_filters(FCNET)
    assert len(ours[0]) == 10
    assert_allclose(ours[0], theirs[0], rtol=1e-7)  # printed with 8 decimals
    assert ours[1:3] == theirs[1:3]
    assert_allclose(ours[3], theirs[3], rtol=1e-9, atol=1e-12)


# ---- plot_mlp_alpha: lbfgs over alphas and three datasets ----

def alpha_decisions(library, max_iter):
    """Scores and decision surfaces (predict_proba over a grid) of each fit."""
    X, y = make_classification(n_features=2, n_redundant=0, n_informative=2, random_state=0,
                               n_clusters_per_class=1)
    X += 2 * np.random.RandomState(2).uniform(size=X.shape)
    datasets = [make_moons(noise=0.3, random_state=0),
                make_circles(noise=0.2, factor=0.5, random_state=1), (X, y)]
    scores, surfaces, iterations = [], [], []
    for X, y in datasets:
        X = StandardScaler().fit_transform(X)
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=42)
        xx, yy = np.meshgrid(np.linspace(-2.5, 2.5, 30), np.linspace(-2.5, 2.5, 30))
        for alpha in np.logspace(-5, 3, 5):
            clf = library.MLPClassifier(solver="lbfgs", alpha=alpha, random_state=1,
                                        max_iter=max_iter, hidden_layer_sizes=[100, 100])
            clf.fit(X_train, y_train)
            scores.append(clf.score(X_test, y_test))
            surfaces.append(clf.predict_proba(np.c_[xx.ravel(), yy.ravel()])[:, 1])
            iterations.append(clf.n_iter_)
    return scores, surfaces, iterations


def test_plot_mlp_alpha():
    """Up to 30 iterations, where lbfgs's trajectories still agree (README:
    rounding grows chaotically along its line search: weights up to 1e-6
    apart after 50 iterations)."""
    theirs, ours = alpha_decisions(SKLEARN, 30), alpha_decisions(FCNET, 30)
    assert ours[0] == theirs[0]
    assert_allclose(ours[1], theirs[1], rtol=1e-6, atol=1e-7)
    assert ours[2] == theirs[2]


# ---- plot_partial_dependence: a regression pipeline's partial dependence ----

def partial_dependence(library):
    rng = np.random.RandomState(0)
    n = 400
    X = pd.DataFrame({
        "temp": rng.uniform(0, 35, n), "humidity": rng.uniform(0.2, 1, n),
        "hour": rng.randint(0, 24, n).astype(float),
        "season": pd.Categorical(rng.choice(["spring", "summer", "fall", "winter"], n)),
        "workingday": pd.Categorical(rng.choice(["true", "false"], n)),
    })
    y = (np.sin(X["hour"] / 24 * 2 * np.pi) + 0.05 * X["temp"] - X["humidity"]
         + (X["workingday"] == "true") + 0.1 * rng.normal(size=n))
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    preprocessor = ColumnTransformer([
        ("num", QuantileTransformer(n_quantiles=100), ["temp", "humidity", "hour"]),
        ("cat", OneHotEncoder(handle_unknown="ignore"), ["season", "workingday"]),
    ])
    model = make_pipeline(preprocessor, library.MLPRegressor(
        hidden_layer_sizes=(30, 15), learning_rate_init=0.01, early_stopping=True,
        random_state=0))
    model.fit(X_train, y_train)
    display = PartialDependenceDisplay.from_estimator(
        model, X_train, features=["temp", "humidity", "hour", ("temp", "humidity")],
        kind="average", grid_resolution=10)
    individual = PartialDependenceDisplay.from_estimator(
        model, X_train, features=["hour"], kind="both", subsample=20, random_state=0,
        grid_resolution=10)
    return (model.score(X_test, y_test), [r["average"] for r in display.pd_results],
            individual.pd_results[0]["individual"], model[-1].n_iter_)


def test_plot_partial_dependence():
    theirs, ours = partial_dependence(SKLEARN), partial_dependence(FCNET)
    assert ours[3] == theirs[3]
    assert ours[0] == pytest.approx(theirs[0], rel=1e-6)
    for mine, reference in zip(ours[1], theirs[1]):
        assert_allclose(mine, reference, rtol=1e-6, atol=1e-8)
    assert_allclose(ours[2], theirs[2], rtol=1e-6, atol=1e-8)
