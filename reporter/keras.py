"""Turn a Keras training run into its report as it ends: :class:`ReportCallback`.

    model.fit(x, y, validation_split=0.2, epochs=50,
              callbacks=[keras.callbacks.EarlyStopping(patience=5),
                         reporter.keras.ReportCallback(out="reports")])

The callback keeps the epoch logs itself (the live history: no pickle step) and writes
``OUT/<model name>/report.pdf`` + ``summary.json`` when training ends, and every ``every``
epochs if asked (each write replaces the last, atomically). If the same ``fit`` has a Keras
``EarlyStopping``, its settings (monitor, mode, patience, min_delta, baseline,
start_from_epoch) become the report's options, so the report replays the very rule that
stopped training, and page 1 says so. Options given to the callback win over them.

Nothing the callback does can stop training: any failure becomes a :class:`ReportWarning`
in the training log, and the error is kept in :attr:`ReportCallback.error`.

This module imports Keras (3 or newer); ``import reporter`` never imports this module.
"""

from __future__ import annotations

import logging
import sys
import warnings
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

try:
    import keras
except ImportError as exc:  # pragma: no cover (the test extra installs Keras)
    raise ImportError(
        "reporter.keras needs Keras 3: pip install 'reporter[keras]' "
        f"(importing keras failed: {exc})"
    ) from exc

from reporter.api import Reports, options, report_with
from reporter.errors import ConfigError, ReporterError, clean

log = logging.getLogger(__name__)  # no handler of ours: Python's last-resort one prints it

if int(str(getattr(keras, "__version__", "0")).split(".")[0] or 0) < 3:  # pragma: no cover
    raise ImportError(
        f"reporter.keras needs Keras 3 (found {keras.__version__}): "
        "pip install 'reporter[keras]'"
    )

__all__ = ["ReportCallback", "ReportWarning"]

ES_SETTINGS = ("monitor", "mode", "patience", "min_delta", "baseline", "start_from_epoch")


class ReportWarning(UserWarning):
    """The training report could not be written (training went on)."""


