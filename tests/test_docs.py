"""The example in docs/backprop.md runs and prints what the page says."""

import contextlib
import io
import pathlib
import re

DOC = pathlib.Path(__file__).parent.parent / "docs" / "backprop.md"


def test_backprop_page_example_prints_what_it_shows():
    text = DOC.read_text()
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    shown = re.search(r"It prints:\n\n```text\n(.*?)```", text, re.S).group(1)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(DOC), "exec"), {})
    assert printed.getvalue() == shown
