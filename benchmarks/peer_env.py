"""The environment in which the peers' BLAS libraries load, for the benchmarks.

OpenBLAS (numpy's, scikit-learn's) reads OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE
when it loads, and a machine may set them to force an older kernel. A
benchmark calls restart() first thing: it runs the script again, once, without
them, so that the peers run their best kernels.

restart("avx2") instead holds every library to AVX2 on a CPU that has AVX-512,
so that one machine also measures what a CPU without it would see: OpenBLAS's
Haswell kernels, MKL's AVX2 code (PyTorch's BLAS), PyTorch's AVX2 kernels, and
fcnet's AVX2 kernels, which the script forces itself.
"""

import os
import sys

OPENBLAS_FORCING = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
AVX2_ONLY = {
    "OPENBLAS_CORETYPE": "Haswell",
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",
    "ATEN_CPU_CAPABILITY": "avx2",
}


def restart(isa="native"):
    """Replace this process by the same command in the environment that isa
    needs, unless it already has that environment. The restarted process
    finds FCNET_BENCH_UNSET naming the variables it was started without."""
    env = {name: value for name, value in os.environ.items() if name not in OPENBLAS_FORCING}
    if isa == "avx2":
        env.update(AVX2_ONLY)
    if env == dict(os.environ):
        return
    unset = [name for name in OPENBLAS_FORCING if name in os.environ and name not in env]
    if unset:
        env["FCNET_BENCH_UNSET"] = " ".join(unset)
    os.execve(sys.executable, [sys.executable, *sys.argv], env)
