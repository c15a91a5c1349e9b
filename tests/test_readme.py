"""Every Python code block in README.md runs as written, in order and in one
session, as a reader would run them (in a scratch directory: one saves a
file). The shell blocks are .ci/run's commands."""

import pathlib
import re
import textwrap

import matplotlib
import numpy as np

README = pathlib.Path(__file__).parent.parent / "README.md"
# a fenced block, at any indentation (list items indent theirs)
PYTHON_BLOCK = re.compile(r"^( *)```python\n(.*?)^\1```", re.S | re.M)


def test_readme_python_blocks_run_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    matplotlib.use("Agg")  # plt.show() returns at once
    blocks = [textwrap.dedent(code) for _, code in PYTHON_BLOCK.findall(README.read_text())]
    assert len(blocks) == 11
    session = {}
    for number, code in enumerate(blocks, start=1):
        exec(compile(code, f"README.md, Python block {number}", "exec"), session)
    # the loaded model predicts what onnxruntime predicted before saving
    assert np.array_equal(session["labels"], session["clf"].predict(session["X_test"]))
    assert session["search"].best_params_.keys() == {"mlpclassifier__alpha"}
