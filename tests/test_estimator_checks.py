"""scikit-learn's own estimator checks, all of them, on both estimators."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from fcnet import FCNetClassifier, FCNetRegressor


@parametrize_with_checks([FCNetClassifier(), FCNetRegressor()])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
