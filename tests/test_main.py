"""python -m fcnet: its help, and a demo that says when a fit stopped at max_iter."""

import subprocess
import sys

import fcnet
import fcnet.__main__ as demo


def test_help_names_the_command_and_describes_it_in_full():
    shown = subprocess.run([sys.executable, "-m", "fcnet", "--help"], capture_output=True,
                           text=True, check=True).stdout
    assert shown.startswith("usage: python -m fcnet [-h] [--plot FILE]\n")
    assert " ".join(shown.split()).count(demo.DESCRIPTION) == 1


def test_demo_marks_the_fits_that_stopped_at_max_iter(monkeypatch, capsys):
    monkeypatch.setattr(demo, "PARAMS", dict(hidden_layer_sizes=(10,), max_iter=3,
                                             random_state=0))
    monkeypatch.setattr(sys, "argv", ["python -m fcnet"])
    demo.main()
    shown = capsys.readouterr().out
    rows = [line for line in shown.splitlines() if "MLPClassifier  " in line]
    assert len(rows) == 2 and all("      3* " in row for row in rows)
    assert "* stopped at max_iter=3, not converged" in shown


def test_converged_fit_is_not_marked():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    model = fcnet.MLPClassifier(solver="lbfgs", alpha=1.0, max_iter=1000, random_state=0)
    seconds, stopped_at_max_iter = demo.timed_fit(model, X, y)
    assert model.n_iter_ < 1000 and not stopped_at_max_iter and seconds > 0
