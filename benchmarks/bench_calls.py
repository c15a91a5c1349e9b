"""Per-call overhead: one epoch as fit(max_iter=1) or partial_fit, against an
epoch inside a long fit.

    python benchmarks/bench_calls.py [--repeats 200] [--no-results]

On 20000 x 8 float32 rows (hidden layer (16,), Adam, batch 200), the issue's
case for streaming users (dask-ml's Incremental calls partial_fit once per
block): the median ms of partial_fit and of fit(max_iter=1, warm_start=True)
over --repeats calls, against the median epoch of fit(max_iter=repeats)
(its total time over its epochs); fit(max_iter=1) also with new weights
each call. Writes its table to benchmarks/RESULTS.md.
"""

import argparse
import sys
import time
import warnings

import bench_fit
import numpy as np

from fcnet import FCNetRegressor


def median_ms(call, repeats):
    """Median wall time of call() over repeats calls, after one warm-up."""
    call()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1000 * float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--no-results", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # max_iter=1 does not converge, by design

    rng = np.random.default_rng(0)
    X = rng.standard_normal((20_000, 8)).astype(np.float32)
    y = (X @ rng.standard_normal(8)).astype(np.float32)
    params = dict(hidden_layer_sizes=(16,), random_state=0, tol=0, n_iter_no_change=10**9)

    long_fit = FCNetRegressor(max_iter=args.repeats, **params)
    start = time.perf_counter()
    long_fit.fit(X, y)
    epoch_ms = 1000 * (time.perf_counter() - start) / long_fit.n_iter_

    streaming = FCNetRegressor(**params)
    partial_fit_ms = median_ms(lambda: streaming.partial_fit(X, y), args.repeats)
    one_epoch = FCNetRegressor(max_iter=1, **params)
    fit_ms = median_ms(lambda: one_epoch.fit(X, y), args.repeats)
    one_more_epoch = FCNetRegressor(max_iter=1, warm_start=True, **params)
    warm_fit_ms = median_ms(lambda: one_more_epoch.fit(X, y), args.repeats)

    cpu = bench_fit._cpu_model()
    lines = [
        f"Machine: {cpu}; 20000 x 8 float32, hidden (16,), Adam, batch 200; median over "
        f"{args.repeats} calls",
        "",
        "| call | ms | / epoch of a long fit |",
        "|---|---|---|",
        f"| epoch of fit(max_iter={args.repeats}) | {epoch_ms:.2f} | 1.00x |",
        f"| partial_fit | {partial_fit_ms:.2f} | {partial_fit_ms / epoch_ms:.2f}x |",
        f"| fit(max_iter=1), new weights each call | {fit_ms:.2f} | {fit_ms / epoch_ms:.2f}x |",
        f"| fit(max_iter=1, warm_start=True) | {warm_fit_ms:.2f} | {warm_fit_ms / epoch_ms:.2f}x |",
    ]
    print("\n".join(lines))
    if not args.no_results:
        bench_fit._write_results(lines, "bench_calls.py", " ".join(sys.argv[1:]), cpu)


if __name__ == "__main__":
    main()
