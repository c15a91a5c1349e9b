"""The estimators' docstrings (numpydoc). Each estimator exists under two
names, fcnet's (FCNetClassifier) and scikit-learn's (MLPClassifier), and the
classifier and the regressor share most parameters and attributes: each text
is written once here and put together per class by `estimator_doc`."""

_DROP_IN = """\
A drop-in replacement for :class:`sklearn.neural_network.{sklearn}`: same
parameters, defaults, fitted attributes and methods. For one
``random_state`` it draws the same initial weights and the same minibatches
as scikit-learn, so it trains the same network up to rounding (with lbfgs,
rounding grows apart over a long line search; see the README's deviations).
``{fcnet}`` and ``{sklearn}`` are the same estimator under fcnet's and
scikit-learn's class names; ``from fcnet import {sklearn}`` keeps pipeline
step names (``{sklearn_lower}``), reprs and ``get_params`` keys those of
scikit-learn.

Its warnings (``ConvergenceWarning`` and others) come from the module
``fcnet``: silence them with ``module="fcnet"`` where scikit-learn's code
uses ``module="sklearn"``.
"""

_CLASSIFIER_DEVIATIONS = """\
Beyond scikit-learn: ``class_weight``, ``dropout`` and ``validation_loss_curve_``.
Deliberate deviations: lbfgs on float32 input trains in float32
(scikit-learn's turns ``coefs_`` into float64), and ``partial_fit`` is
absent for lbfgs.
"""

_REGRESSOR_DEVIATIONS = """\
Beyond scikit-learn: the absolute error, Huber and quantile losses,
``dropout`` and ``validation_loss_curve_``. Deliberate deviations:
lbfgs on float32 input trains in float32; ``partial_fit`` is absent for
lbfgs (scikit-learn's MLPRegressor keeps it by an oversight); with lbfgs and
several outputs, the gradient is that of the reported loss, the squared
error averaged over outputs, where scikit-learn's is n_outputs times too
large (its issue #8349); the stochastic solvers keep scikit-learn's steps.
"""

_REGRESSOR_LOSS = """\
loss : {'squared_error', 'poisson', 'absolute_error', 'huber', 'quantile'}, \
default='squared_error'
    The loss function to minimise: half the squared error, or half the
    Poisson deviance with an exp output (y >= 0); beyond scikit-learn's
    MLPRegressor, the absolute error, Huber's loss (quadratic up to
    ``huber_epsilon``, linear beyond) and the pinball loss of
    ``quantile``, each averaged over samples and outputs as
    scikit-learn's ``sklearn._loss`` defines it.
"""

_DROPOUT_PARAMETER = """\
dropout : float in [0, 1), default=0.0
    Rate of inverted dropout on the hidden layers while training with sgd
    or adam: each epoch and minibatch, each hidden unit of each row is
    zeroed with this probability and the others scaled by 1 / (1 -
    dropout); predictions use every unit. The masks come from
    random_state and do not depend on the thread count. Not in
    scikit-learn's MLP.
"""

_REGRESSOR_LOSS_PARAMETERS = """\
huber_epsilon : float > 0, default=0.1
    With ``loss='huber'``: the absolute residual where the loss turns
    from quadratic to linear, in units of y. What
    :class:`~sklearn.linear_model.SGDRegressor` calls ``epsilon``; here
    ``epsilon`` stays Adam's constant, as in MLPRegressor.
quantile : float in (0, 1), default=0.5
    With ``loss='quantile'``: the quantile to predict (0.5: the
    median), as in :class:`~sklearn.ensemble.HistGradientBoostingRegressor`.
"""

_SHARED_PARAMETERS = """\
hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
    The ith element is the number of neurons in the ith hidden layer.
activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
    Activation function of the hidden layers.
solver : {'lbfgs', 'sgd', 'adam'}, default='adam'
    The solver for weight optimization.
alpha : float, default=0.0001
    Strength of the L2 regularization term, divided by the batch size.
batch_size : int or 'auto', default='auto'
    Minibatch size; 'auto' is ``min(200, n_samples)``.
learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
    Learning rate schedule of sgd.
learning_rate_init : float, default=0.001
    The initial learning rate.
power_t : float, default=0.5
    Exponent of the 'invscaling' schedule.
max_iter : int, default=200
    Maximum number of epochs (stochastic solvers) or iterations (lbfgs).
shuffle : bool, default=True
    Whether to shuffle samples in each epoch.
random_state : int, RandomState instance or None, default=None
    Seeds the weight initialisation, the shuffling and the validation split.
tol : float, default=1e-4
    Tolerance for the loss or score improvement that stops training.
verbose : bool, default=False
    Whether to print the loss of each epoch.
warm_start : bool, default=False
    Reuse the previous solution as initialisation.
momentum : float, default=0.9
    Momentum of sgd.
nesterovs_momentum : bool, default=True
    Whether sgd uses Nesterov's momentum.
early_stopping : bool, default=False
    Stop when a held-out validation score stops improving.
validation_fraction : float, default=0.1
    Share of the training data held out for early stopping.
beta_1 : float, default=0.9
    Decay rate of adam's first moment estimates.
beta_2 : float, default=0.999
    Decay rate of adam's second moment estimates.
epsilon : float, default=1e-8
    Numerical stability term of adam.
n_iter_no_change : int, default=10
    Epochs without a tol improvement before stopping.
max_fun : int, default=15000
    Maximum number of loss evaluations of lbfgs.
"""

