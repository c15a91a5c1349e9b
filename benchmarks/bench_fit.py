"""Training speed of fcnet against scikit-learn's MLP and PyTorch, side by side.

    python benchmarks/bench_fit.py [--epochs 5] [--rounds 3] [--cases course,digits,mnist,wide]
    python benchmarks/bench_fit.py --contended [--rounds 3] [--epochs 3]

Every library trains the same network on the same synthetic data: Adam with
scikit-learn's defaults, the same batch size, shuffling on; each epoch of a
fit is timed, after a warm-up epoch. The libraries take turns, round after
round, so that a burst of load from elsewhere on a shared machine spoils one
round rather than one library's figure. Reports per case and dtype the median
over rounds of the median ms per epoch, each peer's time divided by fcnet's,
fcnet's achieved GFLOP/s (6 * sum(fan_in * fan_out) * n_samples per epoch) and
its share of this machine's sgemm/dgemm peak as numpy measures it in the same
run; then the 1 -> 2 thread speed-up and the peak RSS of a whole fit. Writes
the tables to benchmarks/RESULTS.md, in a section of their own per CPU model.

--contended: each library's float32 epoch on a quiet machine and beside one
busy process (a Python loop that never sleeps, as a notebook or another fit
would be), in pairs, round after round; reports each library's median and
worst slowdown over the rounds. On a 2-core machine, losing one core should
cost 2x.

OpenBLAS reads OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE when it loads; where
they are set to force an older kernel, this script restarts itself without
them, so that numpy, scikit-learn and PyTorch run their best kernels.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
import warnings

import numpy as np
import peer_env
import sklearn
from sklearn.neural_network import MLPClassifier, MLPRegressor
from threadpoolctl import threadpool_info, threadpool_limits

import fcnet

HERE = os.path.dirname(os.path.abspath(__file__))

# name: (n_samples, n_features, hidden, n_classes (0: regression), activation, batch)
CASES = {
    "course": (20_000, 8, (16,), 2, "logistic", 32),
    "digits": (50_000, 64, (100,), 10, "relu", 200),
    "mnist": (60_000, 784, (256, 128), 10, "relu", 256),
    "wide": (20_000, 512, (1024, 1024), 0, "relu", 512),
}


def make_data(case, dtype):
    """Features from N(0, 1); targets from a random linear teacher."""
    n_samples, n_features, _, n_classes, _, _ = CASES[case]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_samples, n_features)).astype(dtype)
    teacher = rng.standard_normal((n_features, max(n_classes, 1)))
    # on one thread: OpenBLAS's threads, once used, spin for a while after,
    # and took the second core from the first epochs timed (digits' epoch
    # 2x slower than later ones, on a 2-core AMD EPYC)
    with threadpool_limits(limits=1):
        scores = X @ teacher
    y = scores.argmax(axis=1) if n_classes > 2 else (
        (scores[:, 0] > 0).astype(int) if n_classes == 2 else scores[:, 0] / np.sqrt(n_features))
    return X, y


def flops_per_epoch(case):
    n_samples, n_features, hidden, n_classes, _, _ = CASES[case]
    units = [n_features, *hidden, n_classes if n_classes > 2 else 1]
    return 6 * sum(a * b for a, b in zip(units[:-1], units[1:])) * n_samples


def sklearn_like(library, case, **params):
    """An fcnet or scikit-learn estimator for the case (Adam with scikit-learn's defaults)."""
    _, _, hidden, n_classes, activation, batch = CASES[case]
    classes = {"fcnet": fcnet.FCNetClassifier, "sklearn": MLPClassifier}
    regressors = {"fcnet": fcnet.FCNetRegressor, "sklearn": MLPRegressor}
    cls = (classes if n_classes else regressors)[library]
    return cls(hidden_layer_sizes=hidden, activation=activation, batch_size=batch,
               random_state=0, **params)


class EpochClock(list):
    """A loss_curve_ that notes when each epoch ends: both estimators append
    to loss_curve_ once per epoch, right after its last minibatch."""

    def append(self, loss):
        super().append(loss)
        self.ends.append(time.perf_counter())


def epoch_ms(library, case, X, y, epochs):
    """ms of each epoch of one fit, after a warm-up epoch."""
    if library == "torch":
        return torch_epoch_ms(case, X, y, epochs)
    # no stop on a stalled loss: every fit runs all its epochs
    model = sklearn_like(library, case, max_iter=1, n_iter_no_change=np.inf)
    model.fit(X, y)  # warm-up, and the weights and optimizer to continue from
    clock = EpochClock()
    clock.ends = [time.perf_counter()]
    model.loss_curve_ = clock
    model.set_params(warm_start=True, max_iter=epochs + 1)
    model.fit(X, y)
    # the first epoch of this fit also pays its input checks: leave it out
    return 1e3 * np.diff(clock.ends)[1:]


def torch_epoch_ms(case, X, y, epochs):
    import torch

    _, n_features, hidden, n_classes, activation, batch = CASES[case]
    dtype = torch.float32 if X.dtype == np.float32 else torch.float64
    units = [n_features, *hidden, n_classes if n_classes > 2 else 1]
    layers = []
    for fan_in, fan_out in zip(units[:-1], units[1:]):
        layers += [torch.nn.Linear(fan_in, fan_out, dtype=dtype),
                   torch.nn.ReLU() if activation == "relu" else torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers[:-1])
    if n_classes > 2:
        loss_fn, target = torch.nn.CrossEntropyLoss(), torch.from_numpy(y).long()
    elif n_classes == 2:
        loss_fn, target = torch.nn.BCEWithLogitsLoss(), torch.from_numpy(y[:, None]).to(dtype)
    else:
        loss_fn, target = torch.nn.MSELoss(), torch.from_numpy(y[:, None]).to(dtype)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                                 weight_decay=1e-4)
    features = torch.from_numpy(X)

    times = []
    for _ in range(epochs + 1):  # a warm-up epoch first
        start = time.perf_counter()
        order = torch.randperm(len(features))
        for first in range(0, len(features), batch):
            rows = order[first : first + batch]
            optimizer.zero_grad()
            loss_fn(model(features[rows]), target[rows]).backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    return 1e3 * np.array(times[1:])


