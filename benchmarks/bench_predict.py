"""Prediction speed of fcnet against scikit-learn's MLP on the same weights.

    python benchmarks/bench_predict.py

Single-row predict latency (median of many calls) and batch predict_proba
throughput, per case of bench_fit.py, float32. Both estimators hold the same
fitted weights, so they predict the same thing. Appends its table to
benchmarks/RESULTS.md. Like bench_fit.py, it restarts itself without
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE so that numpy runs its best kernels.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_fit  # noqa: E402
import peer_env  # noqa: E402


def median_seconds(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", default=",".join(bench_fit.CASES))
    parser.add_argument("--no-results", action="store_true", help="do not write RESULTS.md")
    args = parser.parse_args()
    peer_env.restart()
    warnings.simplefilter("ignore")
    lines = []

    def say(line=""):
        print(line, flush=True)
        lines.append(line)

    unset = os.environ.get("FCNET_BENCH_UNSET")
    if unset:
        say(f"({unset} unset for this run so that numpy runs its best kernels)")
    say("Single-row predict: median of 2000 calls. Batch: predict_proba (predict for")
    say("regression) of the whole data set, median of 5 calls, float32.")
    say()
    say("| case | fcnet 1 row µs | scikit-learn 1 row µs | ratio | fcnet batch rows/s "
        "| scikit-learn batch rows/s | ratio |")
    say("|---|---|---|---|---|---|---|")
    for case in args.cases.split(","):
        X, y = bench_fit.make_data(case, np.float32)
        ours = bench_fit.sklearn_like("fcnet", case, max_iter=1).fit(X, y)
        theirs = bench_fit.sklearn_like("sklearn", case, max_iter=1).fit(X[:50], y[:50])
        theirs.coefs_ = [c.copy() for c in ours.coefs_]  # the same network
        theirs.intercepts_ = [i.copy() for i in ours.intercepts_]
        method = "predict_proba" if hasattr(ours, "predict_proba") else "predict"
        single = [1e6 * median_seconds(lambda m=m, row=X[:1]: m.predict(row), 2000)
                  for m in (ours, theirs)]
        batch = [len(X) / median_seconds(lambda m=m, method=method, X=X: getattr(m, method)(X), 5)
                 for m in (ours, theirs)]
        say(f"| {case} | {single[0]:.1f} | {single[1]:.1f} | {single[1] / single[0]:.1f}x "
            f"| {batch[0]:,.0f} | {batch[1]:,.0f} | {batch[0] / batch[1]:.1f}x |")
    if not args.no_results:
        bench_fit._write_results(lines, "bench_predict.py", " ".join(sys.argv[1:]),
                                 bench_fit._cpu_model())


if __name__ == "__main__":
    main()
