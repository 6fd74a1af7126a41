"""Turn a run, its catalog and the options into the monitored series and why it was chosen."""

from __future__ import annotations

from reporter.analysis.facts import MonitorChoice
from reporter.config import Options
from reporter.errors import HistoryError
from reporter.history.model import History
from reporter.metrics import Catalog


def choose_monitor(history: History, catalog: Catalog, options: Options) -> MonitorChoice:
    if options.monitor is not None:
        if options.monitor not in history:
            raise HistoryError(
                f"monitor {options.monitor!r} is not in this history (it has: "
                + ", ".join(list(history.series)[:12])
                + ")",
                path=history.source,
            )
        return MonitorChoice(options.monitor, "monitor.option", {"monitor": options.monitor})
    preferred = history.info.get("metric_for_best_model")
    if preferred and preferred in history:
        return MonitorChoice(preferred, "monitor.hf_trainer", {"monitor": preferred})
    if history.monitor is not None and history.monitor in history and history.monitor_why:
        return MonitorChoice(
            history.monitor,
            history.monitor_why,
            {"monitor": history.monitor, **history.monitor_facts},
        )
    if "val_loss" in history:
        return MonitorChoice("val_loss", "monitor.val_loss", {"monitor": "val_loss"})
    vals = [m for m in dict.fromkeys(catalog.metrics.values()) if m.val and m.kind == "quality"]
    for m in vals:
        if "loss" in m.base.lower() and m.direction == "min":
            return MonitorChoice(m.val, "monitor.held_out_loss", {"monitor": m.val})
    for m in vals:
        if m.direction is not None:
            return MonitorChoice(m.val, "monitor.held_out_first", {"monitor": m.val})
    return MonitorChoice(None, "monitor.none")


def train_twin(catalog: Catalog, monitor: str) -> str | None:
    return catalog.metric(monitor).train