_CLASSIFIER_PARAMETERS = """\
class_weight : dict, 'balanced' or None, default=None
    Weights of the classes, multiplied into the sample weights: a dict
    {class: weight}, or 'balanced' for n_samples / (n_classes *
    count(class)). Not in scikit-learn's MLPClassifier.
"""

_CLASSIFIER_ATTRIBUTES = """\
classes_ : ndarray of shape (n_classes,)
    Class labels.
"""

_SHARED_ATTRIBUTES = """\
loss_ : float
    The loss of the last epoch (with lbfgs: at the solution).
best_loss_ : float or None
    The smallest epoch loss reached; None with early stopping.
loss_curve_ : list of shape (n_iter_,)
    The loss of each epoch (sgd and adam).
validation_scores_ : list of shape (n_iter_,) or None
    The score on the validation split after each epoch, with early stopping.
best_validation_score_ : float or None
    The best of validation_scores_, with early stopping.
validation_loss_curve_ : list of shape (n_iter_,) or None
    The loss (without the L2 term) on the validation split after each
    epoch, with early stopping. Not in scikit-learn.
t_ : int
    Number of training samples seen.
coefs_ : list of shape (n_layers - 1,)
    Weight matrices, coefs_[i] of shape (fan_in, fan_out).
intercepts_ : list of shape (n_layers - 1,)
    Bias vectors, intercepts_[i] of shape (fan_out,).
n_features_in_ : int
    Number of features seen during fit.
feature_names_in_ : ndarray of shape (n_features_in_,)
    Names of features seen during fit, when X has string column names.
n_iter_ : int
    Number of epochs run.
n_layers_ : int
    Number of layers, input and output included.
n_outputs_ : int
    Number of outputs.
out_activation_ : str
    Name of the output activation function.
"""

_CLASSIFIER_EXAMPLES = """\
>>> from sklearn.datasets import load_iris
>>> from sklearn.model_selection import train_test_split
>>> from fcnet import {name}
>>> X, y = load_iris(return_X_y=True)
>>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
>>> clf = {name}(solver="lbfgs", alpha=1.0, random_state=0).fit(X_train, y_train)
>>> clf.predict(X_test[:5])
array([2, 1, 0, 2, 0])
>>> clf.predict_proba(X_test[:1]).shape
(1, 3)
>>> print(f"{clf.score(X_test, y_test):.2f}")
0.97
"""

_REGRESSOR_EXAMPLES = """\
>>> from sklearn.datasets import make_regression
>>> from sklearn.model_selection import train_test_split
>>> from fcnet import {name}
>>> X, y = make_regression(n_samples=300, n_features=5, noise=1.0, random_state=0)
>>> X_train, X_test, y_train, y_test = train_test_split(X, y / 100, random_state=0)
>>> reg = {name}(solver="lbfgs", random_state=0).fit(X_train, y_train)
>>> reg.predict(X_test[:2]).shape
(2,)
>>> print(f"{reg.score(X_test, y_test):.2f}")
1.00
"""


def _section(title, body):
    return f"{title}\n{'-' * len(title)}\n{body}"


def estimator_doc(kind, name):
    """The docstring of the estimator `name` (fcnet's or scikit-learn's
    class name), of kind "classifier" or "regressor"."""
    classifier = kind == "classifier"
    fcnet_name = "FCNetClassifier" if classifier else "FCNetRegressor"
    sklearn_name = "MLPClassifier" if classifier else "MLPRegressor"
    other_name = sklearn_name if name == fcnet_name else fcnet_name
    summary = f"Multi-layer perceptron {kind} trained by fcnet's C core.\n"
    drop_in = (_DROP_IN.replace("{fcnet}", fcnet_name).replace("{sklearn}", sklearn_name)
               .replace("{sklearn_lower}", sklearn_name.lower()))
    if classifier:
        parameters = _SHARED_PARAMETERS + _CLASSIFIER_PARAMETERS + _DROPOUT_PARAMETER
        attributes = _CLASSIFIER_ATTRIBUTES + _SHARED_ATTRIBUTES
        deviations, examples = _CLASSIFIER_DEVIATIONS, _CLASSIFIER_EXAMPLES
    else:
        parameters = (_REGRESSOR_LOSS + _SHARED_PARAMETERS + _DROPOUT_PARAMETER
                      + _REGRESSOR_LOSS_PARAMETERS)
        attributes = _SHARED_ATTRIBUTES
        deviations, examples = _REGRESSOR_DEVIATIONS, _REGRESSOR_EXAMPLES
    see_also = (f"{other_name} : The same estimator under "
                f"{'scikit-learn' if other_name == sklearn_name else 'fcnet'}'s name.\n"
                f"sklearn.neural_network.{sklearn_name} : The scikit-learn estimator it "
                "replaces.\n")
    return "\n".join([
        summary, drop_in, deviations,
        _section("Parameters", parameters), _section("Attributes", attributes),
        _section("See Also", see_also), _section("Examples", examples.replace("{name}", name)),
    ])
