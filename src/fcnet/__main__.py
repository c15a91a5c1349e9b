"""python -m fcnet: the command-line demo."""

import argparse
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

import fcnet

PARAMS = dict(hidden_layer_sizes=(100,), max_iter=200, random_state=0)
DESCRIPTION = ("Train fcnet's MLPClassifier on scikit-learn's bundled digits and compare it with "
               "scikit-learn's MLPClassifier at the same parameters: accuracy, epochs and fit "
               "time.")


def timed_fit(model, X, y):
    """Median seconds of three fits (the first pays for imports and thread
    start-up), and whether the fit stopped at max_iter without converging."""
    seconds = []
    for _ in range(3):
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(X, y)
        seconds.append(time.perf_counter() - start)
    stopped_at_max_iter = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return sorted(seconds)[1], stopped_at_max_iter


def main():
    parser = argparse.ArgumentParser(prog="python -m fcnet", description=DESCRIPTION)
    parser.add_argument("--plot", metavar="FILE",
                        help="also save fcnet's loss curves, trained with early stopping, to "
                             "FILE (needs matplotlib: pip install 'fcnet[plot]')")
    args = parser.parse_args()
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16, y, test_size=0.25, stratify=y, random_state=0
    )
    print(f"digits: {len(X_train)} training and {len(X_test)} held-out images, "
          f"{X.shape[1]} features, 10 classes")
    print(f"parameters: {PARAMS} (solver='adam')\n")
    print(f"{'model':<28}{'accuracy':>10}{'epochs':>8}{'fit time':>11}  (median of 3 fits)")
    seconds, unconverged = {}, False
    for name, model in [("fcnet MLPClassifier", fcnet.MLPClassifier(**PARAMS)),
                        ("scikit-learn MLPClassifier", MLPClassifier(**PARAMS))]:
        seconds[name], stopped_at_max_iter = timed_fit(model, X_train, y_train)
        accuracy = model.score(X_test, y_test)
        mark = "*" if stopped_at_max_iter else " "
        print(f"{name:<28}{accuracy:>10.4f}{model.n_iter_:>7}{mark}{seconds[name]:>9.3f} s")
        unconverged |= stopped_at_max_iter
    if unconverged:
        print(f"* stopped at max_iter={PARAMS['max_iter']}, not converged "
              "(the ConvergenceWarning is not shown)")
    ratio = seconds["scikit-learn MLPClassifier"] / seconds["fcnet MLPClassifier"]
    print(f"\nfcnet fits {ratio:.1f}x faster here.")
    if args.plot:
        save_history(X_train, y_train, args.plot)
        print(f"Training history, with early stopping, saved to {args.plot}.")


def save_history(X, y, path):
    """Loss and validation curves of the same model trained with early stopping."""
    import matplotlib

    matplotlib.use("Agg")
    model = fcnet.MLPClassifier(**PARAMS, early_stopping=True).fit(X, y)
    display = fcnet.LossCurveDisplay.from_estimator(model)
    display.figure_.set_size_inches(7, 4)
    display.figure_.tight_layout()
    display.figure_.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
