"""The layer products alone: fcnet's kernels against numpy's BLAS and torch.matmul.

    python benchmarks/bench_gemm.py [--cases course,digits,mnist,wide] [--dtype float32]
                                    [--repeats 7] [--isa native|avx2] [--no-results]

For every layer of the four networks of bench_fit.py, at the batch size each
trains with, times
  forward   Z = A @ W (+ b, identity: fcnet's dense_forward)
  backward  dW = A.T @ delta and delta_in = delta @ W.T (fcnet's dense_backward
            with alpha 0 and weight_sum 1, the bare products, whose epilogue
            then has nothing to do; in training, dW's epilogue adds the L2
            term and scales by the batch; layer 1 has no delta_in, as in
            training)
with 1 thread and with all threads. Each figure is the median over --repeats
timings of a loop that runs for at least 20 ms; the three libraries take
turns within each repeat, with a pause before each turn. Reports GFLOP/s of
each library and fcnet divided by the faster peer (>= 1 means fcnet is
faster), the median of that ratio over the repeats (paired_ratio). Unless
--no-results, writes the table, headed with the CPU and its caches, to
benchmarks/RESULTS.md, in a section of its own per CPU model.

OpenBLAS reads OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE when it loads; where
they are set to force an older kernel, this script restarts itself without
them, so that numpy and PyTorch run their best kernels. With --isa avx2 it
restarts with every library held to AVX2 instead (peer_env.py), fcnet's AVX2
kernels forced: on a CPU with AVX-512, the products as a CPU without it runs
them, in a section of RESULTS.md of their own.
"""

import argparse
import os
import subprocess
import sys
import time

import bench_fit
import numpy as np
import peer_env
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from fcnet import _core


def network(case):
    """bench_fit.py's network for case: (batch size, units of each layer)."""
    _, n_features, hidden, n_classes, _, batch = bench_fit.CASES[case]
    return batch, (n_features, *hidden, n_classes if n_classes > 2 else 1)


def timed(function):
    """Seconds per call of function, from a loop of at least 20 ms, after a
    pause in which the previous library's spinning threads (OpenBLAS's spin
    for about 0.1 s) go to sleep and give back the cores."""
    time.sleep(0.15)
    function()
    calls, start = 1, time.perf_counter()
    while True:
        for _ in range(calls):
            function()
        elapsed = time.perf_counter() - start
        if elapsed >= 0.02:
            return elapsed / calls
        calls, start = calls * 2, time.perf_counter()


def layer_products(rows, fan_in, fan_out, first_layer, dtype):
    """{direction: {library: callable}} for one layer, on fixed random data."""
    rng = np.random.default_rng(0)
    A = rng.standard_normal((rows, fan_in)).astype(dtype)
    W = rng.standard_normal((fan_in, fan_out)).astype(dtype)
    b = np.zeros(fan_out, dtype)
    delta = rng.standard_normal((rows, fan_out)).astype(dtype)
    Z, dW, db = np.empty((rows, fan_out), dtype), np.empty_like(W), np.empty(fan_out, dtype)
    delta_in = None if first_layer else np.empty_like(A)
    peer_delta_in = np.empty_like(A)
    tA, tW, tdelta = (torch.from_numpy(x) for x in (A, W, delta))
    tZ, tdW, tdelta_in = (torch.from_numpy(x) for x in (Z, dW, peer_delta_in))
    # the products' scratch, allocated once as training does
    pack = np.empty(max(_core.pack_len(rows, fan_in, fan_out),
                        _core.pack_len(fan_in, rows, fan_out),
                        _core.pack_len(rows, fan_out, fan_in)), dtype)

    def numpy_backward():
        np.matmul(A.T, delta, out=dW)
        if not first_layer:
            np.matmul(delta, W.T, out=peer_delta_in)

    def torch_backward():
        torch.matmul(tA.T, tdelta, out=tdW)
        if not first_layer:
            torch.matmul(tdelta, tW.T, out=tdelta_in)

    return {
        "forward": {
            "fcnet": lambda: _core.dense_forward(Z, A, W, b, "identity", pack),
            "numpy": lambda: np.matmul(A, W, out=Z),
            "torch": lambda: torch.matmul(tA, tW, out=tZ),
        },
        "backward": {
            "fcnet": lambda: _core.dense_backward(dW, db, delta_in, delta, A, W, 0.0, 1.0,
                                                  "identity", pack),
            "numpy": numpy_backward,
            "torch": torch_backward,
        },
    }


