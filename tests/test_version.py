"""The version is written once, in src/fcnet/__init__.py: the installed
package's metadata reads it from there."""

import importlib.metadata

import fcnet


def test_installed_version_is_the_package_version():
    assert importlib.metadata.version("fcnet") == fcnet.__version__
