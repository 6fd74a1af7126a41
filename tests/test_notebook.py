"""A real notebook, run end to end by nbclient on an IPython kernel: the README's three lines
show the report in the cell's HTML output (issue 17)."""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

pytestmark = pytest.mark.slow

HISTORY = {
    "loss": [1.0, 0.7, 0.5, 0.4, 0.35, 0.33, 0.32, 0.31],
    "val_loss": [1.1, 0.8, 0.6, 0.55, 0.56, 0.58, 0.6, 0.63],
    "accuracy": [0.5, 0.6, 0.7, 0.75, 0.8, 0.82, 0.83, 0.85],
    "val_accuracy": [0.45, 0.55, 0.65, 0.7, 0.7, 0.69, 0.68, 0.67],
}


def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *cells: str) -> Any:
    # the kernel inherits this environment: no Jupyter path migration warning, a fixed
    # Keras backend and a non-interactive matplotlib, whatever the machine has
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, tmp_path / "train.ipynb")
    client = nbclient.NotebookClient(
        nbformat.read(tmp_path / "train.ipynb", as_version=4),
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},  # the kernel's working folder
    )
    return client.execute()


def test_a_notebook_cell_shows_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nb = run(
        tmp_path,
        monkeypatch,
        f"history = {json.dumps(HISTORY)}",
        # the README's three lines, with model.fit's history replaced by a plain dict
        "import reporter\nresult = reporter.report(history)\nresult",
        'reporter.report(history, out="english", lang="en")',
    )
    (shown,) = [o for o in nb.cells[1].outputs if o["output_type"] == "execute_result"]
    page = shown["data"]["text/html"]
    summary = json.loads((tmp_path / "out" / "history" / "summary.json").read_text("utf-8"))
    text = summary["recommendation"]["text"]
    assert html.escape(text["ko"]) in page and html.escape(text["en"]) in page
    assert page.index(html.escape(text["ko"])) < page.index(html.escape(text["en"]))
    assert 'href="out/history/report.pdf"' in page
    assert (tmp_path / "out" / "history" / "report.pdf").read_bytes().startswith(b"%PDF-")
    figure = re.search(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert figure and base64.b64decode(figure.group(1)).startswith(b"\x89PNG")
    assert "<script" not in page
    assert "text/plain" in shown["data"]  # a plain repr beside the HTML
    (english,) = [o for o in nb.cells[2].outputs if o["output_type"] == "execute_result"]
    en_page = english["data"]["text/html"]
    assert html.escape(text["en"]) in en_page and html.escape(text["ko"]) not in en_page
    assert 'href="english/history/report.pdf"' in en_page
    errors = [o for c in nb.cells for o in c.outputs if o["output_type"] == "error"]
    assert errors == []
