"""fcnet against the installed scikit-learn, from the same random_state: the
same initial weights and minibatches, so the same trajectory up to rounding."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from parity_problems import DIGITS, PROBLEMS, fit_both, params_of, problem_id

SOLVERS = [
    dict(solver="sgd", momentum=0.0),
    dict(solver="sgd", momentum=0.9, nesterovs_momentum=True),
    dict(solver="sgd", momentum=0.9, nesterovs_momentum=False),
    dict(solver="adam"),
]


@pytest.mark.parametrize("problem", PROBLEMS, ids=problem_id)
@pytest.mark.parametrize("solver", SOLVERS, ids=lambda s: "-".join(map(str, s.values())))
def test_float64_trajectory_equals_scikit_learn(problem, solver):
    theirs, ours, X = fit_both(problem, solver, np.float64)
    assert ours.n_iter_ == theirs.n_iter_ == 10
    assert ours.t_ == theirs.t_
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-8)
    assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-8)
    for mine, reference in zip(params_of(ours), params_of(theirs)):
        assert mine.shape == reference.shape and mine.dtype == reference.dtype
        assert_allclose(mine, reference, rtol=1e-8)
    if hasattr(theirs, "predict_proba"):
        assert_array_equal(ours.predict(X), theirs.predict(X))
        assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-8)
    else:
        assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-8)


@pytest.mark.parametrize("problem", PROBLEMS, ids=problem_id)
def test_float32_trajectory_close_to_scikit_learn(problem):
    theirs, ours, X = fit_both(problem, dict(solver="adam"), np.float32)
    assert all(p.dtype == np.float32 for p in params_of(ours))
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-4)
    for mine, reference in zip(params_of(ours), params_of(theirs)):
        # where adam's second moment is near 0, a rounding flips a step of
        # size learning_rate_init (0.01): compare at a fraction of one step
        assert_allclose(mine, reference, rtol=1e-3, atol=2e-3)
    if hasattr(theirs, "predict_proba"):
        assert np.mean(ours.predict(X) == theirs.predict(X)) >= 0.99
    else:
        assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("batch_size", ["auto", 5000])
def test_stopping_and_batching_match_scikit_learn(shuffle, batch_size):
    """Early stop on a stalled training loss, batch_size clipping (with
    scikit-learn's warning), and shuffle off all follow scikit-learn."""
    params = dict(shuffle=shuffle, batch_size=batch_size, tol=1e-2, n_iter_no_change=2,
                  max_iter=100)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        theirs, ours, _ = fit_both(DIGITS, dict(solver="adam"), np.float64, **params)
    assert ours.n_iter_ == theirs.n_iter_ < 100
    assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-8)
    clipped = [w for w in caught if "It is going to be clipped" in str(w.message)]
    assert len(clipped) == (2 if batch_size == 5000 else 0)
