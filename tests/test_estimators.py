"""The scikit-learn surface of FCNetClassifier / FCNetRegressor: what a user
of MLPClassifier / MLPRegressor relies on, checked against scikit-learn
itself where it has an answer."""

import inspect
import pickle

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fcnet import FCNetClassifier, FCNetRegressor

PAIRS = [(MLPClassifier, FCNetClassifier), (MLPRegressor, FCNetRegressor)]


# parameters beyond scikit-learn's, after its own: name -> default
EXTRA_PARAMS = {
    FCNetClassifier: {"class_weight": None, "dropout": 0.0},
    FCNetRegressor: {"dropout": 0.0, "huber_epsilon": 0.1, "quantile": 0.5},
}


@pytest.mark.parametrize("theirs, ours", PAIRS)
def test_constructor_signature_and_defaults_equal_scikit_learn(theirs, ours):
    """scikit-learn's parameters, in its order and with its defaults; fcnet's
    own come after them. The regressor's loss takes scikit-learn's options
    and more."""
    extra = EXTRA_PARAMS[ours]
    ours_params = inspect.signature(ours.__init__).parameters
    theirs_params = inspect.signature(theirs.__init__).parameters
    assert list(ours_params) == list(theirs_params) + list(extra)
    for name, parameter in theirs_params.items():
        assert ours_params[name] == parameter
    for name, default in extra.items():
        assert ours_params[name].default == default
    def described(constraints):
        return {name: [str(c) for c in options] for name, options in constraints.items()
                if name not in extra and name != "loss"}

    assert described(ours._parameter_constraints) == described(theirs._parameter_constraints)
    if "loss" in theirs._parameter_constraints:
        (their_losses,), (our_losses,) = (cls._parameter_constraints["loss"]
                                          for cls in (theirs, ours))
        assert their_losses.options < our_losses.options


@pytest.mark.parametrize("theirs, ours", PAIRS)
def test_verbose_lines_and_convergence_warning_as_scikit_learn(iris_standardized, capsys, theirs,
                                                               ours):
    X, y = iris_standardized
    params = dict(hidden_layer_sizes=(5,), max_iter=3, random_state=1, verbose=True)
    printed, warned = [], []
    for cls in (theirs, ours):
        with pytest.warns(ConvergenceWarning) as record:
            cls(**params).fit(X, y)
        printed.append(capsys.readouterr().out)
        warned.append([str(w.message) for w in record])
    assert printed[1] == printed[0]
    assert printed[1].count("Iteration") == 3
    assert warned[1] == warned[0]


def test_stopping_message_as_scikit_learn(iris_standardized, capsys):
    X, y = iris_standardized
    params = dict(max_iter=500, tol=0.5, n_iter_no_change=2, random_state=0, verbose=True)
    theirs = MLPClassifier(**params).fit(X, y)
    their_output = capsys.readouterr().out
    ours = FCNetClassifier(**params).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_ < 500
    assert capsys.readouterr().out == their_output
    assert "Training loss did not improve more than tol=0.500000 for 2 consecutive epochs. " \
           "Stopping." in their_output


@pytest.mark.parametrize("theirs, ours", PAIRS)
def test_fitted_attributes_as_scikit_learn(iris_standardized, theirs, ours):
    X, y = iris_standardized
    params = dict(hidden_layer_sizes=(6, 4), max_iter=5, random_state=0)
    a, b = theirs(**params).fit(X, y), ours(**params).fit(X, y)
    for name in ["n_layers_", "n_outputs_", "out_activation_", "n_iter_", "t_",
                 "n_features_in_", "validation_scores_", "best_validation_score_"]:
        assert getattr(b, name) == getattr(a, name), name
    assert type(b.loss_) is type(a.loss_) is type(b.loss_curve_[0]) is type(a.loss_curve_[0])
    assert type(b.best_loss_) is type(a.best_loss_)
    assert isinstance(b.loss_curve_, list) and len(b.loss_curve_) == 5
    assert [c.shape for c in b.coefs_] == [c.shape for c in a.coefs_]
    assert [i.shape for i in b.intercepts_] == [i.shape for i in a.intercepts_]
    if hasattr(a, "classes_"):
        assert_array_equal(b.classes_, a.classes_)


