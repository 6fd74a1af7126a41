"""Turn a Weights & Biases run (``run-<id>.wandb`` or its folder) into a run on its step axis.

The ``.wandb`` file is W&B's transaction log: a 7-byte header (``:W&B``, magic ``0xBEE1``,
version), then 32 KiB blocks of chunks in LevelDB's log framing (a 7-byte chunk header:
CRC-32 of the type byte and the data, length, type FULL/FIRST/MIDDLE/LAST; a block tail
shorter than a header is zero padding). Each whole record is one protobuf ``Record``
(``wandb_internal.proto``). The framing is walked here; the few message types the report
needs (history, summary, config, run, exit, metric) are built from their field numbers in
W&B's ``wandb_internal.proto`` with the ``protobuf`` package, an optional extra
(``pip install 'reporter[wandb]'``), so the ``wandb`` package itself is not needed.

W&B conventions: every ``wandb.log()`` call is one history row, numbered by ``_step``
(from 0, one more per call unless ``step=`` is given), with ``_runtime`` (seconds since
the start) and ``_timestamp`` beside the user's keys; values are JSON. Numbers are
metrics; media, histograms, tables and other non-numbers are left out with a count. Keys
starting with ``_`` are W&B's own. An ``epoch`` key maps steps to epochs. ``define_metric``
goals (minimize/maximize) give directions. Config and summary values go to the run info on
page 1. A run whose writer died (no exit record, a record cut off at the end) is read up to
its last whole record, with a warning.

``wandb-summary.json`` (final values only) and ``output.log`` (console text) alone are not
histories: they are refused with a message pointing at the run folder.
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from reporter.errors import HistoryError
from reporter.history.formats import Format
from reporter.history.model import Direction, History, Note, Series, logged_series, note
from reporter.history.regular import MAX_BYTES, read_bytes
from reporter.history.runs import select
from reporter.history.text import head_text

MISSING = "reading W&B run files needs the wandb extra: pip install 'reporter[wandb]'"
IDENT = b":W&B"
HEADER = 7
BLOCK = 32 * 1024
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
INFO_KEYS = 40  # config / summary entries shown on page 1

# Field numbers from wandb/proto/wandb_internal.proto (wandb_internal package); only the
# fields read here. Unknown fields (telemetry, output, stats ...) are skipped by protobuf.
# message: field=number:type, "+" for repeated, ".Name" for a message field
PROTO = """
HistoryItem    key=1:string nested_key=2:+string value_json=16:string
SummaryItem    key=1:string nested_key=2:+string value_json=16:string
ConfigItem     key=1:string nested_key=2:+string value_json=16:string
HistoryStep    num=1:int64
HistoryRecord  item=1:+.HistoryItem step=2:.HistoryStep
SummaryRecord  update=1:+.SummaryItem remove=2:+.SummaryItem
ConfigRecord   update=1:+.ConfigItem remove=2:+.ConfigItem
RunExitRecord  exit_code=1:int32 runtime=2:int32
MetricRecord   name=1:string glob_name=2:string step_metric=4:string goal=8:int32
RunRecord      run_id=1:string entity=2:string project=3:string config=4:.ConfigRecord
               summary=5:.SummaryRecord run_group=6:string job_type=7:string
               display_name=8:string notes=9:string tags=10:+string sweep_id=12:string
               host=13:string starting_step=14:int64 resumed=18:bool
Record         num=1:int64 history=2:.HistoryRecord summary=3:.SummaryRecord
               config=5:.ConfigRecord metric=12:.MetricRecord run=17:.RunRecord
               exit=18:.RunExitRecord
