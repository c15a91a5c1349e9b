"""The private scikit-learn names fcnet uses, all imported here, each with why.

scikit-learn may change a private name in any release: under the
scikit-learn>=1.8 floor, each is a risk of breaking. tests/test_sklearn_private.py
checks that each exists and behaves as fcnet relies on; CI runs it against
scikit-learn 1.8.0 and the newest. The names are re-exported as they are, not
wrapped: _check_optimize_result's warning points at its caller's file.
"""

# Interval, Options, StrOptions: the vocabulary of _parameter_constraints, by
# which BaseEstimator._validate_params checks parameters with scikit-learn's
# messages. scikit-learn has no public equivalent; its own estimators and
# those of third-party libraries write constraints with these.
from sklearn.utils._param_validation import Interval, Options, StrOptions

# The messages and rules of scikit-learn's MLP, kept so that fcnet is a
# drop-in replacement:
# - partial_fit's `classes` on the first call and not after, and classes_;
from sklearn.utils.multiclass import _check_partial_fit_first_call as check_partial_fit_first_call

# - lbfgs's n_iter_ and its ConvergenceWarning (stacklevel 2: from the
#   caller's module, so that a filter on module="fcnet" catches it);
from sklearn.utils.optimize import _check_optimize_result as check_optimize_result

# - sample_weight as an array of X's float dtype, of the right length, or an
#   error as scikit-learn words it.
from sklearn.utils.validation import _check_sample_weight as check_sample_weight

__all__ = [
    "Interval",
    "Options",
    "StrOptions",
    "check_optimize_result",
    "check_partial_fit_first_call",
    "check_sample_weight",
]
