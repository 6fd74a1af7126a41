"""The shipped histories are reproducible from scripts/make_histories.py, and all render."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from reporter.history import load
from reporter.history.safepickle import safe_loads

from .conftest import ROOT

HISTORIES = sorted((ROOT / "histories").glob("*.pkl"))


def test_three_seed_shaped_runs_are_shipped() -> None:
    assert [p.name for p in HISTORIES] == ["0_baseline.pkl", "1_l2.pkl", "2_l2_batchnorm.pkl"]
    for path in HISTORIES:
        raw = safe_loads(path.read_bytes())
        assert len(raw) == 38 and all(len(v) == 30 for v in raw.values())
        for base in ("recall", "prec", "F1"):
            keys = [base] + [f"{base}_{k}" for k in range(1, 5)]
            assert all(k in raw and "val_" + k in raw for k in keys)
        for key in ("macro_avg_recall_th", "macro_avg_prec_th", "macro_avg_F1_th", "loss"):
            assert key in raw and "val_" + key in raw
        assert b"numpy" in path.read_bytes()  # float32 numpy scalars, as TF 2 History holds


def test_regenerating_gives_the_same_numbers(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    spec = importlib.util.spec_from_file_location(
        "make_histories", ROOT / "scripts" / "make_histories.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for path in HISTORIES:
        (fresh,) = load(tmp_path / path.name)
        (shipped,) = load(path)
        assert list(fresh.series) == list(shipped.series)
        for name in shipped.series:
            np.testing.assert_allclose(
                fresh[name].values, shipped[name].values, rtol=1e-4, atol=1e-5, err_msg=name
            )
