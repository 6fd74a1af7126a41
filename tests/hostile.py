"""Turn the bad-input matrix of ../shared/bad-inputs.md (cases 1-35) into files on disk.

Every entry is one source a user could drop into a history folder: its path
relative to the folder, what the tool must do with it (``E`` a clear per-item
error, ``W`` a report with a visible warning, ``R`` refused for security, ``OK``
a normal report) and a pattern the error message or the warning must match.
The matrix tests read each entry on its own; the mixed-folder test runs one batch
over all of them next to good histories.
"""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

Builder = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    """One hostile source and the behaviour the matrix expects of it."""

    num: int
    rel: str
    make: Builder
    expect: str  # "E", "W", "R" or "OK"
    match: str = ""  # regex on the one-line error (E/R) or on a warning key + text (W)
    note: str = ""

    @property
    def id(self) -> str:
        return self.rel.replace("/", "~")


def _bytes(data: bytes) -> Builder:
    def make(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return make


def _json(obj: Any) -> Builder:
    return _bytes(json.dumps(obj, ensure_ascii=False).encode())


def _text(text: str, encoding: str = "utf-8") -> Builder:
    return _bytes(text.encode(encoding))


GOOD = {
    "loss": [1.0, 0.7, 0.5, 0.42, 0.4, 0.41, 0.45],
    "val_loss": [1.1, 0.8, 0.62, 0.55, 0.57, 0.6, 0.66],
}
GOOD_CSV = "epoch,loss,val_loss\n" + "".join(
    f"{i},{a},{b}\n" for i, (a, b) in enumerate(zip(GOOD["loss"], GOOD["val_loss"], strict=True))
)


def good_with(**names: list[float]) -> dict[str, list[float]]:
    return {**GOOD, **names}


# ----------------------------------------------------------------------------- pickles


class Reduce:
    """An object that pickles as ``func(*args)``: how every payload is written."""

    def __init__(self, func: Any, *args: Any) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return self.func, self.args


def code_payloads(canary: Path) -> list[tuple[str, bytes]]:
    """Pickles that would create ``canary`` if anything ever ran them (T1)."""
    import builtins
    import subprocess as sp

    cmd = f"touch {canary}"
    out = []
    for proto in (0, 2, 4, 5):
        out.append((f"system-p{proto}", pickle.dumps({"loss": Reduce(os.system, cmd)}, proto)))
        out.append(
            (
                f"eval-p{proto}",
                pickle.dumps(Reduce(builtins.eval, f"open({str(canary)!r}, 'w')"), proto),
            )
        )
        out.append((f"subprocess-p{proto}", pickle.dumps(Reduce(sp.call, cmd.split()), proto)))
    out.append(
        (
            "runstring",
            b"cnumpy.testing._private.utils\nrunstring\n(S'import os; os.system(\"touch "
            + str(canary).encode()
            + b"\")'\n(dtR.",
        )
    )
    return out


class _DtypeReduce:
    def __init__(self, code: str, state: Any) -> None:
        self.code, self.state = code, state

    def __reduce__(self) -> tuple[Any, ...]:
        return np.dtype, (self.code, False, True), self.state


def dtype_pickle(state: Any, code: str = "f8", raw: bytes = b"\x00" * 8) -> bytes:
    """A numpy scalar whose dtype carries ``state``: (3,'<',None,-1,-1,0) segfaults numpy (T2)."""
    from numpy._core.multiarray import scalar

    return pickle.dumps({"loss": [Reduce(scalar, _DtypeReduce(code, state), raw)]}, 2)


MALFORMED_NUMPY = {
    "segfault-state": dtype_pickle((3, "<", None, -1, -1, 0)),
    "dict-state": dtype_pickle({"a": 1}),
    "object-dtype": dtype_pickle((3, "|", None, None, None, -1, -1, 63), code="O8"),
    "structured-fields": dtype_pickle((3, "|", None, ("a",), {"a": 1}, 8, 1, 0)),
    "wrong-byte-count": dtype_pickle((3, "<", None, None, None, -1, -1, 0), raw=b"\x00" * 3),
    "2d-array": pickle.dumps({"loss": np.zeros((2, 2))}, 2),
    "masked-subclass": pickle.dumps({"loss": np.ma.array([1.0, 2.0])}, 2),
    "object-array": pickle.dumps({"loss": np.array([1.0, "x"], dtype=object)}, 2),
    "structured-array": pickle.dumps({"loss": np.zeros(2, dtype=[("a", "f8")])}, 2),
}

MEMO_BOMB = b"\x80\x04N" + b"r" + (10**8).to_bytes(4, "little") + b"."


def laughs(depth: int = 7) -> bytes:
    """A few hundred bytes whose shared references describe 10**(depth+1) numbers (T4)."""
    nested: Any = [1.0] * 10
    for _ in range(depth):
        nested = [nested] * 10
    return pickle.dumps({"loss": nested}, 4)


KERAS_HISTORY_OBJECT = b"\x80\x02ckeras.callbacks\nHistory\nq\x00)\x81q\x01}q\x02b."
_MODULE, _NAME = b"keras.src.callbacks.history", b"History"
KERAS_HISTORY_OBJECT_P4 = (
    b"\x80\x04\x8c"
    + bytes([len(_MODULE)])
    + _MODULE
    + b"\x94\x8c"
    + bytes([len(_NAME)])
    + _NAME
    + b"\x94\x93\x94)\x81\x94."
)


class _Numpy1Pickler(pickle._Pickler):  # type: ignore[name-defined]
    """Writes numpy globals under numpy 1's module names (``numpy.core``), as old files have."""

    def save_global(self, obj: Any, name: str | None = None) -> None:
        module = getattr(obj, "__module__", "")
        qual = name or obj.__qualname__
        if module.startswith("numpy._core"):
            module = "numpy.core" + module[len("numpy._core") :]
        if self.proto >= 4:
            self.save(module)
            self.save(qual)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + module.encode() + b"\n" + qual.encode() + b"\n")
        self.memoize(obj)

    dispatch = dict(pickle._Pickler.dispatch)  # type: ignore[attr-defined]
    dispatch[types.FunctionType] = save_global


