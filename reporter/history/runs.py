"""Turn a reader's list of runs into the ones the user asked for (``--run``)."""

from __future__ import annotations

from collections.abc import Sequence

from reporter.errors import HistoryError
from reporter.history.model import History

# The same caps for every reader, whether a file is given alone or found in a folder: a
# source holding more runs or metrics than a report can show is read up to the cap and
# says how much it left out, so memory and time stay bounded by the cap, not the input.
MAX_RUNS = 500
MAX_METRICS = 10_000


def select(
    runs: Sequence[History],
    run: str | None,
    path: str,
    default: str = "all",
    ids: Sequence[str] | None = None,
) -> list[History]:
    """Pick runs by ``run``: ``None`` → ``default`` (``all`` or ``last``), ``all``, ``last``,
    a 1-based number, or a run id / name (unique prefix of an id, or an exact name)."""
    if not runs:
        raise HistoryError("no metrics found", path=path, hint="the file holds no runs")
    choice = run if run is not None else default
    if choice == "all":
        return list(runs)
    if choice == "last":
        return [runs[-1]]
    if choice.isdigit():
        k = int(choice)
        if not 1 <= k <= len(runs):
            raise HistoryError(
                f"--run {k}: the file holds {len(runs)} run(s)",
                path=path,
                hint=f"pass a number from 1 to {len(runs)}, last or all",
            )
        return [runs[k - 1]]
    ids = list(ids) if ids is not None else [r.name for r in runs]
    hits = [
        r
        for r, i in zip(runs, ids, strict=True)
        if i.startswith(choice) or r.name == choice or r.info.get("run_name") == choice
    ]
    if len(hits) == 1:
        return hits
    listing = "; ".join(
        f"{i[:8]} {r.info.get('run_name', r.name)}" for r, i in zip(runs, ids, strict=True)
    )
    if not hits:
        raise HistoryError(
            f"no run matches {choice!r} (runs: {listing})",
            path=path,
            hint="pass a run id, a name, a number, last or all",
        )
    raise HistoryError(
        f"{choice!r} matches {len(hits)} runs (runs: {listing})", path=path, hint="pass a run id"
    )