def test_no_hidden_layer_is_a_linear_model_as_in_scikit_learn(iris_standardized):
    X, y = iris_standardized
    params = dict(hidden_layer_sizes=(), max_iter=5, random_state=0)
    a, b = MLPClassifier(**params).fit(X, y), FCNetClassifier(**params).fit(X, y)
    assert_allclose(b.coefs_[0], a.coefs_[0], rtol=1e-8)
    assert_allclose(b.predict_proba(X), a.predict_proba(X), rtol=1e-8)


def test_non_positive_hidden_layer_sizes_error_as_scikit_learn(iris_standardized):
    with pytest.raises(ValueError, match=r"hidden_layer_sizes must be > 0, got \[3, 0\]"):
        FCNetClassifier(hidden_layer_sizes=(3, 0)).fit(*iris_standardized)


def test_string_labels_binary_and_probabilities(iris_standardized):
    X, y = iris_standardized
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    model = FCNetClassifier(max_iter=300, random_state=0).fit(X, labels)
    binary = FCNetClassifier(max_iter=50, random_state=0).fit(X, labels == "setosa")
    assert set(model.predict(X)) <= set(labels)
    assert model.score(X, labels) > 0.9
    proba = model.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
    assert_allclose(model.predict_log_proba(X), np.log(proba))

    assert binary.out_activation_ == "logistic"
    assert binary.predict_proba(X).shape == (len(X), 2)


def test_float32_stays_float32_and_predict_promotes_as_numpy(iris_standardized):
    X, y = iris_standardized
    model = FCNetRegressor(max_iter=20, random_state=0)
    model.fit(X.astype(np.float32), y)
    assert all(c.dtype == np.float32 for c in model.coefs_ + model.intercepts_)
    assert model.predict(X.astype(np.float32)).dtype == np.float32
    # like X @ coefs_ in numpy: float64 input gives float64 output
    assert model.predict(X).dtype == np.float64
    assert_allclose(model.predict(X), model.predict(X.astype(np.float32)), rtol=1e-5)


def test_integer_input_trains_in_float64(iris_standardized):
    X, y = iris_standardized
    model = FCNetClassifier(max_iter=5, random_state=0)
    model.fit((X * 10).astype(np.int64), y)
    assert model.coefs_[0].dtype == np.float64


def test_pickle_round_trip_predicts_the_same_and_refits(iris_standardized):
    X, y = iris_standardized
    model = FCNetClassifier(max_iter=30, random_state=0)
    model.fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    assert_array_equal(restored.predict_proba(X), model.predict_proba(X))
    restored.fit(X, y)
    assert_array_equal(restored.coefs_[0], model.coefs_[0])


def test_predict_uses_coefs_a_user_assigned(iris_standardized):
    X, y = iris_standardized
    model = FCNetRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    model.fit(X, y)
    model.coefs_ = [np.zeros_like(c) for c in model.coefs_]
    assert_array_equal(model.predict(X), np.full(len(X), model.intercepts_[-1][0]))
    model.coefs_[1][0, 0] = 1.0  # an in-place edit of an assigned array counts too
    relu_hidden = np.maximum(model.intercepts_[0][0], 0)
    assert_allclose(model.predict(X), relu_hidden + model.intercepts_[-1][0])
    model.coefs_ = model.coefs_[:1]
    with pytest.raises(ValueError, match="same length"):
        model.predict(X)


def test_bad_input_gets_a_clear_error(iris_standardized):
    X, y = iris_standardized
    model = FCNetClassifier(max_iter=2)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        model.fit(bad, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        model.fit(X, y[:-1])
    model.fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :3])
    with pytest.raises(ValueError, match="learning_rate_init"):
        FCNetClassifier(learning_rate_init=-1.0).fit(X, y)


# scikit-learn overflows in numpy on its way to the error
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_diverging_fit_raises_scikit_learn_error():
    X, y = make_regression(n_samples=100, n_features=5, random_state=0)
    params = dict(solver="sgd", learning_rate_init=10.0, max_iter=20, random_state=0)
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
        MLPRegressor(**params).fit(X * 1e3, y)
    with pytest.raises(ValueError, match="Solver produced non-finite parameter weights"):
        FCNetRegressor(**params).fit(X * 1e3, y)


