"""scikit-learn's own estimator checks, all of them, on both estimators under
fcnet's names and under scikit-learn's."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from fcnet import FCNetClassifier, FCNetRegressor, MLPClassifier, MLPRegressor


@parametrize_with_checks([FCNetClassifier(), FCNetRegressor(), MLPClassifier(), MLPRegressor()])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
