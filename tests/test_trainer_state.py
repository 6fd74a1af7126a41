"""Hugging Face trainer_state.json: our best value and step equal the Trainer's own."""

from __future__ import annotations

import json
import re

import pytest

from reporter.analysis import analyze
from reporter.history import load

from .conftest import REAL, need


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
