"""Hugging Face trainer_state.json: our best value and step equal the Trainer's own."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from reporter.analysis import analyze
from reporter.history import load

from .conftest import REAL, ROOT, need


def trainer_states() -> list[str]:
    if not REAL.exists():
        return []
    return sorted(p.name for p in REAL.glob("hf_trainer_state__*"))


@pytest.mark.parametrize("name", trainer_states() or ["(../shared absent)"])
def test_best_metric_and_step_match_the_trainer(name: str) -> None:
    path = need(REAL / name)
    state = json.loads(path.read_text())
    (run,) = load(path)
    a = analyze(run)
    if state.get("best_metric") is None:
        assert "trainer_best" not in {f.code for f in a.findings}
        return
    metric = run.info["metric_for_best_model"]
    step = state.get("best_global_step")
    if step is None:
        step = int(re.search(r"checkpoint-(\d+)", state["best_model_checkpoint"]).group(1))  # type: ignore[union-attr]
    best = a.bests[metric]
    assert best.value == state["best_metric"] and best.epoch == step
    f = next(f for f in a.findings if f.code == "trainer_best")
    assert f.key == "finding.trainer_best_agrees"


def test_run_info_keeps_the_files_order_whatever_the_hash_seed(tmp_path: Path) -> None:
    """The closing summary entry's keys reach page 1 in the file's order: in every process,
    so the same file gives the same PDF bytes (a set's order follows PYTHONHASHSEED)."""
    summary = {
        "train_steps_per_second": 4.3,
        "total_flos": 1.2e17,
        "train_loss": 0.31,
        "train_runtime": 5938.5,
        "train_samples_per_second": 277.2,
    }
    state = {
        "log_history": [
            {"loss": 0.9, "step": 10, "epoch": 1.0},
            {"loss": 0.5, "step": 20, "epoch": 2.0},
            {**summary, "step": 20, "epoch": 2.0},
        ]
    }
    path = tmp_path / "trainer_state.json"
    path.write_text(json.dumps(state))
    script = (
        "import sys; from reporter.history import load; "
        "print(','.join(k for k in load(sys.argv[1])[0].info if k.startswith(('train', 'total'))))"
    )
    orders = {
        subprocess.run(
            [sys.executable, "-c", script, str(path)],
            env={**os.environ, "PYTHONHASHSEED": str(seed), "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in range(6)
    }
    assert orders == {",".join(summary)}
