"""Turn an Analysis into the ``summary.json`` document written beside each PDF.

Epoch numbers are 1-based as Keras prints them ("Epoch 1/30"); every
``*_index`` field is the 0-based position in the series. Non-finite numbers
become ``null``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from reporter.analysis import Analysis, positions, xnum
from reporter.analysis.criteria import TENSORBOARD_WEIGHT
from reporter.analysis.series import x_at
from reporter.assets import version
from reporter.config import Options
from reporter.history.model import Note
from reporter.i18n import Messages, Text
from reporter.sentences import (
    finding_text,
    held_out_text,
    monitor_text,
    numbering_text,
    recommendation_text,
)

SCHEMA = 1


def _num(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def _text(text: Text) -> dict[str, str]:
    return {"ko": text.ko, "en": text.en}


def build_summary(
    analysis: Analysis,
    options: Options,
    t: Messages,
    warnings: Sequence[Note] | None = None,
) -> dict[str, Any]:
    """summary.json of one run. ``warnings`` are every warning the report shows (the
    analysis's, then the drawing's); ``None`` means the analysis's own."""
    notes = analysis.warnings if warnings is None else warnings
    h = analysis.history
    xs = positions(h, analysis.recommendation.monitor)

    def _epoch(index: int | None) -> float | int | None:
        return x_at(xs, index)

    metrics: dict[str, Any] = {}
    for name, b in analysis.bests.items():
        metrics[name] = {
            f"best_{h[name].axis}": xnum(b.epoch),
            "best_index": b.index,
            "best_value": _num(b.value),
            "mode": b.mode,
        }
    s = analysis.stopping
    stopping = None
    if s is not None:
        stopping = {
            "monitor": s.monitor,
            "mode": s.mode,
            "patience": s.patience,
            "min_delta": s.min_delta,
            "baseline": s.baseline,
            "start_from_epoch": s.start_from_epoch,
            "restore_best_weights": s.restore_best_weights,
            "stop_fired": s.stop_fired,
            "stopped_epoch": _epoch(s.stopped_epoch) if s.stop_fired else None,
            "stopped_index": s.stopped_epoch if s.stop_fired else None,
            "restored_epoch": _epoch(s.restored_from),
            "restored_index": s.restored_from,
            "epochs_run": s.epochs_run,
            "best_value": _num(s.best),
        }
    rec = analysis.recommendation
    return {
        "schema": SCHEMA,
        "tool": {"name": "reporter", "version": version()},
        "run": h.name,
        "source": str(h.source),
        "format": h.format,
        "axis": h.axis,
        "epochs": h.n_epochs,
        "points": len(xs),
        "info": {k: v for k, v in h.info.items() if not k.startswith("_")},
        "options": options.fingerprint(),
        "monitor": rec.monitor,
        "monitor_choice": _choice(analysis, t),
        "numbering": {
            "convention": h.numbering or ("keras" if h.axis == "epoch" else "step"),
            "first": xnum(xs[0]) if len(xs) else None,
            "text": _text(numbering_text(h, t)),
        },
        "held_out": {
            "how": analysis.catalog.held_out or None,
            "series": sorted(
                {m.val for m in analysis.catalog.metrics.values() if m.val is not None}
            ),
            "text": _text(why) if (why := held_out_text(analysis, t)) is not None else None,
        },
        "metrics": metrics,
        "early_stopping": stopping,
        "recommendation": {
            "kind": rec.kind,
            "monitor": rec.monitor,
            "mode": rec.mode,
            "stop_epoch": _epoch(rec.stop_index),
            "stop_index": rec.stop_index,
            "keep_epoch": _epoch(rec.keep_index),
            "keep_index": rec.keep_index,
            "keep_value": _num(rec.keep_value),
            "epochs_saved": rec.epochs_saved,
            "compute_saved_pct": _num(100.0 * rec.epochs_saved / rec.epochs_run)
            if rec.epochs_run
            else None,
            "confidence": rec.confidence,
            "doubts": list(rec.doubts),
            "checkpoint": {
                "epoch": _epoch(rec.keep_index),
                "index": rec.keep_index,
                "value": _num(rec.keep_value),
                "near_epochs": list(rec.params.get("near_epochs", [])),
            }
            if rec.keep_index is not None
            else None,
            "rerun_stop": {
                "epoch": _epoch(rec.stop_index),
                "index": rec.stop_index,
                "gains_ended_epoch": rec.params.get("since_epoch"),
                "best_value_by_then": _num(rec.params.get("stop_value")),
                "cost": _num(rec.params.get("cost")),
                "cost_pct": _num(rec.params.get("cost_pct")),
                "epochs_saved": rec.epochs_saved,
            }
            if rec.stop_index is not None and rec.kind != "diverged"
            else None,
            "text": _text(recommendation_text(rec, t, h.axis)),
        },
        "policies": [
            dict(p.as_dict(), stop_epoch=_epoch(p.stop_index), keep_epoch=_epoch(p.keep_index))
            for p in analysis.policies
        ],
        "criteria": [dict(c.as_dict(), epoch=_epoch(c.index)) for c in analysis.criteria],
        "smoothing": {
            "method": "tensorboard_ema",
            "weight": TENSORBOARD_WEIGHT,
            "series": sorted(analysis.smoothed),
        },
        "lr_drops": [
            {
                "series": d.series,
                "x": xnum(d.x),
                "index": d.index,
                "before": d.before,
                "after": d.after,
            }
            for d in analysis.lr_drops
        ],
        "findings": [
            dict(f.as_dict(), text=_text(finding_text(f, t, h.axis))) for f in analysis.findings
        ],
        "warnings": [
            {"key": w.key, "facts": dict(w.params), "text": _text(t(w.key, **w.params))}
            for w in notes
        ],
        "families": [
            {"key": f.key, "kind": f.kind, "series": f.series_names}
            for f in analysis.catalog.families
        ],
        "unknown_direction": list(analysis.catalog.unknown_direction),
    }


