"""Turn hypothesis strategies into hostile bytes for every reader, and run one reader on
them under a time and memory bound.

Used by ``tests/test_fuzz.py`` (small budgets, every test run) and by
``scripts/fuzz.py`` (minutes per reader, on demand). The property is the same in
both: a reader returns runs or raises :class:`~reporter.errors.ReporterError`;
anything else (an uncaught exception, a hang, a memory blow-up) is a finding.
"""

from __future__ import annotations

import contextlib
import json
import pickle
import pickletools
import signal
import sqlite3
import tempfile
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from reporter.errors import ReporterError
from reporter.history import FORMATS, History, mlflow

SECONDS = 10.0  # a reader that takes this long on a few kilobytes is hung
PEAK_BYTES = 64 * 1024 * 1024  # ... and one that allocates this much has blown up


class Finding(Exception):
    """A reader misbehaved: it hung, blew up memory or raised a foreign exception."""


@contextlib.contextmanager
def bounded(seconds: float = SECONDS, peak: int = PEAK_BYTES) -> Iterator[None]:
    """Fail with :class:`Finding` if the block runs longer than ``seconds`` or allocates more
    than ``peak`` bytes at once (numpy's buffers included: numpy reports to tracemalloc)."""

    def alarm(signum: int, frame: Any) -> None:
        raise Finding(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    tracemalloc.start()
    try:
        yield
        _, top = tracemalloc.get_traced_memory()
        if top > peak:
            raise Finding(f"allocated {top:,} bytes at once")
    finally:
        tracemalloc.stop()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def guarded(label: str, call: Callable[[], list[History]]) -> list[History] | ReporterError:
    """``call()`` under :func:`bounded`: its runs, or the project error it raised (which must be
    one clean line); any other exception, a hang or a blow-up is a :class:`Finding`."""
    try:
        with bounded():
            return call()
    except ReporterError as exc:
        line = exc.one_line()
        if "\n" in line or "\x1b" in line:
            raise Finding(f"message is not one clean line: {line!r}") from exc
        return exc
    except Finding:
        raise
    except Exception as exc:
        raise Finding(f"{label}: {type(exc).__name__}: {exc}") from exc


def read(fmt: str, data: bytes, name: str) -> list[History] | ReporterError:
    """Run reader ``fmt`` on ``data`` as if read from a file called ``name``."""
    return guarded(fmt, lambda: FORMATS[fmt].read(data, name, None))


def check_runs(runs: list[History] | ReporterError) -> None:
    """What a reader returns is well formed: 1-D float series of equal x/value length."""
    if isinstance(runs, ReporterError):
        return
    assert runs, "a reader returned no runs instead of raising"
    for run in runs:
        assert run.series
        for s in run.series.values():
            assert s.values.dtype == np.float64 and s.values.ndim == 1
            assert s.x.shape == s.values.shape


# ----------------------------------------------------------------------------- JSON

NAMES = st.sampled_from(
    ["loss", "val_loss", "accuracy", "val_accuracy", "val_recall_1", "lr", "epoch", "step"]
) | st.text(max_size=12)
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.none(),
)
JSON_VALUES = st.recursive(
    st.one_of(NUMBERS, st.booleans(), st.text(max_size=8)),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(NAMES, inner, max_size=5),
    max_leaves=40,
)
KERAS_LIKE = st.dictionaries(NAMES, st.lists(NUMBERS, max_size=12) | JSON_VALUES, max_size=6)
HF_ENTRY = st.dictionaries(
    st.sampled_from(["loss", "eval_loss", "eval_accuracy", "learning_rate", "epoch", "step"])
    | NAMES,
    NUMBERS | st.text(max_size=4),
    max_size=5,
)
HF_LIKE = st.fixed_dictionaries(
    {"log_history": st.lists(HF_ENTRY, max_size=10) | JSON_VALUES},
    optional={"best_metric": NUMBERS, "global_step": NUMBERS, "epoch": NUMBERS},
)


def _dump(obj: Any) -> bytes:
    return json.dumps(obj, allow_nan=True).encode()


def mutate(data: bytes, edits: list[tuple[int, int, int]]) -> bytes:
    """Flip, drop or insert bytes at the given positions: ``(op, position, byte)``."""
    buf = bytearray(data)
    for op, pos, byte in edits:
        if not buf:
            buf.append(byte)
            continue
        i = pos % len(buf)
        if op == 0:
            buf[i] = byte
        elif op == 1:
            del buf[i]
        else:
            buf.insert(i, byte)
    return bytes(buf)


EDITS = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 10**6), st.integers(0, 255)), max_size=6
)