"""


def _messages() -> dict[str, list[tuple[str, int, str]]]:
    out: dict[str, list[tuple[str, int, str]]] = {}
    current: list[tuple[str, int, str]] = []
    for line in PROTO.strip().splitlines():
        words = line.split()
        if not line.startswith(" "):
            current = out.setdefault(words.pop(0), [])
        for word in words:
            name, _, rest = word.partition("=")
            number, _, kind = rest.partition(":")
            current.append((name, int(number), kind))
    return out


@cache
def record_class() -> Any:
    """W&B's ``Record`` message (the fields read here), built once with protobuf's API."""
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    except ImportError:
        return None
    fd = descriptor_pb2.FileDescriptorProto(name="reporter_wandb.proto", package="wb")
    fd.syntax = "proto3"
    kinds = {"string": 9, "int64": 3, "int32": 5, "bool": 8}  # FieldDescriptorProto.Type
    for name, fields in _messages().items():
        msg = fd.message_type.add(name=name)
        for fname, number, kind in fields:
            repeated = kind.startswith("+")
            kind = kind.removeprefix("+")
            f = msg.field.add(name=fname, number=number, label=3 if repeated else 1)
            if kind.startswith("."):
                f.type, f.type_name = 11, ".wb" + kind  # TYPE_MESSAGE
            else:
                f.type = kinds[kind]
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("wb.Record"))


# ----------------------------------------------------------------------------- framing


@dataclass
class Framing:
    """What the walk over the chunks found: whole records and where a cut one started."""

    records: list[bytes] = field(default_factory=list)
    cut_at: int | None = None  # byte offset of a record left unfinished at the end
    bad_at: int | None = None  # byte offset of a chunk whose checksum or type is wrong


def looks_wandb(data: bytes, path: str) -> bool:
    """W&B's header, or a ``.wandb`` name (then a damaged header is reported as such)."""
    return data[:4] == IDENT or Path(path).suffix.lower() == ".wandb"


def frame(data: bytes, path: str) -> Framing:
    """The whole records of a ``.wandb`` file, in order; a damaged chunk ends the walk."""
    if len(data) < HEADER or data[:4] != IDENT:
        raise HistoryError(
            "not a W&B run file (no ':W&B' header)",
            path=path,
            hint="pass the run-<id>.wandb file or its run folder (wandb/run-<date>-<id>/)",
        )
    out = Framing()
    pos, parts, start = HEADER, bytearray(), None
    while pos < len(data):
        left = BLOCK - pos % BLOCK
        if left < HEADER:  # block tail: zero padding
            pos += left
            continue
        if pos + HEADER > len(data):
            break
        crc, length, kind = struct.unpack_from("<IHB", data, pos)
        if crc == 0 and length == 0 and kind == 0:  # zero-filled rest of a block
            pos += left
            continue
        body = data[pos + HEADER : pos + HEADER + length]
        if (
            len(body) < length
            or kind not in (FULL, FIRST, MIDDLE, LAST)
            or zlib.crc32(body, zlib.crc32(bytes((kind,)))) & 0xFFFFFFFF != crc
        ):
            if len(body) < length:
                out.cut_at = start if start is not None else pos
            else:
                out.bad_at = pos
            return out
        if kind == FULL:
            out.records.append(bytes(body))
            parts, start = bytearray(), None
        elif kind == FIRST:
            parts, start = bytearray(body), pos
        elif start is not None:
            parts += body
            if kind == LAST:
                out.records.append(bytes(parts))
                parts, start = bytearray(), None
        pos += HEADER + length
    if start is not None:
        out.cut_at = start
    return out


# ----------------------------------------------------------------------------- values


