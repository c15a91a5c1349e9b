"""The rest of scikit-learn's MLP, each against the installed scikit-learn
from the same random_state: lbfgs, the learning-rate schedules, early
stopping, sample weights, the Poisson loss and sparse input."""

import numpy as np
import pytest
import scipy.sparse
from numpy.testing import assert_allclose, assert_array_equal
from parity_problems import (
    BREAST_CANCER,
    LBFGS_PROBLEMS,
    MULTI_OUTPUT_REGRESSION,
    PROBLEMS,
    breast_cancer,
    diabetes,
    digits,
    fit_both,
    params_of,
    problem_id,
)
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

from fcnet import FCNetClassifier, FCNetRegressor


def assert_same_trajectory(ours, theirs, X, params_rtol=1e-8):
    assert ours.n_iter_ == theirs.n_iter_
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-8)
    if hasattr(theirs, "loss_curve_"):
        assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-8)
    for mine, reference in zip(params_of(ours), params_of(theirs)):
        assert_allclose(mine, reference, rtol=params_rtol, atol=params_rtol * 1e-4)
    if hasattr(theirs, "predict_proba"):
        assert_array_equal(ours.predict(X), theirs.predict(X))
    else:
        assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-8)


@pytest.mark.parametrize("problem", LBFGS_PROBLEMS, ids=problem_id)
def test_lbfgs_as_scikit_learn(problem):
    theirs, ours, X = fit_both(problem, dict(solver="lbfgs", max_iter=20), np.float64)
    assert ours.n_iter_ == 20
    assert not hasattr(ours, "loss_curve_") and not hasattr(theirs, "loss_curve_")
    # lbfgs's steps grow the last bits of each gradient: breast_cancer's weights
    # differ from scikit-learn's by 1 ulp after one step, 1e-13 after 5, 1e-10
    # after 20 on an AMD EPYC (Zen 5), 1.2e-8 relative where they are smallest,
    # whatever fcnet's build; its loss by 5e-11
    assert_same_trajectory(ours, theirs, X, params_rtol=1e-7)


def test_lbfgs_stops_on_max_fun_with_scikit_learns_warning():
    for cls in (MLPClassifier, FCNetClassifier):
        with pytest.warns(ConvergenceWarning, match="lbfgs failed to converge"):
            model = cls(solver="lbfgs", max_fun=5, random_state=0).fit(*digits())
        assert model.n_iter_ < 5


def test_lbfgs_multi_output_converges_on_the_reported_loss():
    """The one deliberate difference: scikit-learn's lbfgs follows a gradient
    n_outputs times too large in its data term (#8349), so it converges to the
    minimum of another function than the loss it reports. fcnet's follows the
    true gradient (tests/test_gradients.py): it ends lower on the reported
    loss, where its gradient is smaller. At scikit-learn's end point the true
    gradient is (1 - 1 / n_outputs) times the penalty's, so a strong penalty
    shows the difference clearly, whatever path each optimizer took."""
    import fcnet

    X, y = MULTI_OUTPUT_REGRESSION.dataset()
    theirs, ours, _ = fit_both(MULTI_OUTPUT_REGRESSION,
                               dict(solver="lbfgs", max_iter=5000, alpha=1.0), np.float64)
    assert theirs.n_iter_ < 5000 and ours.n_iter_ < 5000  # both converged
    assert ours.loss_ < theirs.loss_

    def largest_gradient(model):
        probe = FCNetRegressor(**ours.get_params())
        probe.__dict__.update({k: v for k, v in ours.__dict__.items() if k.endswith("_")})
        probe.coefs_, probe.intercepts_ = model.coefs_, model.intercepts_
        result = fcnet.backprop(probe, X, y)
        return max(np.abs(g).max() for g in result.dW[1:] + result.db[1:])

    assert largest_gradient(ours) < largest_gradient(theirs) / 5


