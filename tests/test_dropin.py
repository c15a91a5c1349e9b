"""fcnet.MLPClassifier and fcnet.MLPRegressor: the same estimators under
scikit-learn's class names, so that code written for scikit-learn's MLP works
with the import as the only change."""

import io
import pickle

import pytest
import sklearn.neural_network
from numpy.testing import assert_array_equal
from sklearn.datasets import load_iris, make_regression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from weights import assert_same_weights

import fcnet

PAIRS = [(fcnet.MLPClassifier, fcnet.FCNetClassifier, sklearn.neural_network.MLPClassifier),
         (fcnet.MLPRegressor, fcnet.FCNetRegressor, sklearn.neural_network.MLPRegressor)]


def iris_or_regression(fcnet_class):
    if issubclass(fcnet_class, fcnet.FCNetClassifier):
        return load_iris(return_X_y=True)
    X, y = make_regression(n_samples=60, n_features=4, random_state=0)
    return X, y / 100


@pytest.mark.parametrize("ours, fcnet_class, theirs", PAIRS)
def test_names_reprs_and_parameters_are_scikit_learns(ours, fcnet_class, theirs):
    assert ours.__name__ == theirs.__name__
    parameters = dict(hidden_layer_sizes=(7,), alpha=0.01, max_iter=9)
    assert repr(ours(**parameters)) == repr(theirs(**parameters))
    assert set(theirs().get_params()) <= set(ours().get_params())
    for name, value in theirs().get_params().items():
        assert ours().get_params()[name] == value, name
    assert make_pipeline(StandardScaler(), ours()).steps[1][0] == theirs.__name__.lower()


@pytest.mark.parametrize("ours, fcnet_class, theirs", PAIRS)
def test_an_existing_grid_keyed_by_scikit_learns_step_name_runs(ours, fcnet_class, theirs):
    X, y = iris_or_regression(fcnet_class)
    grid = {f"{theirs.__name__.lower()}__alpha": [1e-4, 1e-2]}
    search = GridSearchCV(make_pipeline(StandardScaler(), ours(solver="lbfgs", max_iter=20,
                                                               random_state=0)), grid, cv=2)
    search.fit(X, y)
    assert set(search.best_params_) == set(grid)


@pytest.mark.parametrize("ours, fcnet_class, theirs", PAIRS)
def test_same_estimator_as_the_fcnet_name(ours, fcnet_class, theirs):
    X, y = iris_or_regression(fcnet_class)
    mine = ours(solver="lbfgs", max_iter=15, random_state=0).fit(X, y)
    reference = fcnet_class(solver="lbfgs", max_iter=15, random_state=0).fit(X, y)
    assert isinstance(mine, fcnet_class)
    assert_same_weights(mine, reference)


@pytest.mark.parametrize("ours, fcnet_class, theirs", PAIRS)
def test_saved_pickled_and_loaded_under_its_own_name(ours, fcnet_class, theirs):
    X, y = iris_or_regression(fcnet_class)
    model = ours(solver="lbfgs", max_iter=15, random_state=0).fit(X, y)
    file = io.BytesIO()
    fcnet.save(model, file)
    file.seek(0)
    for copy in (fcnet.load(file), pickle.loads(pickle.dumps(model))):
        assert type(copy) is ours
        assert_array_equal(copy.predict(X), model.predict(X))


def test_save_refuses_scikit_learns_own_estimator():
    X, y = load_iris(return_X_y=True)
    model = sklearn.neural_network.MLPClassifier(solver="lbfgs", max_iter=5).fit(X, y)
    with pytest.raises(TypeError, match="not MLPClassifier"):
        fcnet.save(model, io.BytesIO())


def test_warnings_come_from_the_fcnet_package():
    """README's drop-in notes: module="fcnet" filters what module="sklearn"
    filters in scikit-learn's examples."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", category=ConvergenceWarning, module="fcnet")
        fcnet.MLPClassifier(max_iter=2, random_state=0).fit(X, y)
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fcnet.MLPClassifier(max_iter=2, random_state=0).fit(X, y)
    assert [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert all(w.filename.endswith("_estimators.py") for w in caught)
