"""Every public class and function has a complete numpydoc docstring whose
Examples run (as doctests, here), and help() shows short signatures."""

import doctest
import inspect

import pytest
from numpydoc.validate import validate

import fcnet


def public_names():
    """fcnet's public names, and the public methods its classes define."""
    for name in fcnet.__all__:
        obj = getattr(fcnet, name)
        yield f"fcnet.{name}"
        if inspect.isclass(obj):
            for klass in obj.__mro__:
                if not klass.__module__.startswith("fcnet"):
                    continue
                for method in sorted(vars(klass)):
                    if not method.startswith("_"):
                        yield f"fcnet.{name}.{method}"


def method_of_a_class(name):
    return inspect.isclass(getattr(fcnet, name.split(".")[1])) and name.count(".") == 2


# Methods are written as scikit-learn writes its own: no extended summary, See
# Also or Examples (the class has them), and "self : object" returns.
METHOD_EXEMPTIONS = {"ES01", "SA01", "EX01", "RT02"}


@pytest.mark.parametrize("name", sorted(set(public_names())))
def test_numpydoc_docstring_is_complete(name):
    exempt = METHOD_EXEMPTIONS if method_of_a_class(name) else set()
    errors = [(code, message) for code, message in validate(name)["errors"]
              if code not in exempt]
    assert errors == []


def doctests():
    finder = doctest.DocTestFinder()
    for name in fcnet.__all__:
        for test in finder.find(getattr(fcnet, name), f"fcnet.{name}", globs={}):
            if test.examples:
                yield pytest.param(test, id=test.name)


@pytest.mark.parametrize("test", list(doctests()))
def test_examples_run(test):
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0


def test_every_public_name_has_examples():
    with_examples = {test.values[0].name for test in doctests()}
    for name in fcnet.__all__:
        assert f"fcnet.{name}" in with_examples


SIGNED = [fcnet.FCNetClassifier.fit, fcnet.FCNetClassifier.partial_fit,
          fcnet.FCNetClassifier.predict, fcnet.MLPRegressor.fit, fcnet.backprop,
          fcnet.check_gradients, fcnet.to_onnx, fcnet.save, fcnet.load]


@pytest.mark.parametrize("function", SIGNED, ids=lambda function: function.__qualname__)
def test_help_shows_short_signatures(function):
    """numpy's ArrayLike shows by its name, not as a 300-character union: two
    lines of help at most."""
    signature = str(inspect.signature(function))
    assert "numpy" not in signature and len(signature) < 160
