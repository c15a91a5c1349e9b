"""The comparison of two fitted models' weights that many tests make."""

from numpy.testing import assert_array_equal


def assert_same_weights(model, reference):
    """Each array of model's coefs_ and intercepts_ equals reference's, bit for bit."""
    for mine, theirs in zip(model.coefs_ + model.intercepts_,
                            reference.coefs_ + reference.intercepts_):
        assert_array_equal(mine, theirs)