def _choice(analysis: Analysis, t: Messages) -> dict[str, Any] | None:
    choice = analysis.monitor_choice
    text = monitor_text(analysis, t)
    if choice is None or text is None:
        return None
    return {"code": choice.why.removeprefix("monitor."), "facts": dict(choice.facts),
            "text": _text(text)}


def dumps(summary: dict[str, Any]) -> bytes:
    def clean(o: Any) -> Any:
        if isinstance(o, float):
            return o if math.isfinite(o) else None
        if isinstance(o, dict):
            return {k: clean(v) for k, v in o.items()}
        if isinstance(o, list | tuple):
            return [clean(v) for v in o]
        return o

    return (
        json.dumps(clean(summary), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    ).encode("utf-8")


def comparison_summary(comparison: Any, t: Messages) -> dict[str, Any]:
    """``comparison.json``: per metric each run's best, its x, final value, difference to the
    reference, and the winner (``null`` = a tie within the runs' own noise)."""
    axis = comparison.analyses[0].history.axis
    return {
        "schema": SCHEMA,
        "tool": {"name": "reporter", "version": version()},
        "runs": [
            {
                "name": a.history.name,
                "source": str(a.history.source),
                "format": a.history.format,
                "axis": a.history.axis,
            }
            for a in comparison.analyses
        ],
        "reference": comparison.reference,
        "metrics": {
            r.name: {
                "mode": r.mode,
                "noise": _num(r.noise),
                "winner": None if r.winner is None else comparison.names[r.winner],
                "runs": [
                    {
                        "run": comparison.names[i],
                        "best": _num(c.best),
                        "best_x": c.best_x,
                        "final": _num(c.final),
                        "diff": _num(c.diff),
                    }
                    for i, c in enumerate(r.cells)
                ],
            }
            for r in comparison.rows
        },
        "only_in": {m: list(names) for m, names in comparison.only_in},
        "findings": [
            dict(f.as_dict(), text=_text(finding_text(f, t, axis))) for f in comparison.findings
        ],
    }