def measured_ms(library, case, dtype_name, epochs, threads=None):
    """epoch_ms in a fresh process: no thread pool left spinning by another
    library (OpenBLAS, OpenMP, PyTorch's) competes for the cores."""
    command = [sys.executable, os.path.abspath(__file__), "--measure", library, case,
               dtype_name, "--epochs", str(epochs)]
    if threads:
        command += ["--threads", str(threads)]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return np.array(json.loads(out.stdout.splitlines()[-1]))


def median_ms_over_rounds(variants, rounds, epochs):
    """{name: median over rounds of the median epoch ms}, the variants
    ({name: (library, case, dtype_name, threads)}) measured in turn each round."""
    per_round = {name: [] for name in variants}
    for _ in range(rounds):
        for name, (library, case, dtype_name, threads) in variants.items():
            per_round[name].append(np.median(measured_ms(library, case, dtype_name, epochs,
                                                         threads)))
    return {name: float(np.median(times)) for name, times in per_round.items()}


def contended_slowdowns(library, case, rounds, epochs):
    """Slowdown of the median epoch beside a busy process, one per round, each
    against a quiet run measured just before it."""
    slowdowns = []
    for _ in range(rounds):
        quiet = np.median(measured_ms(library, case, "float32", epochs))
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        try:
            contended = np.median(measured_ms(library, case, "float32", epochs))
        finally:
            busy.kill()
            busy.wait()
        slowdowns.append(contended / quiet)
    return slowdowns


def gemm_peak_gflops(dtype):
    """numpy's matrix product at its best here: the machine's GEMM peak."""
    a = np.random.default_rng(0).standard_normal((3072, 3072)).astype(dtype)
    a @ a
    best = min(_timed(lambda: a @ a) for _ in range(5))
    return 2 * 3072**3 / best / 1e9


