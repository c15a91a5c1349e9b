"""scikit-learn's own estimator checks, all of them, on both estimators under
fcnet's names and under scikit-learn's, and on the losses and dropout fcnet
adds."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from fcnet import FCNetClassifier, FCNetRegressor, MLPClassifier, MLPRegressor


def expected_failed_checks(estimator):
    """Dropout draws a mask for each row it trains on: a row repeated twice
    gets two masks, a row of weight 2 one, so the two fits differ by design."""
    if estimator.dropout == 0:
        return {}
    reason = "dropout masks each repeated row on its own, a weighted row once"
    return {"check_sample_weight_equivalence_on_dense_data": reason,
            "check_sample_weight_equivalence_on_sparse_data": reason}


@parametrize_with_checks([
    FCNetClassifier(),
    FCNetRegressor(),
    MLPClassifier(),
    MLPRegressor(),
    FCNetRegressor(loss="absolute_error"),
    FCNetRegressor(loss="huber", huber_epsilon=1.0),
    FCNetRegressor(loss="quantile", quantile=0.3),
    FCNetClassifier(dropout=0.3),
    FCNetRegressor(dropout=0.3),
], expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
