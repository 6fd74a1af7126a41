"""Comparing runs: honest ties, winners, leads and exceptions; the author's own comparisons."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from reporter.analysis import analyze
from reporter.compare import compare
from reporter.history import load
from reporter.history.model import History, Series, epoch_series

from .conftest import SEED, need, pdf_text


def run(name: str, axis: str = "epoch", **series: list[float]) -> History:
    made = {k: epoch_series(k, v) for k, v in series.items()}
    if axis == "step":
        made = {k: Series(k, s.values, s.x * 100, "step") for k, s in made.items()}
    return History(name, Path(f"{name}.json"), made, "test", axis=axis)  # type: ignore[arg-type]


def base(n: int = 20, shift: float = 0.0, seed: int = 0) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    x = np.arange(n)
    return {
        "loss": list(1 / (x + 1)),
        "val_loss": list(1 / (x + 1) + 0.2 - shift + rng.normal(0, 0.005, n)),
        "val_acc": list(np.linspace(0.5, 0.9, n) + shift + rng.normal(0, 0.005, n)),
    }


def codes(c: object) -> dict[str, object]:
    return {f.code: f for f in c.findings}  # type: ignore[attr-defined]


def test_identical_runs_tie_everywhere() -> None:
    c = compare([analyze(run("a", **base())), analyze(run("b", **base()))])
    assert all(r.winner is None for r in c.rows)
    assert "tie" in codes(c)


def test_a_dominated_run_loses_everywhere() -> None:
    c = compare([analyze(run("a", **base())), analyze(run("b", **base(shift=0.1)))])
    assert {r.name: c.names[r.winner] for r in c.rows if r.name.startswith("val")} == {
        "val_loss": "b",
        "val_acc": "b",
    }
    lead = codes(c)["leads"]
    assert lead.params["leader"] == "b" and lead.params["lead"] == 20  # type: ignore[attr-defined]
    row = next(r for r in c.rows if r.name == "val_acc")
    assert row.cells[1].diff == pytest.approx(row.cells[1].best - row.cells[0].best)


def test_crossing_curves_name_the_exception() -> None:
    a, b = base(), base()
    b["val_acc"] = list(np.array(b["val_acc"]) + 0.05)
    b["val_acc"][12:15] = list(np.array(a["val_acc"][12:15]) - 0.1)
    c = compare([analyze(run("a", **a)), analyze(run("b", **b))])
    lead = codes(c)["leads"]
    assert lead.key == "cmp.leads_except" and lead.params["windows"] == "13–15"  # type: ignore[attr-defined]
    assert lead.params["lead"] == 17  # type: ignore[attr-defined]


def test_different_lengths_are_aligned_on_shared_epochs() -> None:
    c = compare([analyze(run("a", **base(20))), analyze(run("b", **base(12)))])
    f = codes(c)["lengths_differ"]
    assert (f.params["la"], f.params["lb"], f.params["common"]) == (20, 12, 12)  # type: ignore[attr-defined]


def test_epochs_vs_steps_compare_best_values_only() -> None:
    c = compare([analyze(run("a", **base())), analyze(run("b", "step", **base(shift=0.1)))])
    assert c.axes_differ and codes(c)["axes_differ"].params["winner"] == "b"  # type: ignore[attr-defined]


def test_disjoint_metrics_are_listed_not_dropped() -> None:
    a = base()
    b = dict(base(), val_f1=list(np.linspace(0.1, 0.8, 20)))
    del b["val_acc"]
    c = compare([analyze(run("a", **a)), analyze(run("b", **b))])
    assert dict(c.only_in) == {"val_acc": ("a",), "val_f1": ("b",)}
    assert "metrics_missing" in codes(c)


def seeds() -> list[object]:
    return [analyze(load(p)[0]) for p in sorted(need(SEED).glob("*.json"))]


@pytest.fixture(scope="module")
def series() -> object:
    return compare(seeds(), "series")  # type: ignore[arg-type]


def pair(series: object, a: str, b: str) -> dict[str, object]:
    return {
        f.code: f
        for f in series.findings  # type: ignore[attr-defined]
        if f.params.get("a", "").startswith(a) and f.params.get("b", "").startswith(b)
    }


def test_0_to_1_hardly_any_difference(series: object) -> None:
    # "compared with the 15,000-node run, hardly any difference is visible"
    f = pair(series, "0_", "1_")
    assert "mostly_tied" in f or "tie" in f


def test_1_to_2_verbs_help(series: object) -> None:
    # "the validation-loss increase is slightly smaller"; "macro averages increased"
    f = pair(series, "1_", "2_")
    assert f["leads"].params["leader"].startswith("2_")  # type: ignore[attr-defined]
    a1, a2 = series.analyses[1], series.analyses[2]  # type: ignore[attr-defined]
    assert a2.overfitting.max_gl < a1.overfitting.max_gl
    assert a2.bests["val_recall_1"].value > a1.bests["val_recall_1"].value  # class 1 recall up


def test_2_to_3_regularisation_stops_the_overfitting(series: object) -> None:
    # "the validation loss keeps decreasing, so overfitting is solved to some degree"
    f = pair(series, "2_", "3_")
    assert f["overfitting"].params["xb"] == "—"  # type: ignore[attr-defined]


def test_3_to_4_the_deep_mlp_learns_nothing(series: object) -> None:
    f = pair(series, "3_", "4_")
    assert f["leads"].params["leader"].startswith("3_") and f["leads"].params["lead"] == 30  # type: ignore[attr-defined]


def test_4_to_5_regularisation_makes_it_learn(series: object) -> None:
    # "compared with experiment 4, classes 1 and 2 recall improved a lot"
    f = pair(series, "4_", "5_")
    assert f["leads"].params["leader"].startswith("5_")  # type: ignore[attr-defined]
    rows = {r.name: r for r in series.rows}  # type: ignore[attr-defined]
    for cls in ("val_recall_1", "val_recall_2"):
        assert rows[cls].cells[5].diff > 0.3


def test_5_to_6_batchnorm_better_except_around_epoch_20(series: object) -> None:
    # "apart from the epochs around 20, the BN network shows better metrics than experiment 5"
    f = pair(series, "5_", "6_")["leads"]
    assert f.params["leader"].startswith("6_") and f.key == "cmp.leads_except"  # type: ignore[attr-defined]
    assert f.params["windows"] == "21–22"  # type: ignore[attr-defined]  # their 0-based 20–21


def test_cli_compare_writes_pdf_and_json(tmp_path: Path) -> None:
    from reporter.cli import main

    a, b = need(SEED / "5_NLP_MLP_Regularized.json"), SEED / "6_NLP_MLP_Regularized_L2_BM.json"
    res = CliRunner().invoke(main, ["compare", str(a), str(b), "-o", str(tmp_path), "--name", "bn"])
    assert res.exit_code == 0, res.output
    body = json.loads((tmp_path / "bn" / "comparison.json").read_text())
    f1 = body["metrics"]["val_macro_avg_F1_th"]
    want = [max(json.loads(p.read_text())["val_macro_avg_F1_th"]) for p in (a, b)]
    assert [r["best"] for r in f1["runs"]] == want and f1["winner"].startswith("6_")
    assert f1["runs"][1]["diff"] == pytest.approx(want[1] - want[0])
    text = pdf_text(tmp_path / "bn" / "comparison.pdf").replace("\n", "")
    assert "실험 비교 보고서" in text and "Experiment comparison" in text
    res = CliRunner().invoke(main, ["compare", str(a), "-o", str(tmp_path)])
    assert res.exit_code == 1 and "at least two runs" in res.stderr