def _timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def peak_rss_mib(library, case, dtype):
    """Peak RSS of a fit of 2 epochs in a process that holds its data, and
    how much the fit added to the process (Linux /proc)."""
    code = (
        "import sys, warnings; sys.path.insert(0, %r); warnings.simplefilter('ignore');"
        "import numpy as np, bench_fit as b;"
        "X, y = b.make_data(%r, np.%s); b.reset_peak_rss(); before = b.memory_kib('VmRSS');"
        "b.sklearn_like(%r, %r, max_iter=2).fit(X, y);"
        "print(b.memory_kib('VmHWM'), before)"
    ) % (HERE, case, dtype.__name__, library, case)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    peak, before = map(int, out.stdout.split()[-2:])
    return peak / 1024, (peak - before) / 1024


def reset_peak_rss():
    """Start VmHWM afresh (Linux): the data's own making is not the fit's."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def memory_kib(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--no-results", action="store_true", help="do not write RESULTS.md")
    parser.add_argument("--measure", nargs=3, metavar=("LIBRARY", "CASE", "DTYPE"),
                        help="(internal) time one library on one case, print the epoch ms")
    parser.add_argument("--threads", type=int, help="(internal) with --measure")
    parser.add_argument("--contended", action="store_true",
                        help="slowdown of each library beside one busy process")
    return parser.parse_args()


def main():
    args = parse_args()
    peer_env.restart()
    warnings.simplefilter("ignore")
    if args.measure:
        library, case, dtype_name = args.measure
        X, y = make_data(case, np.dtype(dtype_name).type)
        with threadpool_limits(limits=args.threads):
            print(json.dumps(epoch_ms(library, case, X, y, args.epochs).tolist()))
        return
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed (pip install 'fcnet[bench]'): its column stays empty.")

    lines = []

    def say(line=""):
        print(line, flush=True)
        lines.append(line)

    cpu = _cpu_model()
    peaks = machine_header(say, cpu, torch, args.dtypes.split(","))
    if args.contended:
        contended_tables(say, torch, args)
        script = "bench_fit.py --contended"
    else:
        speed_table(say, torch, args, peaks)
        threads_table(say, args)
        memory_table(say, args)
        script = "bench_fit.py"
    if not args.no_results:
        _write_results(lines, script, " ".join(sys.argv[1:]), cpu)


def machine_header(say, cpu, torch, dtype_names):
    """The machine, the libraries and the BLAS peak of each dtype ({dtype name: GFLOP/s})."""
    unset = os.environ.get("FCNET_BENCH_UNSET")
    say(f"Machine: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"numpy {np.__version__}, scikit-learn {sklearn.__version__}, fcnet {fcnet.__version__}"
        + (f", PyTorch {torch.__version__}" if torch else ""))
    blas = [f"{i['internal_api']} {i.get('architecture', '')}".strip()
            for i in threadpool_info() if i["user_api"] == "blas"]
    say(f"BLAS: {', '.join(blas)}" + (f" ({unset} unset for this run so that numpy-based peers "
                                      "use their best kernels)" if unset else ""))
    peaks = {dtype: gemm_peak_gflops(np.dtype(dtype).type) for dtype in dtype_names}
    say("GEMM peak (numpy, all cores): " + ", ".join(f"{d} {p:.0f} GFLOP/s"
                                                      for d, p in peaks.items()))
    say()
    return peaks


def speed_table(say, torch, args, peaks):
    say(f"Median over {args.rounds} rounds (the libraries take turns) of the median ms per epoch")
    say(f"over {args.epochs} epochs after one warm-up; Adam, shuffling on.")
    say()
    say("| case | dtype | fcnet ms | scikit-learn ms | PyTorch ms | sklearn / fcnet "
        "| PyTorch / fcnet | fcnet GFLOP/s | % of GEMM peak |")
    say("|---|---|---|---|---|---|---|---|---|")
    libraries = ["fcnet", "sklearn"] + (["torch"] if torch else [])
    for case in args.cases.split(","):
        for dtype_name in args.dtypes.split(","):
            ms = median_ms_over_rounds(
                {library: (library, case, dtype_name, None) for library in libraries},
                args.rounds, args.epochs)
            gflops = flops_per_epoch(case) / (ms["fcnet"] / 1e3) / 1e9
            torch_ms = f"{ms['torch']:.1f}" if "torch" in ms else "-"
            torch_ratio = f"{ms['torch'] / ms['fcnet']:.1f}x" if "torch" in ms else "-"
            say(f"| {case} | {dtype_name} | {ms['fcnet']:.1f} | {ms['sklearn']:.1f} | {torch_ms} "
                f"| {ms['sklearn'] / ms['fcnet']:.1f}x | {torch_ratio} | {gflops:.0f} "
                f"| {100 * gflops / peaks[dtype_name]:.0f}% |")
    say()


def threads_table(say, args):
    say("fcnet with 1 and 2 threads (float32):")
    say()
    say("| case | 1 thread ms | 2 threads ms | speed-up |")
    say("|---|---|---|---|")
    for case in [c for c in ("mnist", "wide") if c in args.cases.split(",")]:
        per_threads = median_ms_over_rounds(
            {n_threads: ("fcnet", case, "float32", n_threads) for n_threads in (1, 2)},
            args.rounds, args.epochs)
        say(f"| {case} | {per_threads[1]:.1f} | {per_threads[2]:.1f} "
            f"| {per_threads[1] / per_threads[2]:.2f}x |")
    say()


def memory_table(say, args):
    say("Peak RSS while fitting 2 epochs (float32), and how much the fit added to the process")
    say("that holds its data:")
    say()
    say("| case | fcnet peak MiB | scikit-learn peak MiB | fcnet fit MiB | scikit-learn fit MiB |")
    say("|---|---|---|---|---|")
    for case in args.cases.split(","):
        (ours, ours_fit), (theirs, theirs_fit) = (
            peak_rss_mib(library, case, np.float32) for library in ("fcnet", "sklearn"))
        say(f"| {case} | {ours:.0f} | {theirs:.0f} | {ours_fit:.0f} | {theirs_fit:.0f} |")


def contended_tables(say, torch, args):
    say(f"Slowdown of the median float32 epoch ({args.epochs} epochs after a warm-up) beside")
    say("one busy process, against a quiet run just before it, over "
        f"{args.rounds} rounds:")
    say()
    say("| case | library | median slowdown | worst slowdown |")
    say("|---|---|---|---|")
    libraries = ["fcnet", "sklearn"] + (["torch"] if torch else [])
    for case in args.cases.split(","):
        for library in libraries:
            slowdowns = contended_slowdowns(library, case, args.rounds, args.epochs)
            say(f"| {case} | {library} | {np.median(slowdowns):.2f}x | {max(slowdowns):.2f}x |")


def _cpu_model():
    """The CPU's name, with its family and model where the system gives them:
    a virtual machine names every EPYC "AMD EPYC", and each generation keeps
    its own tables in RESULTS.md."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    name = fields.get("model name") or platform.processor() or platform.machine()
    if "cpu family" in fields and "model" in fields:
        name += f" (family {fields['cpu family']}, model {fields['model']})"
    return name


def _write_results(lines, script, arguments, cpu):
    """Replace this script's section for this CPU in RESULTS.md, keeping the
    others: each CPU model the benchmarks ran on keeps its own tables."""
    path = os.path.join(HERE, "RESULTS.md")
    marker_start, marker_end = f"<!-- {script} on {cpu} -->", f"<!-- /{script} on {cpu} -->"
    command = " ".join([script.split()[0], arguments]).strip()
    body = "\n".join([marker_start, f"## {command} ({cpu})", "", *lines, marker_end])
    text = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
    if marker_start in text:
        head, rest = text.split(marker_start, 1)
        text = head + body + rest.split(marker_end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + body + "\n"
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
