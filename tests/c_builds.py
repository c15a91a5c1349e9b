"""Builds of the C tests by CMake (CMakeLists.txt with -DFCN_C_TESTS=ON: the
kernels' warnings are errors), for tests/test_c_core.py and tests/test_vmath.py."""

import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[1]


def run(command):
    """command's standard output; its output in the failure if it fails."""
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(map(str, command))}\n{result.stdout}{result.stderr}"
    return result.stdout


def build_c_tests(build, *cmake_options, targets=()):
    """Configures the C tests in the folder build, in Release as the wheel is
    built, and builds targets (all when none is named)."""
    run(["cmake", "-S", ROOT, "-B", build, "-DFCN_C_TESTS=ON", "-DCMAKE_BUILD_TYPE=Release",
         *cmake_options])
    named = ["--target", *targets] if targets else []
    run(["cmake", "--build", build, "--parallel", "2", *named])