@pytest.mark.parametrize("problem", PROBLEMS, ids=problem_id)
@pytest.mark.parametrize(
    "schedule",
    [
        dict(learning_rate="invscaling", learning_rate_init=0.1, power_t=0.4),
        dict(learning_rate="adaptive", tol=0.05, n_iter_no_change=1, max_iter=40),
    ],
    ids=["invscaling", "adaptive"],
)
def test_learning_rate_schedules_as_scikit_learn(problem, schedule):
    theirs, ours, X = fit_both(problem, dict(solver="sgd", **schedule), np.float64)
    assert_same_trajectory(ours, theirs, X)
    assert ours._optimizer.core.learning_rate == pytest.approx(
        theirs._optimizer.learning_rate, rel=1e-12
    )
    if schedule["learning_rate"] == "adaptive":
        assert ours._optimizer.core.learning_rate < 0.01  # it was divided


@pytest.mark.parametrize("problem", PROBLEMS, ids=problem_id)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_early_stopping_as_scikit_learn(problem, solver):
    params = dict(solver=solver, early_stopping=True, max_iter=40, validation_fraction=0.2)
    theirs, ours, X = fit_both(problem, params, np.float64)
    assert ours.best_loss_ is None is theirs.best_loss_
    assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-8)
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_, rel=1e-8)
    assert len(ours.validation_loss_curve_) == ours.n_iter_
    assert_same_trajectory(ours, theirs, X)  # restored best weights included


def test_early_stopping_verbose_lines_as_scikit_learn(capsys):
    params = dict(solver="adam", early_stopping=True, max_iter=15, verbose=True)
    fit_both(BREAST_CANCER, params, np.float64)
    theirs, ours = capsys.readouterr().out.split("Iteration 1,")[1:]
    assert "Iteration 1," + ours == "Iteration 1," + theirs
    assert "Validation score:" in ours


def test_validation_loss_curve_is_the_loss_on_the_validation_split():
    """At the best epoch the restored model is the one scored: its loss on
    the validation split (rebuilt here as scikit-learn draws it) is that entry."""
    from sklearn.model_selection import train_test_split

    from fcnet import _core, _network

    X, y = diabetes()
    model = FCNetRegressor(hidden_layer_sizes=(8,), early_stopping=True, max_iter=30,
                           random_state=0).fit(X, y)
    random_state = np.random.RandomState(0)
    _network.glorot_uniform([X.shape[1], 8, 1], "relu", random_state, np.float64)
    _, X_val, _, y_val = train_test_split(X, y, random_state=random_state, test_size=0.1)
    best = int(np.argmax(model.validation_scores_))
    A = model.predict(X_val).reshape(-1, 1)
    expected = _core.loss(A, y_val.reshape(-1, 1), "squared_error")
    assert model.validation_loss_curve_[best] == pytest.approx(expected, rel=1e-12)


def test_early_stopping_errors_as_scikit_learn():
    X, y = breast_cancer()
    for classifier, regressor in [(MLPClassifier, MLPRegressor), (FCNetClassifier, FCNetRegressor)]:
        with pytest.raises(ValueError, match="The validation set is too small"):
            regressor(early_stopping=True, validation_fraction=0.01).fit(X[:100], y[:100])
        with pytest.raises(ValueError, match="have only 1 member, which is too few"):
            classifier(early_stopping=True).fit(X[:50], np.r_[1, np.zeros(49, dtype=int)])
        with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
            classifier(early_stopping=True).partial_fit(X, y, classes=[0, 1])


# scikit-learn's predictions overflow, which is the case under test
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_nan_validation_scores_as_scikit_learn():
    """Predictions that overflow score NaN; a NaN score resets the
    no-improvement count and never becomes the best, so training runs to
    max_iter and the initial weights are restored, as in scikit-learn."""
    X, y = diabetes()
    params = dict(hidden_layer_sizes=(4,), activation="identity", solver="sgd",
                  early_stopping=True, max_iter=12, random_state=0)
    models = []
    for cls in (MLPRegressor, FCNetRegressor):
        models.append(cls(**params).fit(X * 1e150, y))
    theirs, ours = models
    assert np.isnan(theirs.validation_scores_).all() and np.isnan(ours.validation_scores_).all()
    assert ours.n_iter_ == theirs.n_iter_ == 12
    assert ours.best_validation_score_ == -np.inf == theirs.best_validation_score_
    for restored, reference in zip(params_of(ours), params_of(theirs)):  # the initial draw
        assert_array_equal(restored, reference)