def numpy1_dumps(obj: object, protocol: int) -> bytes:
    buf = io.BytesIO()
    _Numpy1Pickler(buf, protocol).dump(obj)
    return buf.getvalue()


def keras_pickle_object(kind: str) -> dict[str, Any]:
    """``history.history`` as Keras leaves it: float32/float64 scalars, arrays or floats."""
    values = GOOD["loss"]
    if kind == "float32":
        return {
            "loss": [np.float32(v) for v in values],
            "val_loss": [np.float32(v) for v in GOOD["val_loss"]],
        }
    if kind == "float64":
        return {"loss": [np.float64(v) for v in values]}
    if kind == "array":
        return {"loss": np.array(values), "val_loss": np.array(GOOD["val_loss"], dtype=np.float32)}
    return {"loss": list(values)}


# ----------------------------------------------------------------------------- folders


def mlflow_run(root: Path, run_id: str, name: str, metrics: dict[str, str]) -> Path:
    """An MLflow file store with one run whose metric files hold the given raw lines."""
    exp = root / "mlruns" / "0"
    exp.mkdir(parents=True, exist_ok=True)
    (exp / "meta.yaml").write_text("experiment_id: '0'\nname: Default\n")
    run = exp / run_id
    (run / "metrics").mkdir(parents=True)
    (run / "tags").mkdir()
    (run / "params").mkdir()
    (run / "meta.yaml").write_text(f"run_id: {run_id}\nrun_name: {name}\nexperiment_id: '0'\n")
    (run / "tags" / "mlflow.runName").write_text(name)
    for metric, text in metrics.items():
        f = run / "metrics" / metric
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)
    return run


def mlflow_lines(values: list[float], start: int = 1_700_000_000_000) -> str:
    return "".join(f"{start + i} {v} {i}\n" for i, v in enumerate(values))


def _mlflow(metrics: dict[str, str], name: str = "run", extra: Builder | None = None) -> Builder:
    def make(path: Path) -> None:
        run = mlflow_run(path, "a" * 32, name, metrics)
        if extra is not None:
            extra(run)

    return make


def _symlink_out(run: Path) -> None:
    secret = run.parents[4] / "SECRET-outside.txt"  # beside the input folder, not in it
    secret.write_text("1700000000000 42.0 0\n")
    (run / "metrics" / "leak").symlink_to(secret)


def _symlink_loop(run: Path) -> None:
    (run / "metrics" / "loop").symlink_to(run / "metrics")


def _trainer_state(log_history: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "best_metric": None,
        "epoch": 3.0,
        "global_step": 30,
        "log_history": log_history,
        **extra,
    }


