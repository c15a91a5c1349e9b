"""fcnet's own exp, tanh and log (csrc/vmath.h), which the logistic, tanh,
softmax and Poisson layers and the log losses use: within a few ulp of the
exact values over the whole range, with exact overflow, underflow, signed
zeros, infinities and NaN; in the build that is installed (exp and tanh as
activations, log through the log losses), and compiled for every
instruction-set level this CPU runs."""

import pathlib
import platform
import shutil
import subprocess

import numpy as np
import pytest
from c_builds import build_c_tests
from numpy.testing import assert_array_equal, assert_array_max_ulp

from fcnet import _core

DTYPES = [np.float32, np.float64]
ACTIVATIONS = ["exp", "tanh"]
FUNCTIONS = [*ACTIVATIONS, "log"]
MAX_ULP = {"exp": 2, "tanh": 3, "log": 2}


def arguments(dtype, function="exp"):
    """For exp and tanh: dense where exp is finite and nonzero, past both
    ends, through the subnormal results; dense near 0, where tanh x ~ x.
    For log: spread evenly in the exponent from the least subnormal number
    to the largest; dense in (0, 2) and near 1, where log x ~ x - 1. And the
    special values."""
    if function == "log":
        return log_arguments(dtype)
    info = np.finfo(dtype)
    low, high = np.log(info.smallest_subnormal) - 1, np.log(info.max) + 1
    rng = np.random.default_rng(0)
    x = np.concatenate([
        np.linspace(low, high, 200_003),
        rng.uniform(-1, 1, 100_000),
        rng.choice([-1, 1], 10_000) * 10.0 ** rng.uniform(-40, 0, 10_000),
        [0.0, -0.0, np.inf, -np.inf, np.nan, np.log(info.tiny), np.log(info.max)],
    ])
    with np.errstate(under="ignore"):
        return x.astype(dtype)


def log_arguments(dtype):
    info = np.finfo(dtype)
    rng = np.random.default_rng(0)
    smallest, largest = float(info.smallest_subnormal), float(info.max)
    with np.errstate(over="ignore"):  # its last power, rounded, may pass the largest
        spread = np.geomspace(smallest, largest, 200_003)
    x = np.concatenate([
        spread,
        rng.uniform(0, 2, 100_000),
        1 + rng.uniform(-1e-3, 1e-3, 10_000),
        [0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, 1.0, 2.0, 0.5, float(info.tiny), largest],
    ])
    return x.astype(dtype)


def exact(function, x):
    """The function in long double (x87's 64-bit mantissa on x86), rounded
    to x's dtype."""
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        return getattr(np, function)(x.astype(np.longdouble)).astype(x.dtype)


def flushed(function, x):
    """What a core that flushes subnormal numbers computes (csrc/subnormals.h):
    subnormal arguments read as zeros of their sign, subnormal results written
    as zeros of theirs."""
    tiny = np.finfo(x.dtype).tiny
    y = exact(function, np.where(np.abs(x) < tiny, np.copysign(0, x), x))
    return np.where(np.abs(y) < tiny, np.copysign(0, y), y)


def assert_accurate(function, computed, x, expected=None):
    expected = exact(function, x) if expected is None else expected
    special = ~np.isfinite(expected) | (expected == 0) | np.isnan(x)
    assert_array_equal(computed[special], expected[special])
    assert_array_equal(np.signbit(computed[special]), np.signbit(expected[special]))
    assert_array_max_ulp(computed[~special], expected[~special], maxulp=MAX_ULP[function])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("function", ACTIVATIONS)
def test_installed_kernels(dtype, function):
    x = arguments(dtype)
    computed = x.reshape(1, -1).copy()
    _core.activation_forward(computed, function)
    expected = flushed(function, x) if _core.FLUSHES_SUBNORMALS else exact(function, x)
    assert_accurate(function, computed.ravel(), x, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("label", [1.0, 0.0])
def test_installed_log_losses_take_accurate_logs(dtype, label):
    """A row of one output: the binary log-loss is -log(p) for the label 1,
    -log(1 - p) for 0, and the log-loss -log(p), each in the output's
    precision, the probability clipped to [eps, 1 - eps]."""
    eps = np.finfo(dtype).eps
    p = np.concatenate([np.geomspace(eps, 1 - eps, 1000), [eps / 2, 1.0]]).astype(dtype)
    Y = np.full((1, 1), label, dtype)
    argument = np.clip(p, eps, dtype(1) - eps)
    if label == 0:
        argument = dtype(1) - argument
    expected = -exact("log", argument)
    binary = [_core.loss(np.full((1, 1), x, dtype), Y, "binary_log_loss") for x in p]
    assert_array_max_ulp(np.array(binary, dtype), expected, maxulp=MAX_ULP["log"])
    if label == 1:
        multi = [_core.loss(np.full((1, 1), x, dtype), Y, "log_loss") for x in p]
        assert_array_max_ulp(np.array(multi, dtype), expected, maxulp=MAX_ULP["log"])


def cpu_runs(level):
    flags = set(pathlib.Path("/proc/cpuinfo").read_text().split())
    needs = {"x86-64": set(), "x86-64-v3": {"avx2", "fma", "bmi2"},
             "x86-64-v4": {"avx512f", "avx512bw", "avx512dq", "avx512vl"}}
    return needs[level] <= flags


@pytest.fixture(scope="module")
def vmath_programs(tmp_path_factory):
    """program(level, dtype): tests/c/vmath.c, which CMakeLists.txt compiles
    with activations.c's options, built for that instruction-set level."""
    built = {}

    def program(level, dtype):
        if level not in built:
            built[level] = tmp_path_factory.mktemp(level)
            build_c_tests(built[level], "-DCMAKE_C_COMPILER=gcc", f"-DCMAKE_C_FLAGS=-march={level}",
                          targets=["vmath_f32", "vmath_f64"])
        return built[level] / ("vmath_f64" if dtype == np.float64 else "vmath_f32")

    return program


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("level", ["x86-64", "x86-64-v3", "x86-64-v4"])
def test_each_instruction_set(vmath_programs, dtype, level):
    """The wheel carries a vectorised clone per level; this CPU picks one.
    Built here as the wheel builds activations.c, every level this CPU can
    run is checked."""
    on_x86_64_linux = platform.machine() == "x86_64" and platform.system() == "Linux"
    if shutil.which("gcc") is None or not on_x86_64_linux:
        pytest.skip("needs gcc on x86-64 Linux")
    if not cpu_runs(level):
        pytest.skip(f"this CPU cannot run {level}")
    program = vmath_programs(level, dtype)
    for function in FUNCTIONS:
        x = arguments(dtype, function)
        run = subprocess.run([str(program), function], input=x.tobytes(), capture_output=True,
                             check=True)
        assert_accurate(function, np.frombuffer(run.stdout, dtype=dtype), x)
