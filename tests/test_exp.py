"""fcnet's own exp (csrc/exp.h), which the logistic, softmax and Poisson
outputs use: within 2 ulp of numpy's exp over the whole range, with exact
overflow, underflow, infinities and NaN, in the build that is installed and
compiled for every instruction-set level this CPU runs."""

import pathlib
import platform
import shutil
import subprocess

import numpy as np
import pytest
from numpy.testing import assert_array_equal, assert_array_max_ulp

from fcnet import _core

CSRC = pathlib.Path(__file__).resolve().parents[1] / "csrc"
DTYPES = [np.float32, np.float64]


def arguments(dtype):
    """Dense in the range where exp is finite and nonzero, past both ends,
    through the subnormal results, and the special values."""
    info = np.finfo(dtype)
    low, high = np.log(info.smallest_subnormal) - 1, np.log(info.max) + 1
    x = np.concatenate([
        np.linspace(low, high, 200_003),
        np.random.default_rng(0).uniform(-1, 1, 100_000),
        [0.0, -0.0, np.inf, -np.inf, np.nan, np.log(info.tiny), np.log(info.max)],
    ])
    return x.astype(dtype)


def assert_is_exp(computed, x):
    with np.errstate(over="ignore", under="ignore"):
        expected = np.exp(x)
    special = ~np.isfinite(expected) | (expected == 0) | np.isnan(x)
    assert_array_equal(computed[special], expected[special])
    assert_array_max_ulp(computed[~special], expected[~special], maxulp=2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_installed_exp(dtype):
    x = arguments(dtype)
    computed = x.reshape(1, -1).copy()
    _core.activation_forward(computed, "exp")
    assert_is_exp(computed.ravel(), x)


DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include "exp.h"
int main(void)
{
    static real x[1 << 20];
    size_t n = fread(x, sizeof(real), sizeof x / sizeof(real), stdin);
    for (size_t i = 0; i < n; i++) x[i] = fcn_exp(x[i]);
    fwrite(x, sizeof(real), n, stdout);
    return 0;
}
"""


def cpu_runs(level):
    flags = set(pathlib.Path("/proc/cpuinfo").read_text().split())
    needs = {"x86-64": set(), "x86-64-v3": {"avx2", "fma", "bmi2"},
             "x86-64-v4": {"avx512f", "avx512bw", "avx512dq", "avx512vl"}}
    return needs[level] <= flags


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("level", ["x86-64", "x86-64-v3", "x86-64-v4"])
def test_exp_on_each_instruction_set(tmp_path, dtype, level):
    """The wheel carries a vectorised clone per level; this CPU picks one.
    Compiled here with the flags CMakeLists.txt gives activations.c, every
    level this CPU can run is checked."""
    compiler = shutil.which("gcc")
    if compiler is None or platform.machine() != "x86_64" or platform.system() != "Linux":
        pytest.skip("needs gcc on x86-64 Linux")
    if not cpu_runs(level):
        pytest.skip(f"this CPU cannot run {level}")
    source = tmp_path / "driver.c"
    source.write_text(DRIVER)
    program = tmp_path / "driver"
    subprocess.run([compiler, "-O3", f"-march={level}", "-fno-math-errno", "-ffp-contract=off",
                    "-fno-trapping-math", f"-DFCN_DOUBLE={int(dtype == np.float64)}",
                    f"-I{CSRC}", str(source), "-o", str(program)], check=True)
    x = arguments(dtype)
    run = subprocess.run([str(program)], input=x.tobytes(), capture_output=True, check=True)
    assert_is_exp(np.frombuffer(run.stdout, dtype=dtype), x)