def _key(item: Any) -> str:
    return "/".join(item.nested_key) if item.nested_key else str(item.key)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _scalar(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _shown(value: Any) -> str | None:
    """A config/summary value as run info: scalars and short strings, W&B's wrappers opened."""
    if isinstance(value, dict) and set(value) <= {"value", "desc"} and "value" in value:
        value = value["value"]
    if isinstance(value, bool | int | float | str) and len(str(value)) <= 200:
        return f"{value:.6g}" if isinstance(value, float) else str(value)
    return None


@dataclass
class Run:
    """What the records of one ``.wandb`` file say."""

    points: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    config: dict[str, str] = field(default_factory=dict)
    summary: dict[str, str] = field(default_factory=dict)
    about: dict[str, str] = field(default_factory=dict)
    goals: dict[str, Direction] = field(default_factory=dict)
    exit_code: int | None = None
    runtime: float | None = None
    last_step: float | None = None
    rows: int = 0


def _history_row(h: Any, run: Run) -> None:
    values = {_key(i): _json(i.value_json) for i in h.item}
    step = _scalar(values.get("_step"))
    if step is None:
        step = float(h.step.num) if h.HasField("step") else float(run.rows)
    run.rows += 1
    run.last_step = step
    runtime = _scalar(values.get("_runtime"))
    if runtime is not None:
        run.runtime = runtime
    for key, value in values.items():
        if key.startswith("_"):
            continue
        number = _scalar(value)
        if number is None:
            run.skipped[key] = run.skipped.get(key, 0) + 1
        else:
            run.points.setdefault(key, []).append((step, number))


def _items(record: Any, into: dict[str, str]) -> None:
    for item in record.update:
        key = _key(item)
        if key.startswith("_"):
            continue
        shown = _shown(_json(item.value_json))
        if shown is not None:
            into[key] = shown
    for item in record.remove:
        into.pop(_key(item), None)


def parse(records: list[bytes], path: str) -> Run:
    cls = record_class()
    if cls is None:
        raise HistoryError(MISSING, path=path)
    run = Run()
    for i, raw in enumerate(records):
        try:
            rec = cls.FromString(raw)
        except Exception as exc:  # protobuf's DecodeError
            raise HistoryError(
                f"record {i} is not a W&B record ({type(exc).__name__})",
                path=path,
                hint="the file is damaged or was written by an unknown W&B version",
            ) from exc
        if rec.HasField("history"):
            _history_row(rec.history, run)
        elif rec.HasField("summary"):
            _items(rec.summary, run.summary)
        elif rec.HasField("config"):
            _items(rec.config, run.config)
        elif rec.HasField("metric"):
            if rec.metric.name and rec.metric.goal in (1, 2):
                run.goals[rec.metric.name] = "min" if rec.metric.goal == 1 else "max"
        elif rec.HasField("run"):
            r = rec.run
            for key in ("run_id", "project", "entity", "display_name", "run_group", "job_type"):
                if getattr(r, key):
                    run.about[key] = str(getattr(r, key))
            if r.tags:
                run.about["tags"] = ", ".join(r.tags)
            _items(r.config, run.config)
        elif rec.HasField("exit"):
            run.exit_code = int(rec.exit.exit_code)
            run.runtime = float(rec.exit.runtime) or run.runtime
    return run


# ----------------------------------------------------------------------------- reading


def _summary_file(src: Path) -> dict[str, Any]:
    """``files/wandb-summary.json`` beside a ``.wandb`` file, if there is one."""
    p = src.parent / "files" / "wandb-summary.json"
    try:
        obj = json.loads(p.read_bytes()[:MAX_BYTES]) if p.is_file() else None
    except (OSError, ValueError, RecursionError):
        return {}
    return obj if isinstance(obj, dict) else {}


def _info(run: Run, framing: Framing) -> dict[str, str]:
    info = {f"run.{k}" if k != "run_id" else "run_id": v for k, v in run.about.items()}
    if run.exit_code is not None:
        info["exit_code"] = str(run.exit_code)
    if run.runtime is not None:
        info["runtime"] = f"{run.runtime:.0f} s"
    for prefix, values in (("config", run.config), ("summary", run.summary)):
        for k, v in list(values.items())[:INFO_KEYS]:
            info[f"{prefix}.{k}"] = v
    info["records"] = str(len(framing.records))
    return info


def read_wandb(data: bytes, path: str, run: str | None = None) -> list[History]:
    framing = frame(data, path)
    if record_class() is None:
        raise HistoryError(MISSING, path=path)
    parsed = parse(framing.records, path)
    src = Path(path)
    notes: list[Note] = []
    if framing.cut_at is not None or framing.bad_at is not None or parsed.exit_code is None:
        notes.append(note("wandb.unfinished", records=len(framing.records)))
    if framing.bad_at is not None:
        notes.append(note("wandb.damaged", offset=framing.bad_at))
    if parsed.skipped:
        keys = ", ".join(sorted(parsed.skipped)[:10]) + (" …" if len(parsed.skipped) > 10 else "")
        notes.append(note("wandb.skipped", count=sum(parsed.skipped.values()), keys=keys))
    summary = _summary_file(src)
    final_step = _scalar(summary.get("_step"))
    if final_step is not None and parsed.last_step is not None and final_step > parsed.last_step:
        notes.append(
            note(
                "wandb.summary_ahead", summary_step=int(final_step), last_step=int(parsed.last_step)
            )
        )
    if not parsed.points:
        raise HistoryError(
            f"no numeric history rows in this W&B run ({len(framing.records)} records read)",
            path=path,
            hint="only values logged with wandb.log() as numbers are reported",
        )
    epochs = parsed.points.pop("epoch", None)
    series: dict[str, Series] = {}
    for key, pts in parsed.points.items():
        series[key] = logged_series(key, [p[0] for p in pts], [p[1] for p in pts], "step", notes)
    epoch_at_step = None
    if epochs:
        arr = np.asarray(epochs, dtype=np.float64)
        epoch_at_step = (arr[:, 0].copy(), arr[:, 1].copy())
    info = _info(parsed, framing)
    for k, v in summary.items():
        shown = _shown(v)
        if not k.startswith("_") and shown is not None and f"summary.{k}" not in info:
            info[f"summary.{k}"] = shown
    if final_step is not None:
        info["summary._step"] = str(int(final_step))
    name = parsed.about.get("display_name") or _run_name(src)
    hist = History(
        name,
        src,
        series,
        "wandb",
        info,
        tuple(dict.fromkeys(notes)),
        "step",
        epoch_at_step,
        numbering="wandb_run.step",
        directions=dict(parsed.goals),
    )
    return select([hist], run, path)


def _run_name(src: Path) -> str:
    folder = src.parent.name
    if folder.startswith(("run-", "offline-run-")) or folder == "latest-run":
        return folder
    return src.stem


# ----------------------------------------------------------------------------- folders


def _wandb_files(folder: Path) -> list[Path]:
    try:
        return sorted(
            p for p in folder.iterdir() if p.suffix == ".wandb" and p.is_file() and p.stat().st_size
        )
    except OSError:
        return []


def _run_folders(folder: Path) -> list[Path]:
    """Run folders below a ``wandb/`` folder (``latest-run`` is a link to one of them)."""
    try:
        dirs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.is_symlink())
    except OSError:
        return []
    return [d for d in dirs if d.name.startswith(("run-", "offline-run-")) and _wandb_files(d)]


