"""Keras JSON histories and the common input checks, on small files written here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from reporter.errors import HistoryError
from reporter.history import load


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    p = tmp_path / name
    p.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return p


def test_plain_dict(tmp_path: Path) -> None:
    p = write(tmp_path, "run.json", json.dumps({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}))
    (run,) = load(p)
    assert run.name == "run" and run.format == "keras-json"
    np.testing.assert_array_equal(run["val_loss"].values, [1.1, 0.7])
    np.testing.assert_array_equal(run["loss"].x, [1, 2])
    assert run.n_epochs == 2 and run.warnings == ()


def test_wrapper_metadata_and_bare_list(tmp_path: Path) -> None:
    p = write(tmp_path, "w.json", json.dumps({"0": {"acc": [0.1, 0.2]}, "1": {"acc": [0.3]}}))
    runs = load(p)
    assert [r.name for r in runs] == ["w-0", "w-1"]
    p = write(tmp_path, "m.json", json.dumps({"loss": [1, 2], "lr": 0.01, "model": "mlp"}))
    (run,) = load(p)
    assert set(run.series) == {"loss"} and run.info == {"lr": "0.01", "model": "mlp"}
    p = write(tmp_path, "train_acc.json", "[0.5, 0.6, 0.7]")
    (run,) = load(p)
    assert list(run.series) == ["train_acc"]
    assert run.warnings[0].key == "warn.bare_list"


def test_nan_infinity_and_duplicates_become_warnings(tmp_path: Path) -> None:
    p = write(tmp_path, "n.json", '{"loss": [1, NaN, Infinity, 1e400, 0.5], "loss": [1, NaN, 2]}')
    (run,) = load(p)
    keys = [w.key for w in run.warnings]
    assert "warn.duplicate_key" in keys and "warn.nonfinite" in keys
    nonfinite = next(w for w in run.warnings if w.key == "warn.nonfinite")
    assert nonfinite.params["count"] == 1


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "empty file"),
        (b"   \n", "empty file"),
        (b'{"loss": [1, 2', "line 1 column 15.*truncated"),
        (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
        (b'{"loss": [' + b"9" * 5000 + b"]}", "number too large"),
        (b'"just a string"', "top level, found str"),
        (b'{"loss": "abc"}', "no metrics found"),
        (b'{"loss": [1, "x"]}', "loss: expected a list of numbers, found str at position 1"),
        (b'{"loss": [[1, 2]]}', "found list at position 0"),
        (b'{"loss": [1.0, 0.5], "val": {"x": [1]}, "y": null}', None),
        ('{"loss": [1.0, 0.5], "é": 1}'.encode("latin-1"), "not UTF-8 text: byte 0xe9 at offset"),
        (b"\x00\x01\x02binary", "unknown format"),
    ],
)
def test_errors_name_file_and_problem(tmp_path: Path, content: bytes, match: str | None) -> None:
    p = write(tmp_path, "bad.json", content)
    if match is None:
        (run,) = load(p)
        assert {w.key for w in run.warnings} == {"warn.nested_ignored"}
        return
    with pytest.raises(HistoryError, match=match) as info:
        load(p)
    line = info.value.one_line()
    assert line.startswith(str(p)) and "\n" not in line


def test_boms_are_accepted(tmp_path: Path) -> None:
    body = '{"loss": [1.0, 0.5]}'
    for enc, bom in (
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
    ):
        p = write(tmp_path, f"bom-{enc}.json", bom + body.encode(enc))
        (run,) = load(p)
        np.testing.assert_array_equal(run["loss"].values, [1.0, 0.5])


def test_size_limit_is_checked_before_parsing(tmp_path: Path) -> None:
    p = write(tmp_path, "big.json", '{"loss": [' + ", ".join(["0.5"] * 1000) + "]}")
    with pytest.raises(HistoryError, match="over the 100-byte limit"):
        load(p, limit=100)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match="cannot read"):
        load(tmp_path / "nope.json")
    with pytest.raises(HistoryError, match="folder"):
        load(tmp_path)