def mutated(base: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    return st.builds(mutate, base, EDITS)


json_bytes = st.one_of(
    st.builds(_dump, KERAS_LIKE),
    st.builds(_dump, HF_LIKE),
    st.builds(_dump, JSON_VALUES),
    mutated(st.builds(_dump, KERAS_LIKE)),
    mutated(st.builds(_dump, HF_LIKE)),
    st.binary(max_size=200),
)

# ----------------------------------------------------------------------------- CSV

CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-5, 10**6).map(str),
    st.sampled_from(["", "nan", "NA", "inf", "-inf", "abc", "0,5", '"1"', "1e999", " "]),
    st.text(alphabet=",;\t\"'\r\n\x00x0.-e", max_size=6),
)


def _table(header: list[str], rows: list[list[str]], delim: str) -> bytes:
    lines = [delim.join(header)] + [delim.join(r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


csv_tables = st.builds(
    _table,
    st.lists(NAMES | st.sampled_from(["epoch", "step", "train_loss_step"]), min_size=1, max_size=6),
    st.lists(st.lists(CELLS, max_size=7), max_size=12),
    st.sampled_from([",", ";", "\t"]),
)
csv_bytes = st.one_of(csv_tables, mutated(csv_tables), st.binary(max_size=200))

# ----------------------------------------------------------------------------- pickle

_ARGS: dict[str, st.SearchStrategy[bytes]] = {}


def _opcode_bytes(op: pickletools.OpcodeInfo, arg: Any) -> bytes:
    """One opcode with an argument of roughly the right shape (deliberately not always)."""
    code = op.code.encode("latin-1")
    a = op.arg
    if a is None:
        return code
    n = a.n
    if n == pickletools.UP_TO_NEWLINE:
        return code + str(arg).encode("latin-1", "replace")[:20] + b"\n"
    if n == pickletools.TAKEN_FROM_ARGUMENT1:
        raw = str(arg).encode()[:30]
        return code + bytes([len(raw)]) + raw
    if n == pickletools.TAKEN_FROM_ARGUMENT4:
        raw = str(arg).encode()[:30]
        return code + len(raw).to_bytes(4, "little") + raw
    if n == pickletools.TAKEN_FROM_ARGUMENT4U:
        raw = str(arg).encode()[:30]
        return code + len(raw).to_bytes(4, "little") + raw
    if n == pickletools.TAKEN_FROM_ARGUMENT8U:
        raw = str(arg).encode()[:30]
        return code + len(raw).to_bytes(8, "little") + raw
    if n > 0:
        return code + (abs(hash(str(arg))) % (256**n)).to_bytes(n, "little")
    return code


OPCODES = [op for op in pickletools.opcodes]
opcode_stream = st.builds(
    lambda proto, ops: bytes([0x80, proto]) + b"".join(ops) + b".",
    st.integers(0, 5),
    st.lists(
        st.builds(
            _opcode_bytes,
            st.sampled_from(OPCODES),
            st.one_of(
                st.integers(-300, 10**9),
                st.text(max_size=8),
                st.sampled_from(
                    [
                        "numpy._core.multiarray\nscalar",
                        "numpy\ndtype",
                        "builtins\neval",
                        "posix\nsystem",
                        "keras.callbacks\nHistory",
                        "_codecs\nencode",
                    ]
                ),
            ),
        ),
        max_size=24,
    ),
)


def _legit_pickle(obj: dict[str, Any], proto: int, kind: int) -> bytes:
    if kind == 1:
        with np.errstate(over="ignore"):
            obj = {k: [np.float32(v) for v in vs] for k, vs in obj.items()}
    elif kind == 2:
        obj = {k: np.asarray(vs, dtype=np.float64) for k, vs in obj.items()}
    return pickle.dumps(obj, proto)


HISTORY_DICT = st.dictionaries(
    NAMES, st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=8), max_size=4
)
legit_pickles = st.builds(_legit_pickle, HISTORY_DICT, st.integers(0, 5), st.integers(0, 2))
pickle_bytes = st.one_of(
    opcode_stream, mutated(legit_pickles), mutated(opcode_stream), st.binary(max_size=120)
)

# ----------------------------------------------------------------------------- MLflow, SQLite, events


def mlflow_text(lines: list[tuple[str, ...]]) -> bytes:
    return "".join(" ".join(f) + "\n" for f in lines).encode("utf-8", "surrogatepass")


mlflow_bytes = st.builds(
    mlflow_text,
    st.lists(
        st.lists(
            st.one_of(
                st.integers(-(10**15), 10**15).map(str),
                st.floats(allow_nan=True, allow_infinity=True).map(repr),
                st.text(max_size=5),
            ),
            max_size=5,
        ).map(tuple),
        max_size=10,
    ),
)


def read_mlflow_metric(data: bytes, folder: Path) -> list[History] | ReporterError:
    """Write ``data`` as the one metric file of an MLflow run under ``folder`` and read it."""
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    run = folder / "0" / ("a" * 32)
    (run / "metrics").mkdir(parents=True)
    (run / "meta.yaml").write_text("run_id: " + "a" * 32 + "\n")
    (run / "metrics" / "loss").write_bytes(data)
    return guarded("mlflow", lambda: mlflow.read_file_store(str(folder), None))


def sqlite_store(rows: list[tuple[Any, ...]]) -> bytes:
    """A minimal MLflow tracking database holding ``rows`` as metric rows."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "mlflow.db"
        con = sqlite3.connect(db)
        con.executescript(
            "create table runs (run_uuid text, name text, status text, experiment_id int,"
            " start_time int);"
            "create table metrics (key text, value real, timestamp int, run_uuid text,"
            " step int, is_nan int);"
            "insert into runs values ('r1', 'run', 'FINISHED', 0, 0);"
        )
        con.executemany("insert into metrics values (?, ?, ?, 'r1', ?, 0)", rows)
        con.commit()
        con.close()
        return db.read_bytes()


sqlite_rows = st.lists(
    st.tuples(
        NAMES | st.just("val_loss"),
        st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=3) | st.none(),
        st.integers(0, 10**13) | st.text(max_size=3),
        st.integers(-5, 10**6) | st.none(),
    ),
    max_size=12,
)


def _event_file(records: list[bytes]) -> bytes:
    """TFRecord framing (CRCs are not checked by our reader, on purpose: TensorBoard skips
    them too) around arbitrary payloads."""
    out = bytearray()
    for r in records:
        out += len(r).to_bytes(8, "little") + b"\0" * 4 + r + b"\0" * 4
    return bytes(out)


def _scalar_event(tag: str, value: float, step: int) -> bytes:
    try:
        from tensorboard.compat.proto import event_pb2
    except ImportError:  # the tensorboard extra is not installed: framing-only fuzzing
        return b""
    ev = event_pb2.Event(step=step, wall_time=1.0)
    v = ev.summary.value.add()
    v.tag = tag
    v.simple_value = value
    return bytes(ev.SerializeToString())


events = st.builds(
    _event_file,
    st.lists(
        st.builds(_scalar_event, NAMES, st.floats(width=32, allow_nan=True), st.integers(-5, 10**6))
        | st.binary(max_size=40),
        max_size=8,
    ),
)
event_bytes = st.one_of(events, mutated(events), st.binary(max_size=120))

# ----------------------------------------------------------------------------- registry

TARGETS: dict[str, tuple[st.SearchStrategy[bytes], str, str]] = {
    # name: (strategy, reader, file name the bytes pretend to come from)
    "keras-json": (json_bytes, "keras-json", "history.json"),
    "hf-trainer-state": (json_bytes, "hf-trainer-state", "trainer_state.json"),
    "keras-csv": (csv_bytes, "keras-csv", "training.log"),
    "lightning-csv": (csv_bytes, "lightning-csv", "metrics.csv"),
    "keras-pickle": (pickle_bytes, "keras-pickle", "history.pkl"),
    "tfevents": (event_bytes, "tfevents", "events.out.tfevents.1.host"),
}

mlflow_metric_bytes = st.one_of(mlflow_bytes, mutated(mlflow_bytes))
SqliteCase = tuple[list[tuple[Any, ...]], list[tuple[int, int, int]]]
sqlite_cases: st.SearchStrategy[SqliteCase] = st.tuples(sqlite_rows, EDITS)


def read_sqlite_case(case: SqliteCase, path: Path) -> list[History] | ReporterError:
    """Build the store for ``rows``, damage it when the first edit says so, read it."""
    rows, edits = case
    data = sqlite_store(rows)
    if edits and edits[0][0] == 0:  # sometimes a damaged database
        data = mutate(data, edits)
    path.write_bytes(data)
    return guarded("mlflow-sqlite", lambda: mlflow.read_sqlite(data, str(path), None))


def reader_property(target: str) -> tuple[st.SearchStrategy[Any], Callable[[Any], None]]:
    """(strategy, check) for a reader target; the check raises on a finding."""
    if target in TARGETS:
        strategy, fmt, name = TARGETS[target]
        return strategy, lambda data: check_runs(read(fmt, data, name))
    scratch = Path(tempfile.mkdtemp(prefix="reporter-fuzz-"))
    if target == "mlflow-metrics":
        return mlflow_metric_bytes, lambda data: check_runs(
            read_mlflow_metric(data, scratch / "mlruns")
        )
    if target == "mlflow-sqlite":
        return sqlite_cases, lambda case: check_runs(read_sqlite_case(case, scratch / "m.db"))
    raise KeyError(target)


READERS = [*TARGETS, "mlflow-metrics", "mlflow-sqlite"]