HF_DISJOINT = _trainer_state(
    [
        {"loss": 1.0 - 0.1 * i, "learning_rate": 1e-4, "epoch": i / 2, "step": 5 * i}
        for i in range(1, 7)
    ]
    + [
        {"eval_loss": 1.1 - 0.1 * i, "eval_accuracy": 0.5 + 0.1 * i, "epoch": i, "step": 10 * i}
        for i in range(1, 4)
    ]
)
HF_NO_STEP = _trainer_state(
    [{"loss": 1.0 - 0.1 * i, "epoch": i / 2} for i in range(1, 7)]
    + [{"eval_loss": 1.1 - 0.1 * i} for i in range(1, 4)]
)


def _sparse(head: bytes, size: int) -> Builder:
    """A file of ``size`` bytes that costs no disk: ``head`` then a hole."""

    def make(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(head)
            fh.truncate(size)

    return make


def _long_json(points: int) -> Builder:
    """One metric over ``points`` epochs (4-digit values keep it under the size limit)."""

    def make(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        i = np.arange(points)
        loss = 1.0 / np.sqrt(i + 1) + 0.01 * np.sin(i / 50)
        with open(path, "w") as fh:
            fh.write('{"loss": [')
            for s in range(0, points, 500_000):
                fh.write(
                    ("" if s == 0 else ", ") + ", ".join(np.char.mod("%.4g", loss[s : s + 500_000]))
                )
            fh.write("]}")

    return make


LONG_POINTS = 5_000_000

MATH_NAMES = ["val_$x$", "$\\frac{$", "$" + "{" * 200 + "$"]
HTML_NAMES = [
    '<link rel=attachment href="file:///etc/passwd">',
    "<img src=file:///etc/hostname>",
    "<img src=http://169.254.169.254/latest/meta-data/>",
    "<style>@import url(http://example.invalid/x.css);</style>",
    '<base href="file:///etc/">',
    "<div style=\"background:url('file:///etc/shadow')\">x</div>",
]
TEMPLATE_NAMES = ["{{ 7*7 }}", "{% raw %}", "{{ ''.__class__.__mro__ }}"]
CONTROL_NAMES = ["\x1b[31mred", "abc\u202etxt.exe", "two\nlines", "nul\x00byte"]


def cases(canary: Path) -> list[Case]:
    """The whole matrix; ``canary`` is the file a code-execution payload would create."""
    c: list[Case] = []

    def add(
        num: int, rel: str, make: Builder, expect: str, match: str = "", note: str = ""
    ) -> None:
        c.append(Case(num, f"{num:02d}-{rel}", make, expect, match, note))

    # 1 empty files, whatever the extension
    for ext in ("json", "pkl", "csv", "log"):
        add(1, f"empty.{ext}", _bytes(b""), "E", "empty file")
    add(1, "blank.json", _bytes(b" \n\t\n"), "E", "empty file")
    # 2 over the size limit: checked before parsing (a sparse file: no disk used)
    add(
        2,
        "oversized.json",
        _sparse(b'{"loss": [', 64 * 1024 * 1024 + 1),
        "E",
        r"67,108,865 bytes, over the 67,108,864-byte limit",
    )
    # 3 unknown format
    add(
        3,
        "prose.json",
        _text("These are my notes, not a history.\n"),
        "E",
        r"unknown format \(tried: mlflow-sqlite, wandb, tfevents, keras-pickle",
    )
    add(3, "random.csv", _bytes(bytes(range(256)) * 4), "E", r"unknown format \(tried: ")
    # 4 encodings: latin-1 and BOM-less UTF-16 refused with an offset; BOMs accepted
    add(
        4,
        "latin1.csv",
        _text("epoch,préc\n0,0.5\n1,0.6\n", "latin-1"),
        "E",
        r"not UTF-8 text: byte 0xe9 at offset 8",
    )
    add(
        4,
        "utf16-nobom.json",
        _text(json.dumps(GOOD), "utf-16-le"),
        "E",
        r"UTF-16 text without a byte-order mark",
    )
    add(4, "utf8-bom.json", _bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode()), "OK")
    add(4, "utf16-bom.json", _text(json.dumps(GOOD), "utf-16"), "OK")
    add(4, "utf8-bom.csv", _bytes(b"\xef\xbb\xbf" + GOOD_CSV.encode()), "OK")
    add(4, "utf16-bom.csv", _text(GOOD_CSV, "utf-16"), "OK")
    # 5 truncated JSON (an interrupted Hugging Face save)
    full = json.dumps(HF_DISJOINT, indent=2)
    add(
        5,
        "truncated/trainer_state.json",
        _text(full[: len(full) // 2]),
        "E",
        r"line \d+ column \d+: invalid JSON: the file ends too early",
    )
    # 6 non-finite values
    add(
        6,
        "nonfinite.json",
        _text(
            '{"loss": [1.0, NaN, 0.5, Infinity, 0.4], "val_loss": [1.1, -Infinity, 0.7, 1e400, 0.6]}'
        ),
        "W",
        "warn.nonfinite",
    )
    # 7 JSON that blows up parsers
    add(
        7,
        "bigint.json",
        _text('{"loss": [' + "9" * 5000 + "]}"),
        "E",
        "invalid JSON: number too large",
    )
    add(
        7, "deep.json", _text("[" * 100_000 + "]" * 100_000), "E", "invalid JSON: nested too deeply"
    )
    # 8 duplicate keys
    add(
        8,
        "dupkeys.json",
        _text('{"loss": [1, 0.5], "val_loss": [1, 0.8], "loss": [0.9, 0.4]}'),
        "W",
        "warn.duplicate_key",
    )
    # 9 wrong top level or wrong types, naming the JSON path
    add(
        9,
        "number.json",
        _text("3"),
        "E",
        r"\(top level\): expected an object of metric lists at the top level, found int",
    )
    add(
        9,
        "string.json",
        _text('"abc"'),
        "E",
        r"\(top level\): expected an object of metric lists at the top level, found str",
    )
    add(
        9,
        "strings.json",
        _json({"loss": ["a", "b"]}),
        "E",
        r"loss.*expected a list of numbers, found str at position 0",
    )
    add(9, "null-list.json", _json({"loss": None}), "E", r"no metrics found")
    add(
        9,
        "list-of-dicts.json",
        _json([{"loss": 1}, {"loss": "x"}]),
        "E",
        r"\(top level\): expected a list of numbers, found dict at position 0",
    )
    # 10 Hugging Face: disjoint train/eval keys; missing step
    add(10, "hf-disjoint/trainer_state.json", _json(HF_DISJOINT), "OK")
    add(10, "hf-nostep/trainer_state.json", _json(HF_NO_STEP), "W", "warn.hf_no_step")
    # 11 nothing in it
    add(11, "hf-empty/trainer_state.json", _json(_trainer_state([])), "E", "no metrics found")
    add(
        11,
        "header-only.csv",
        _text("epoch,loss,val_loss\n"),
        "E",
        r"no metrics found \(the CSV has a header but no rows\)",
    )
    # 12 CSV gaps: short rows, NA, empty, nan
    add(
        12,
        "gaps.csv",
        _text("epoch,loss,val_loss\n0,1.0,1.1\n1,NA,0.9\n2,0.6,\n3,nan,0.7\n4,0.4\n5,0.35,0.6\n"),
        "W",
        "warn.short_rows warn.csv_gaps",
    )
    # 13 a row with extra fields: an error naming the line (chosen over skipping it)
    add(
        13,
        "extra-fields.csv",
        _text("epoch,loss\n0,1.0\n1,0.5,9\n"),
        "E",
        r"line 3: 3 fields but the header has 2",
    )
    # 14 BOM, ';' and tab separators read as usual
    add(14, "semicolon.csv", _text(GOOD_CSV.replace(",", ";")), "OK")
    add(14, "tab.csv", _text(GOOD_CSV.replace(",", "\t")), "OK")
    add(14, "bom.csv", _bytes(b"\xef\xbb\xbf" + GOOD_CSV.encode()), "OK")
    # 15 CSV errors naming column and line
    add(
        15, "dup-header.csv", _text("epoch,loss,loss\n0,1,2\n"), "E", "duplicate column name 'loss'"
    )
    add(
        15,
        "abc.csv",
        _text("epoch,loss\n0,1.0\n1,abc\n"),
        "E",
        r"line 3: column 'loss': 'abc' is not a number",
    )
    add(
        15,
        "comma-decimal.csv",
        _text("epoch;loss\n0;0,5\n"),
        "E",
        r"column 'loss': '0,5' is not a number",
    )
    add(
        15,
        "nul.csv",
        _bytes(b"epoch,loss\n0,1.0\n1,0.\x005\n"),
        "E",
        r"NUL character at offset 21: not a text file",
    )
    add(
        15,
        "huge-field.csv",
        _text("epoch,loss\n0," + "9" * 2_000_000 + "\n"),
        "E",
        r"line 2: malformed CSV: field larger than field limit",
    )
    # 16 MLflow metric files
    add(
        16,
        "mlflow-1field",
        _mlflow({"loss": "1700000000000\n"}),
        "E",
        r"metrics/loss:line 1: expected 'timestamp value step', found 1 field",
    )
    add(
        16,
        "mlflow-4fields",
        _mlflow({"loss": "1700000000000 0.5 0\n1700000000001 0.4 1 9\n"}),
        "E",
        r"metrics/loss:line 2: expected 'timestamp value step', found 4 field",
    )
    add(
        16,
        "mlflow-timestamp",
        _mlflow({"loss": "17000000000.5 0.5 0\n"}),
        "E",
        r"metrics/loss:line 1: timestamp and step must be whole numbers",
    )
    add(
        16,
        "mlflow-nan",
        _mlflow({"loss": mlflow_lines([1.0, math.nan, 0.5, 0.4])}),
        "W",
        "warn.nonfinite",
    )
    # 17 MLflow nesting is fine; links are never followed
    add(
        17,
        "mlflow-nested",
        _mlflow(
            {"train/loss": mlflow_lines([1.0, 0.6, 0.5]), "val/loss": mlflow_lines([1.1, 0.8, 0.7])}
        ),
        "OK",
    )
    add(
        17,
        "mlflow-symlink-out",
        _mlflow({"loss": mlflow_lines([1.0, 0.5])}, extra=_symlink_out),
        "R",
        r"metrics/leak: refused: metrics/leak is a symbolic link",
    )
    add(
        17,
        "mlflow-symlink-loop",
        _mlflow({"loss": mlflow_lines([1.0, 0.5])}, extra=_symlink_loop),
        "R",
        r"metrics/loop: refused: metrics/loop is a symbolic link",
    )
    # 18 resumed runs and unequal lengths
    add(
        18,
        "resumed.csv",
        _text(
            "epoch,loss,val_loss\n0,1.0,1.1\n1,0.8,0.9\n2,0.7,0.8\n1,0.79,0.88\n2,0.69,0.79\n3,0.6,0.75\n"
        ),
        "W",
        "warn.appended_runs",
    )
    add(
        18,
        "unequal.json",
        _json({"loss": [1.0, 0.8, 0.6, 0.5], "val_loss": [1.1, 0.9]}),
        "W",
        "warn.unequal_lengths",
    )
    add(
        18,
        "hf-nonmonotonic/trainer_state.json",
        _json(
            _trainer_state(
                [
                    {"loss": v, "step": s, "epoch": s / 10}
                    for s, v in ((10, 1.0), (30, 0.6), (20, 0.8), (30, 0.55), (40, 0.5))
                ]
            )
        ),
        "W",
        "warn.duplicate_steps",
    )
    # 19 degenerate series
    add(19, "single-point.json", _json({"loss": [0.5], "val_loss": [0.6]}), "OK")
    add(
        19,
        "diverged-from-start.json",
        _text('{"loss": [1.0, 0.5, 0.4], "val_loss": [-Infinity, 0.0, -1.0]}'),
        "W",
        "warn.nonfinite",
    )
    add(
        19,
        "all-nan.json",
        _text('{"loss": [1.0, 0.5, 0.4], "val_loss": [NaN, NaN, NaN]}'),
        "W",
        "warn.nonfinite warn.no_finite",
    )
    add(
        19,
        "extreme.json",
        _json({"loss": [1e308, -1e308, 1e308, -1e308], "val_loss": [-1e308, 1e308, 0.0, 1e308]}),
        "W",
        "warn.plot_failed",
    )
    add(19, "long.json", _long_json(LONG_POINTS), "W", "report.thinned")
    # 20 too many metrics, too long a name
    add(
        20,
        "many-metrics.json",
        _json({f"m{i:05d}": [1.0 / (i + 1), 0.5 / (i + 1)] for i in range(10_000)}),
        "W",
        "report.more_metrics",
    )
    add(
        20,
        "long-name.json",
        _json(good_with(**{"x" * 200_000: [1.0, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]})),
        "W",
        "warn.long_names",
    )
    # 21-24 names that are markup, templates, mathtext or terminal escapes: literal everywhere
    add(21, "html-names.json", _json(good_with(**{n: GOOD["loss"] for n in HTML_NAMES})), "OK")
    add(
        22,
        "template-names.json",
        _json(good_with(**{n: GOOD["loss"] for n in TEMPLATE_NAMES})),
        "OK",
    )
    add(
        23,
        "mathtext-names.json",
        _json(good_with(**{n: GOOD["loss"] for n in MATH_NAMES})),
        "W",
        "warn.long_names",
    )
    add(
        24, "control-names.json", _json(good_with(**{n: GOOD["loss"] for n in CONTROL_NAMES})), "OK"
    )
    add(
        24,
        "\x1b[31mred\u202e.json",
        _json({"loss": "oops"}),
        "E",
        r"24-\\x1b\[31mred\\u202e\.json: no metrics found",
    )
    # 25 output names that could escape OUT or collide
    add(25, "names/Run.json", _json(GOOD), "OK")
    add(25, "names/run.json", _json(GOOD), "OK")
    add(25, "names/a/b.json", _json(GOOD), "OK")
    add(25, "names/a_b.json", _json(GOOD), "OK")
    add(25, "names/" + "n" * 250 + ".json", _json(GOOD), "OK")
    add(
        25,
        "names/dotdot",
        _mlflow({"loss": mlflow_lines(GOOD["loss"])}, name="../../../escape"),
        "OK",
    )
    add(
        25,
        "names/absolute",
        _mlflow({"loss": mlflow_lines(GOOD["loss"])}, name="/etc/passwd"),
        "OK",
    )
    # 26-32 pickles
    for label, data in code_payloads(canary):
        add(
            26,
            f"payload-{label}.pkl",
            _bytes(data),
            "R",
            r"refused: global [\w.]+ is not allowed in a history pickle",
        )
    add(
        27,
        "keras-history-object.pkl",
        _bytes(KERAS_HISTORY_OBJECT),
        "R",
        r"refused: this pickle holds a Keras/TensorFlow object.*history\.history",
    )
    add(
        27,
        "keras-history-object-p4.pkl",
        _bytes(KERAS_HISTORY_OBJECT_P4),
        "R",
        r"refused: this pickle holds a Keras/TensorFlow object.*history\.history",
    )
    for proto in range(6):
        add(
            28,
            f"legit-numpy2-p{proto}.pkl",
            _bytes(pickle.dumps(keras_pickle_object("float32"), proto)),
            "OK",
        )
        add(
            28,
            f"legit-numpy1-p{proto}.pkl",
            _bytes(numpy1_dumps(keras_pickle_object("array"), proto)),
            "OK",
        )
    add(
        29,
        "memo-bomb.pkl",
        _bytes(MEMO_BOMB),
        "R",
        r"refused: pickle memo index 100000000 at byte 3 is out of range",
    )
    add(
        30,
        "laughs.pkl",
        _bytes(laughs()),
        "E",
        r"loss: expected a list of numbers, found list at position 0",
    )
    for label, data in MALFORMED_NUMPY.items():
        add(
            31,
            f"numpy-{label}.pkl",
            _bytes(data),
            "R",
            r"refused: (malformed numpy|numpy (dtype|scalar|array)|only (1-D|plain)|global numpy\.ma)",
        )
    add(
        32,
        "truncated.pkl",
        _bytes(pickle.dumps(GOOD, 4)[:-20]),
        "R",
        r"refused: the pickle is truncated or corrupt at byte \d+",
    )
    add(
        32,
        "garbage.pkl",
        _bytes(b"garbage!"),
        "R",
        r"refused: the pickle is truncated or corrupt at byte 0",
    )
    add(
        32,
        "persid.pkl",
        _bytes(b"\x80\x02P1\n."),
        "R",
        r"refused: pickle opcode PERSID is not allowed",
    )
    add(
        32,
        "ext1.pkl",
        _bytes(b"\x80\x02\x82\x01."),
        "R",
        r"refused: pickle opcode EXT1 is not allowed",
    )
    add(
        32,
        "inst.pkl",
        _bytes(b"(i__main__\nX\n."),
        "R",
        r"refused: pickle opcode INST is not allowed",
    )
    add(
        32,
        "int-keys.pkl",
        _bytes(pickle.dumps({1: [0.5, 0.4]})),
        "E",
        r"metric names must be strings, found a int key 1",
    )
    add(
        32,
        "bools.pkl",
        _bytes(pickle.dumps({"loss": [True, False]})),
        "E",
        r"loss: expected a list of numbers, found bool at position 0",
    )
    return c


def build(folder: Path, canary: Path) -> list[Case]:
    """Write every case under ``folder``; returns the cases."""
    all_cases = cases(canary)
    for case in all_cases:
        case.make(folder / case.rel)
    return all_cases
