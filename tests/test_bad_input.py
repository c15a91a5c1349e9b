"""Every malformed input of tests/bad_inputs.py gets a clear error (or works,
where scikit-learn's MLP works), in a process of its own: never a crash or a
hang."""

import json
import pathlib
import subprocess
import sys

import bad_inputs
import pytest

SCRIPT = pathlib.Path(__file__).with_name("bad_inputs.py")


@pytest.fixture(scope="module")
def outcomes():
    run = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True,
                         timeout=60 * 10)
    assert run.returncode == 0, run.stderr
    return {o["case"]: o for o in map(json.loads, run.stdout.splitlines())}


def test_there_are_at_least_40_cases():
    assert len(bad_inputs.CASES) >= 40


@pytest.mark.parametrize("case", list(bad_inputs.CASES))
def test_malformed_input(outcomes, case):
    outcome = outcomes[case]
    assert outcome["ok"], outcome["message"]
    assert outcome["seconds"] < bad_inputs.TIMEOUT
