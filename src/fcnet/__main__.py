"""python -m fcnet [--plot FILE]: train on scikit-learn's bundled digits and
compare with scikit-learn's MLPClassifier at the same parameters; --plot saves
fcnet's training history (matplotlib: the `plot` extra)."""

import argparse
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from fcnet import FCNetClassifier

PARAMS = dict(hidden_layer_sizes=(100,), max_iter=200, random_state=0)


def timed_fit(model, X, y):
    """Median seconds of three fits (the first pays for imports and thread start-up)."""
    seconds = []
    for _ in range(3):
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        seconds.append(time.perf_counter() - start)
    return sorted(seconds)[1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plot", metavar="FILE", help="save fcnet's loss curves to FILE")
    args = parser.parse_args()
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16, y, test_size=0.25, stratify=y, random_state=0
    )
    print(f"digits: {len(X_train)} training and {len(X_test)} held-out images, "
          f"{X.shape[1]} features, 10 classes")
    print(f"parameters: {PARAMS} (solver='adam')\n")
    print(f"{'model':<28}{'accuracy':>10}{'epochs':>8}{'fit time':>11}  (median of 3 fits)")
    seconds = {}
    for name, model in [("fcnet FCNetClassifier", FCNetClassifier(**PARAMS)),
                        ("scikit-learn MLPClassifier", MLPClassifier(**PARAMS))]:
        seconds[name] = timed_fit(model, X_train, y_train)
        accuracy = model.score(X_test, y_test)
        print(f"{name:<28}{accuracy:>10.4f}{model.n_iter_:>8}{seconds[name]:>9.3f} s")
    ratio = seconds["scikit-learn MLPClassifier"] / seconds["fcnet FCNetClassifier"]
    print(f"\nfcnet fits {ratio:.1f}x faster here.")
    if args.plot:
        save_history(X_train, y_train, args.plot)
        print(f"Training history, with early stopping, saved to {args.plot}.")


def save_history(X, y, path):
    """Loss and validation curves of the same model trained with early stopping."""
    import matplotlib

    matplotlib.use("Agg")
    from fcnet import LossCurveDisplay

    model = FCNetClassifier(**PARAMS, early_stopping=True).fit(X, y)
    display = LossCurveDisplay.from_estimator(model)
    display.figure_.set_size_inches(7, 4)
    display.figure_.tight_layout()
    display.figure_.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