def test_works_in_pipeline_and_grid_search(iris_standardized):
    X, y = iris_standardized
    pipe = make_pipeline(StandardScaler(), FCNetClassifier(max_iter=100, random_state=0))
    search = GridSearchCV(pipe, {"fcnetclassifier__alpha": [1e-4, 1e-2]}, cv=3)
    search.fit(X, y)
    assert search.best_score_ > 0.85


@pytest.mark.parametrize("class_weight", ["balanced", {0: 1.0, 1: 5.0, 2: 0.5}])
def test_class_weight_is_multiplied_into_sample_weight(iris_standardized, class_weight):
    from sklearn.utils.class_weight import compute_sample_weight

    X, y = iris_standardized
    keep = np.r_[0:50, 50:70, 100:150]  # class 1 rare
    X, y = X[keep], y[keep]
    sample_weight = np.random.default_rng(0).uniform(0.5, 2, len(y))
    params = dict(max_iter=20, random_state=0)
    weighted = FCNetClassifier(class_weight=class_weight, **params)
    weighted.fit(X, y, sample_weight=sample_weight)
    reference = FCNetClassifier(**params).fit(
        X, y, sample_weight=sample_weight * compute_sample_weight(class_weight, y))
    for mine, expected in zip(weighted.coefs_, reference.coefs_):
        assert_array_equal(mine, expected)


def test_balanced_class_weight_lifts_the_rare_class():
    from sklearn.datasets import make_classification
    from sklearn.metrics import recall_score

    X, y = make_classification(n_samples=2000, weights=[0.95], flip_y=0.05, random_state=0)
    recalls = []
    for class_weight in [None, "balanced"]:
        model = FCNetClassifier(hidden_layer_sizes=(16,), class_weight=class_weight,
                                max_iter=50, random_state=0)
        recalls.append(recall_score(y, model.fit(X, y).predict(X)))
    assert recalls[1] > recalls[0] + 0.05


def test_class_weight_in_partial_fit(iris_standardized):
    X, y = iris_standardized
    with pytest.raises(ValueError, match="'balanced' is not supported for partial_fit"):
        FCNetClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])
    model = FCNetClassifier(class_weight={0: 2.0}, random_state=0)
    model.partial_fit(X, y, classes=[0, 1, 2])
    assert model.n_iter_ == 1
    with pytest.raises(ValueError, match="class_weight"):
        FCNetClassifier(class_weight="heavy").fit(X, y)


@pytest.mark.parametrize("kind", ["multiclass", "binary", "multilabel", "one class"])
def test_label_decoding_equals_label_binarizer(kind):
    from sklearn.preprocessing import LabelBinarizer

    rng = np.random.default_rng(0)
    y = {"multiclass": rng.choice(["a", "b", "c"], 40),
         "binary": rng.choice([3, 7], 40),
         "multilabel": rng.integers(0, 2, (40, 3)),
         "one class": np.full(40, "z")}[kind]
    X = rng.standard_normal((40, 2))
    model = FCNetClassifier(hidden_layer_sizes=(3,), max_iter=2)
    model.fit(X, y)
    A = rng.uniform(size=(40, model.n_outputs_)).astype(np.float32)
    A[0] = 0.5  # on the threshold
    expected = LabelBinarizer().fit(y).inverse_transform(A.ravel() if A.shape[1] == 1 else A)
    assert_array_equal(model._predictions(A), expected)
    assert model._predictions(A).dtype == expected.dtype


def test_c_contiguous_float32_X_is_never_copied():
    """Neither fit nor predict allocates anything the size of X (tracemalloc
    sees numpy's allocations)."""
    import tracemalloc

    rng = np.random.default_rng(0)
    X = rng.standard_normal((20_000, 50)).astype(np.float32)  # 4 MB
    y = rng.integers(0, 2, 20_000)
    model = FCNetClassifier(hidden_layer_sizes=(8,), max_iter=2, random_state=0)
    tracemalloc.start()
    try:
        model.fit(X, y)
        model.predict(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 2
