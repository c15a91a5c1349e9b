"""The private scikit-learn names fcnet imports (all of them through
fcnet._sklearn_private) exist and behave as fcnet relies on: CI runs this
against scikit-learn 1.8.0 and the newest, so that a release that changes
one fails here, by name, rather than somewhere inside a fit."""

import warnings
from numbers import Integral, Real

import numpy as np
import pytest
from scipy.optimize import OptimizeResult
from sklearn.exceptions import ConvergenceWarning

from fcnet import _sklearn_private
from fcnet._sklearn_private import (
    Interval,
    Options,
    StrOptions,
    check_optimize_result,
    check_partial_fit_first_call,
    check_sample_weight,
)


def test_every_name_is_listed():
    assert sorted(_sklearn_private.__all__) == sorted(
        name for name in vars(_sklearn_private) if not name.startswith("_"))


def test_constraints_accept_and_refuse_as_parameter_validation_needs():
    positive = Interval(Integral, 1, None, closed="left")
    assert positive.is_satisfied_by(1) and not positive.is_satisfied_by(0)
    assert not positive.is_satisfied_by(1.5)
    unit = Interval(Real, 0, 1, closed="left")
    assert unit.is_satisfied_by(0.0) and not unit.is_satisfied_by(1.0)
    assert StrOptions({"sgd", "adam"}).is_satisfied_by("adam")
    assert not StrOptions({"sgd", "adam"}).is_satisfied_by("lbfgs")
    assert Options(Real, {np.inf}).is_satisfied_by(np.inf)
    assert not Options(Real, {np.inf}).is_satisfied_by(3.0)


def test_constraints_are_what_fit_validates_with():
    from fcnet import FCNetClassifier

    with pytest.raises(ValueError, match="'solver' parameter of FCNetClassifier must be"):
        FCNetClassifier(solver="newton").fit([[0.0], [1.0]], [0, 1])


class _Estimator:
    pass


def test_partial_fit_first_call_needs_classes_once():
    estimator = _Estimator()
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        check_partial_fit_first_call(estimator, None)
    assert check_partial_fit_first_call(estimator, np.array([2, 0, 1]))
    np.testing.assert_array_equal(estimator.classes_, [0, 1, 2])
    assert not check_partial_fit_first_call(estimator, None)
    assert not check_partial_fit_first_call(estimator, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="is not the same as on last call"):
        check_partial_fit_first_call(estimator, np.array([0, 1]))


def test_optimize_result_counts_iterations_and_warns_from_its_caller():
    stopped = OptimizeResult(nit=12, status=1, message="STOP: TOTAL NO. OF ITERATIONS")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert check_optimize_result("lbfgs", stopped, 10) == 10
    [warning] = caught
    assert issubclass(warning.category, ConvergenceWarning)
    assert "lbfgs failed to converge" in str(warning.message)
    # from the module that called it: a filter on module="fcnet" catches fcnet's
    assert warning.filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        converged = OptimizeResult(nit=3, status=0, message="CONVERGENCE")
        assert check_optimize_result("lbfgs", converged, 10) == 3


def test_sample_weight_is_checked_and_kept_in_its_float_dtype():
    X = np.zeros((3, 2), dtype=np.float32)
    weights = check_sample_weight(np.array([1, 2, 3], dtype=np.float32), X)
    assert weights.dtype == np.float32 and weights.tolist() == [1, 2, 3]
    assert check_sample_weight(np.array([1, 2, 3]), X).dtype == np.float64
    assert check_sample_weight(2.0, X).tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(4,\), expected \(3,\)"):
        check_sample_weight(np.ones(4), X)