def _number(value: object) -> float | None:
    """A log value as a float (``None`` when it is not a number: the report shows a gap)."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return None
    return number


def _keras_mode(es: Any) -> str:
    """The mode EarlyStopping used: its own when given, else the one Keras resolved."""
    mode = getattr(es, "mode", "auto")
    if mode in ("min", "max"):
        return str(mode)
    op = getattr(getattr(es, "monitor_op", None), "__name__", "")
    return {"less": "min", "greater": "max"}.get(op, "auto")


class ReportCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Write the training report when ``fit`` ends (and every ``every`` epochs).

    ``out``: the output folder (the run goes to ``out/<name>/``); ``name``: the run's name
    (default: the model's); ``every``: also write after every ``every``-th epoch;
    ``early_stopping``: the EarlyStopping whose rule to replay (default: the one in the same
    ``fit``, if any); ``options``: the command line's options (``lang="en"``,
    ``monitor=...``), checked here, before training starts.

    After ``fit``: :attr:`result` is the last report written (:class:`reporter.Reports`),
    :attr:`error` the last failure (``None`` when every write succeeded).
    """

    def __init__(
        self,
        out: str | Path = "reports",
        every: int | None = None,
        *,
        name: str | None = None,
        early_stopping: Any = None,
        **options_: Any,
    ) -> None:
        super().__init__()
        if every is not None and (
            not isinstance(every, int) or isinstance(every, bool) or every < 1
        ):
            raise ConfigError(f"every must be a whole number of epochs, 1 or more (got {every!r})")
        self.out = Path(out)
        self.every = every
        self.name = name
        self.early_stopping = early_stopping
        self.options = options(**options_)  # a bad option is the caller's bug: raise now
        self._given = {k for k, v in options_.items() if v is not None}
        self.result: Reports | None = None
        self.error: BaseException | None = None
        self._logs: dict[str, list[float | None]] = {}
        self._epochs = 0
        self._stoppers: list[Any] = []

    # ------------------------------------------------------------------ Keras's hooks

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self._logs, self._epochs, self.result, self.error = {}, 0, None, None
        try:
            self._stoppers = (
                [self.early_stopping]
                if self.early_stopping is not None
                else self._early_stoppings()
            )
        except Exception as exc:
            self._fail(exc)

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        try:
            self._record(logs or {})
        except Exception as exc:
            self._fail(exc)
            return
        if self.every is not None and self._epochs % self.every == 0:
            self._write()

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        self._write()

    # ------------------------------------------------------------------ the work

    def _early_stoppings(self) -> list[Any]:
        """The EarlyStopping callbacks of the ``fit`` that is calling us: Keras gives a
        callback no handle on its siblings, so the callback list is found as the caller
        (``CallbackList.on_train_begin``) whose ``callbacks`` hold this one. Only read."""
        frame = sys._getframe(1)
        for _ in range(6):
            if frame is None:
                break
            owner = frame.f_locals.get("self")
            siblings = getattr(owner, "callbacks", None)
            if isinstance(siblings, list) and any(c is self for c in siblings):
                return [c for c in siblings if isinstance(c, keras.callbacks.EarlyStopping)]
            frame = frame.f_back  # type: ignore[assignment]
        return []

    def _record(self, logs: Mapping[str, Any]) -> None:
        """One epoch's logs; a metric that appears late or skips an epoch (validation every
        few epochs) gets gaps, so every list stays one value per epoch."""
        for key, value in logs.items():
            if not isinstance(key, str):
                continue
            self._logs.setdefault(key, [None] * self._epochs).append(_number(value))
        self._epochs += 1
        for values in self._logs.values():
            if len(values) < self._epochs:
                values.append(None)

    def _stopper(self) -> Any:
        """The EarlyStopping that stopped training (else the first one)."""
        fired = [es for es in self._stoppers if getattr(es, "stopped_epoch", 0)]
        return (fired or self._stoppers or [None])[0]

    def _rule(self) -> tuple[Any, dict[str, str]]:
        """The report's options, with the EarlyStopping's settings where the caller gave
        none, and the run info that says so on page 1."""
        es = self._stopper()
        if es is None:
            return self.options, {}
        found: dict[str, Any] = {
            "monitor": str(es.monitor),
            "mode": _keras_mode(es),
            "patience": int(es.patience),
            "min_delta": abs(float(es.min_delta)),  # Keras flips its sign in min mode
            "baseline": None if es.baseline is None else float(es.baseline),
            "start_from_epoch": int(getattr(es, "start_from_epoch", 0)),
        }
        opts = replace(
            self.options, **{k: v for k, v in found.items() if k not in self._given}
        )
        rule = ", ".join(f"{k}={found[k]}" for k in ES_SETTINGS)
        rbw = bool(getattr(es, "restore_best_weights", False))
        info = {
            "Keras EarlyStopping": f"{rule}, restore_best_weights={rbw} "
            "(replayed in this report / 이 보고서가 같은 규칙으로 재현)",
        }
        stopped = int(getattr(es, "stopped_epoch", 0) or 0)
        if stopped:
            info["Keras stopped at epoch"] = str(stopped + 1)
        return opts, info

    def _write(self) -> None:
        if not self._logs:
            return  # no epoch finished: nothing to report
        try:
            opts, info = self._rule()
            model_name = getattr(self.model, "name", None)
            planned = (self.params or {}).get("epochs")
            if isinstance(planned, int):
                info["Keras epochs planned"] = str(planned)
            self.result = report_with(
                {k: list(v) for k, v in self._logs.items()},
                opts,
                self.out,
                name=self.name or (model_name if isinstance(model_name, str) else None),
                info=info,
            )
        except Exception as exc:  # never break training
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        self.error = exc
        what = exc.one_line() if isinstance(exc, ReporterError) else (
            f"{type(exc).__name__}: {clean(exc, 300)}"
        )
        try:
            warnings.warn(
                f"reporter: the training report was not written ({what}); training goes on",
                ReportWarning,
                stacklevel=3,
            )
        except Exception:  # warnings turned into errors (-W error): still never raise
            log.error("the training report was not written (%s); training goes on", what)
