"""The data sets several test modules take as fixtures, each named for what
it holds. What else the test modules share is a module of its own here:

    parity_problems.py  the problems fcnet and scikit-learn are fitted on side by side
    reference_mlp.py    the NumPy reference network, in the course's notation
    weights.py          assert_same_weights: two models' weights, bit for bit
    c_builds.py         CMake builds of the C tests (tests/c)
    bad_inputs.py       the malformed inputs, each run in a process of its own
"""

import os

# scikit-learn's array API check (run by parametrize_with_checks) needs this set
# before scipy is first imported; it is skipped otherwise.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import parity_problems
import pytest
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler


@pytest.fixture
def iris():
    """Iris as load_iris gives it: 150 flowers, 4 measures in cm, labels 0, 1, 2."""
    return load_iris(return_X_y=True)


@pytest.fixture
def iris_standardized(iris):
    """Iris with each measure scaled to mean 0 and variance 1; labels 0, 1, 2."""
    X, y = iris
    return StandardScaler().fit_transform(X), y


@pytest.fixture
def iris_species_names(iris):
    """Iris as load_iris gives it, labelled by the species' names."""
    X, y = iris
    return X, np.array(["setosa", "versicolor", "virginica"])[y]


@pytest.fixture
def digits():
    """8 x 8 images of the digits 0-9, pixels scaled into [0, 1]."""
    return parity_problems.digits()