def is_wandb_folder(folder: Path) -> bool:
    """A W&B run folder (``run-<id>.wandb`` in it), or the ``wandb/`` folder holding them."""
    return bool(_wandb_files(folder)) or (folder.name == "wandb" and bool(_run_folders(folder)))


def read_folder(path: str, run: str | None = None, limit: int = MAX_BYTES) -> list[History]:
    folder = Path(path)
    files = _wandb_files(folder)
    if files:
        runs = [h for f in files[-1:] for h in read_wandb(read_bytes(f, limit), str(f), None)]
    else:
        runs = [
            h
            for d in _run_folders(folder)
            for f in _wandb_files(d)[-1:]
            for h in read_wandb(read_bytes(f, limit), str(f), None)
        ]
    if not runs:
        raise HistoryError("no W&B run file (run-<id>.wandb) in this folder", path=path)
    return select(runs, run, path)


# ----------------------------------------------------------------------------- refusals


def looks_summary(data: bytes, path: str) -> bool:
    if Path(path).name.endswith("wandb-summary.json"):
        return True
    head = head_text(data, 400).lstrip("\ufeff \t\r\n")
    return head.startswith("{") and '"_wandb"' in head_text(data, 65536) and '"_runtime"' in head


def refuse_summary(data: bytes, path: str, run: str | None = None) -> list[History]:
    raise HistoryError(
        "a W&B wandb-summary.json holds each metric's final value only, not its history",
        path=path,
        hint="pass the run folder (wandb/run-<date>-<id>/) or its run-<id>.wandb file",
    )


def looks_output_log(data: bytes, path: str) -> bool:
    p = Path(path)
    if not p.name.endswith("output.log"):
        return False
    run_folder = p.parent.parent.name if p.parent.name == "files" else ""
    return run_folder.startswith(("run-", "offline-run-", "latest-run")) or "wandb" in p.name


def refuse_output_log(data: bytes, path: str, run: str | None = None) -> list[History]:
    raise HistoryError(
        "a W&B output.log holds the run's console text only, not its logged metrics",
        path=path,
        hint="pass the run folder (wandb/run-<date>-<id>/) or its run-<id>.wandb file",
    )


RUN_FILE = Format(
    "wandb",
    "a Weights & Biases run: run-<id>.wandb or its run folder (needs reporter[wandb])",
    read_wandb,
    looks_wandb,
    frozenset({".wandb"}),
    is_folder=is_wandb_folder,
    read_folder=read_folder,
    noun="a W&B run folder",
)
SUMMARY = Format(
    "wandb-summary",
    "W&B's wandb-summary.json: refused, it holds final values only",
    refuse_summary,
    looks_summary,
)
OUTPUT_LOG = Format(
    "wandb-output",
    "W&B's output.log: refused, it holds console text only",
    refuse_output_log,
    looks_output_log,
)