def paired_ratio(seconds):
    """fcnet / the faster peer: the median over the repeats of each repeat's
    ratio. The three libraries of one repeat run within a second of each
    other, so a slow spell of a shared machine (a core taken away for
    seconds: all three at half speed in the same repeats) slows both sides
    of a repeat's ratio and cancels out, where it skews a ratio of the
    libraries' own medians when it covers about half of the repeats."""
    best_peer = np.minimum(seconds["numpy"], seconds["torch"])
    return float(np.median(best_peer / np.array(seconds["fcnet"])))


def flops(rows, fan_in, fan_out, direction, first_layer):
    products = 1 if direction == "forward" or first_layer else 2
    return 2 * rows * fan_in * fan_out * products


def cpu_description():
    model, caches = bench_fit._cpu_model(), {}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in lscpu.splitlines():
            key, _, value = line.partition(":")
            if key in ("L1d cache", "L2 cache", "L3 cache"):
                caches[key.split()[0]] = value.strip()
            elif key == "Flags":
                flags = set(value.split())
                isa = ("AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags
                       else "SSE")
                caches["ISA"] = isa
    except OSError:
        pass
    return model, caches


def header(dtype_name, isa):
    """The CPU's model, and the lines that head the table: the CPU, the
    peers' versions and kernels, how this run's environment was set."""
    model, caches = cpu_description()
    blas = [f"{p['internal_api']} {p.get('version', '')} ({p.get('architecture', '?')})"
            for p in threadpool_info() if p["user_api"] == "blas"]
    lines = [f"CPU: {model}; " + ", ".join(f"{k} {v}" for k, v in caches.items()),
             f"{dtype_name}; peers: numpy {np.__version__} with {', '.join(blas)}; "
             f"torch {torch.__version__}"]
    if os.environ.get("FCNET_BENCH_UNSET"):
        lines.append(f"(unset for this run: {os.environ['FCNET_BENCH_UNSET']})")
    if isa != "native":
        held = ", ".join(f"{name}={value}" for name, value in peer_env.AVX2_ONLY.items())
        lines.append(f"(every library held to {isa}: {held}; fcnet's {isa} kernels forced)")
    lines += ["", "| case | (rows, fan_in, fan_out) | direction | threads | fcnet GFLOP/s "
              "| numpy GFLOP/s | torch GFLOP/s | fcnet / best peer |",
              "|---|---|---|---|---|---|---|---|"]
    return model, lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(bench_fit.CASES))
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--isa", default="native", choices=["native", "avx2"],
                        help="avx2: every library held to AVX2 (on a CPU with AVX-512)")
    parser.add_argument("--no-results", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args()
    peer_env.restart(args.isa)
    if args.isa != "native" and not _core.force_gemm_kernels(args.isa):
        sys.exit(f"this CPU or this build of fcnet has no {args.isa} kernels")
    dtype = np.dtype(args.dtype).type
    all_threads = os.cpu_count()

    model, lines = header(args.dtype, args.isa)
    for line in lines:
        print(line, flush=True)

    ratios = []
    for case in args.cases.split(","):
        rows, units = network(case)
        for l in range(1, len(units)):
            fan_in, fan_out = units[l - 1], units[l]
            products = layer_products(rows, fan_in, fan_out, l == 1, dtype)
            for direction, by_library in products.items():
                for threads in (1, all_threads):
                    with threadpool_limits(threads):
                        torch.set_num_threads(threads)
                        seconds = {name: [] for name in by_library}
                        for _ in range(args.repeats):
                            for name, function in by_library.items():
                                seconds[name].append(timed(function))
                    work = flops(rows, fan_in, fan_out, direction, l == 1)
                    gflops = {name: work / np.median(s) / 1e9 for name, s in seconds.items()}
                    ratio = paired_ratio(seconds)
                    ratios.append(ratio)
                    line = (f"| {case} | ({rows}, {fan_in}, {fan_out}) | {direction} | {threads} "
                            f"| {gflops['fcnet']:.1f} | {gflops['numpy']:.1f} "
                            f"| {gflops['torch']:.1f} | {ratio:.2f} |")
                    print(line, flush=True)
                    lines.append(line)
    summary = (f"\nfcnet / best peer: lowest {min(ratios):.2f}, median {np.median(ratios):.2f} "
               f"over {len(ratios)} products")
    print(summary)
    lines.append(summary)
    if not args.no_results:
        script = "bench_gemm.py" if args.isa == "native" else f"bench_gemm.py --isa {args.isa}"
        bench_fit._write_results(lines, script, " ".join(sys.argv[1:]), model)


if __name__ == "__main__":
    main()