@pytest.mark.parametrize(
    "problem, solver",
    [(p, s) for p in PROBLEMS for s in ["sgd", "adam", "lbfgs"]
     if s != "lbfgs" or p in LBFGS_PROBLEMS],
    ids=lambda v: v if isinstance(v, str) else problem_id(v),
)
def test_sample_weight_as_scikit_learn(problem, solver):
    X, y = problem.dataset()
    weights = np.random.default_rng(0).uniform(0, 3, len(X))
    models = []
    for cls in problem.estimators:
        model = cls(hidden_layer_sizes=(16,), activation=problem.activation, solver=solver,
                    random_state=0, max_iter=10, learning_rate_init=0.01)
        models.append(model.fit(X, y, sample_weight=weights))
    assert_same_trajectory(models[1], models[0], X)


def test_sample_weight_in_partial_fit_and_early_stopping_as_scikit_learn():
    X, y = digits()
    weights = np.random.default_rng(1).uniform(0, 2, len(X))
    models = []
    for cls in (MLPClassifier, FCNetClassifier):
        model = cls(hidden_layer_sizes=(16,), random_state=0)
        model.partial_fit(X[:900], y[:900], sample_weight=weights[:900], classes=np.arange(10))
        model.partial_fit(X[900:], y[900:], sample_weight=weights[900:])
        stopped = cls(hidden_layer_sizes=(16,), random_state=0, early_stopping=True, max_iter=20)
        stopped.fit(X, y, sample_weight=weights)
        models.append((model, stopped))
    for ours, theirs in zip(models[1], models[0]):
        assert_same_trajectory(ours, theirs, X)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_poisson_as_scikit_learn(solver):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 5))
    y = rng.poisson(np.exp(0.3 * X[:, 0] - 0.2 * X[:, 1]))
    models = []
    for cls in (MLPRegressor, FCNetRegressor):
        model = cls(loss="poisson", hidden_layer_sizes=(8,), solver=solver, max_iter=15,
                    random_state=0, learning_rate_init=0.01)
        models.append(model.fit(X, y))
    theirs, ours = models
    assert ours.out_activation_ == "exp" == theirs.out_activation_
    assert_same_trajectory(ours, theirs, X)


def test_poisson_refuses_negative_targets():
    with pytest.raises(ValueError, match="negative which is not allowed for Poisson"):
        FCNetRegressor(loss="poisson").fit(np.ones((3, 2)), [1.0, -1.0, 2.0])


@pytest.mark.parametrize("to_sparse", [scipy.sparse.csr_matrix, scipy.sparse.csc_matrix,
                                       scipy.sparse.csr_array])
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_sparse_input_as_scikit_learn(to_sparse, solver):
    X, y = make_classification(n_samples=400, n_features=60, n_informative=10, n_classes=3,
                               random_state=0)
    X[np.random.default_rng(0).uniform(size=X.shape) < 0.8] = 0
    X_sparse = to_sparse(X)
    params = dict(hidden_layer_sizes=(16,), solver=solver, max_iter=10, random_state=0)
    theirs = MLPClassifier(**params).fit(X_sparse, y)
    ours = FCNetClassifier(**params).fit(X_sparse, y)
    dense = FCNetClassifier(**params).fit(X, y)
    assert_same_trajectory(ours, theirs, X_sparse)
    assert_same_trajectory(ours, dense, X)
    assert_allclose(ours.predict_proba(X_sparse), dense.predict_proba(X), rtol=1e-10)


def test_sparse_input_is_never_densified():
    """2,000,000 features: a dense copy of X would take 4.8 GB."""
    rng = np.random.default_rng(0)
    rows, columns = rng.integers(0, 300, 12_000), rng.integers(0, 2_000_000, 12_000)
    X = scipy.sparse.csr_matrix((rng.standard_normal(12_000), (rows, columns)),
                                shape=(300, 2_000_000))
    y = rng.integers(0, 2, 300)
    model = FCNetClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    model.fit(X, y)
    assert model.predict_proba(X).shape == (300, 2)
