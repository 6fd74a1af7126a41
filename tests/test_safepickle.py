"""The allow-listed unpickler: real Keras pickles load, everything else is refused."""

from __future__ import annotations

import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from reporter.errors import HistoryError, UnsafeInputError
from reporter.history import load
from reporter.history.safepickle import safe_loads

from .conftest import REAL, need
from .hostile import (
    KERAS_HISTORY_OBJECT,
    KERAS_HISTORY_OBJECT_P4,
    MALFORMED_NUMPY,
    MEMO_BOMB,
    code_payloads,
    laughs,
    numpy1_dumps,
)


def keras_like(kind: str) -> dict[str, Any]:
    values = [0.9, 0.5, 0.25, 0.125]
    if kind == "float32":
        return {
            "loss": [np.float32(v) for v in values],
            "val_loss": [np.float32(v) for v in values],
        }
    if kind == "float64":
        return {"loss": [np.float64(v) for v in values]}
    if kind == "array":
        return {"loss": np.array(values), "val_loss": np.array(values, dtype=np.float32)}
    return {"loss": values}


@pytest.mark.parametrize("protocol", range(0, 6))
@pytest.mark.parametrize("kind", ["float32", "float64", "array", "plain"])
@pytest.mark.parametrize("writer", ["numpy2", "numpy1"])
def test_legit_pickles_load_identically(protocol: int, kind: str, writer: str) -> None:
    obj = keras_like(kind)
    data = pickle.dumps(obj, protocol) if writer == "numpy2" else numpy1_dumps(obj, protocol)
    if writer == "numpy1" and kind != "plain" and protocol >= 2:
        assert b"numpy.core" in data
    loaded = safe_loads(data)
    for key, values in obj.items():
        got = np.asarray(loaded[key], dtype=np.float64)
        np.testing.assert_array_equal(got, np.asarray(values, dtype=np.float64))


def test_python2_protocol0_pickle_with_numpy_scalars() -> None:
    # What Python 2 + numpy 1 wrote: byte strings (S'...') and escaped raw scalar bytes.
    raw = np.float64(0.5).tobytes()
    escaped = "".join(f"\\x{b:02x}" for b in raw).encode()
    data = (
        b"(dp0\nS'loss'\np1\n(lp2\ncnumpy.core.multiarray\nscalar\np3\n(cnumpy\ndtype\np4\n"
        b"(S'f8'\np5\nI0\nI1\ntp6\nRp7\n(I3\nS'<'\np8\nNNNI-1\nI-1\nI0\ntp9\nbS'"
        + escaped
        + b"'\np10\ntp11\nRp12\naF0.25\nas."
    )
    assert safe_loads(data) == {b"loss": [0.5, 0.25]}


def test_real_keras_pickles_load(tmp_path: Path) -> None:
    need(REAL)
    files = sorted(REAL.glob("keras_pickle__*"))
    assert files
    for path in files:
        runs = load(path)
        assert runs and all(len(r.series) for r in runs), path.name
    py2 = load(
        REAL
        / "keras_pickle__KariMagdy__QuestionAnsweringSystem__trainHistoryDict_py2_protocol0.pickle"
    )[0]
    assert "val_activation_2_loss" in py2.series
    bare = load(
        REAL / "keras_pickle__rundun159__th1231__SKKU_3_2_ML_HW4_train_acc_barelist.pickle"
    )[0]
    assert len(next(iter(bare.series.values()))) == 10


def test_real_pickles_under_warnings_as_errors() -> None:
    """numpy.core paths must not trigger numpy 2's DeprecationWarning (pytest -W error)."""
    need(REAL)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for path in REAL.glob("keras_pickle__*"):
            load(path)


def test_code_execution_payloads_are_refused(tmp_path: Path) -> None:
    canary = tmp_path / "canary"
    for label, data in code_payloads(canary):
        with pytest.raises(UnsafeInputError, match="not allowed"):
            safe_loads(data)
        assert not canary.exists(), label


def test_keras_history_object_gets_a_hint() -> None:
    for data in (KERAS_HISTORY_OBJECT, KERAS_HISTORY_OBJECT_P4):
        with pytest.raises(UnsafeInputError, match=r"history\.history"):
            safe_loads(data)


def test_memo_index_bomb_is_refused_fast() -> None:
    start = time.perf_counter()
    with pytest.raises(UnsafeInputError, match="memo index"):
        safe_loads(MEMO_BOMB)
    assert time.perf_counter() - start < 1.0


def test_shared_reference_expansion_is_refused(tmp_path: Path) -> None:
    data = laughs(depth=7)
    assert len(data) < 400
    path = tmp_path / "laughs.pkl"
    path.write_bytes(data)
    start = time.perf_counter()
    with pytest.raises(HistoryError, match="list of numbers"):
        load(path)
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize("label", sorted(MALFORMED_NUMPY))
def test_malformed_numpy_state_is_refused_and_process_survives(label: str) -> None:
    """Run in a child so that a regression (a segfault) fails this test instead of pytest."""
    code = (
        "import sys; from reporter.history.safepickle import safe_loads\n"
        "from reporter.errors import UnsafeInputError\n"
        "try:\n    safe_loads(sys.stdin.buffer.read())\n"
        "except UnsafeInputError as e:\n    print('refused:', e)\n"
        "else:\n    print('loaded')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], input=MALFORMED_NUMPY[label], capture_output=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.startswith(b"refused:"), proc.stdout


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"\x80\x04\x95", "truncated|corrupt"),
        (b"garbage!", "opcode|truncated|corrupt"),
        (b"(dp0\nS'loss'\np1\n", "truncated"),
        (b"\x80\x02P1\n.", "PERSID|BINPERSID|not allowed"),
        (b"\x80\x02\x82\x01.", "EXT1"),
        (b"(i__main__\nX\n.", "INST|not allowed"),
    ],
)
def test_garbage_and_forbidden_opcodes(data: bytes, match: str) -> None:
    with pytest.raises(UnsafeInputError, match=match):
        safe_loads(data)


def test_bools_and_non_string_keys_are_named(tmp_path: Path) -> None:
    p = tmp_path / "bools.pkl"
    p.write_bytes(pickle.dumps({"loss": [True, False]}))
    with pytest.raises(HistoryError, match="bool at position 0"):
        load(p)
    p.write_bytes(pickle.dumps({1: [0.5]}))
    with pytest.raises(HistoryError, match="must be strings"):
        load(p)


def test_pickle_is_never_loaded_directly() -> None:
    """House rule, checked on the source: only the allow-listed unpickler loads pickles."""
    import re

    root = Path(__file__).resolve().parent.parent / "reporter"
    pattern = re.compile(r"pickle\.(load|loads)\(")
    hits = [str(p) for p in root.rglob("*.py") if pattern.search(p.read_text("utf-8"))]
    assert hits == []
