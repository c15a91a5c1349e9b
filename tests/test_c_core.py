"""The C tests of the core (tests/c/test_core.c: every kernel against a naive
reference), built by CMake with warnings as errors and run, for the normal
build and for the plain-C one (FCN_PORTABLE_C). .ci/run also runs them
cross-compiled for aarch64, under qemu."""

import os
import pathlib
import re

import pytest
from c_builds import ROOT, build_c_tests, run

CSRC = ROOT / "csrc"


@pytest.mark.parametrize("portable", ["OFF", "ON"])
def test_kernels_match_the_naive_reference(tmp_path, portable):
    build_c_tests(tmp_path, f"-DFCN_PORTABLE_C={portable}")
    shown = run(["ctest", "--test-dir", tmp_path, "--output-on-failure", "--verbose"])
    assert shown.count(": passed: ") == 2  # one program per precision


# what the preprocessed core may not contain when FCN_PORTABLE_C=1 (math.h's
# INFINITY and NAN expand to builtins: those are standard C)
EXTENSIONS = re.compile(
    r"__attribute__|__builtin_(?!inf|nan)|vector_size|target_clones|#pragma GCC|__asm")


def code_of_the_core(source, double):
    """The preprocessed lines of source that come from csrc/ (the system
    headers may use extensions), FCN_PORTABLE_C=1."""
    compiler = os.environ.get("CC", "cc")
    text = run([compiler, "-E", f"-DFCN_DOUBLE={double}", "-DFCN_PORTABLE_C=1", "-fopenmp",
                "-I", CSRC, CSRC / source])
    lines, ours = [], False
    for line in text.splitlines():
        marker = re.match(r'# \d+ "(.*)"', line)
        if marker:
            ours = pathlib.Path(marker.group(1)).parent == CSRC
        elif ours:
            lines.append(line)
    return "\n".join(lines)


@pytest.mark.parametrize("source", sorted(path.name for path in CSRC.glob("*.c")))
def test_portable_build_uses_no_compiler_extension(source):
    for double in (0, 1):
        assert EXTENSIONS.findall(code_of_the_core(source, double)) == []
