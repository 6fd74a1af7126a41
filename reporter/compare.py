"""Turn several runs into a comparison: aligned metrics, winners with honest ties, findings.

Pure functions over :class:`History` and :class:`Analysis`. A difference counts only when it
is larger than the runs' own epoch-to-epoch noise (the larger of their median absolute steps);
anything smaller is a tie. Runs are aligned on the x values they share; runs on different axes
(epochs vs steps) are compared on best and final values only, and say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from reporter.analysis import Analysis, Finding, xnum
from reporter.analysis.curves import noise_scale
from reporter.analysis.series import better, final
from reporter.metrics import Direction

PREFERRED = ("macro_avg_f1", "macro", "f1", "accuracy", "acc", "auc", "iou", "wer", "loss")


@dataclass(frozen=True)
class Cell:
    """One run's numbers for one metric."""

    best: float | None
    best_x: float | int | None
    final: float | None
    diff: float | None  # best minus the reference's best (None for the reference)


@dataclass(frozen=True)
class MetricRow:
    """A metric every compared run logs: per-run cells, the winner (or a tie) and the noise."""

    name: str
    mode: Direction
    cells: tuple[Cell, ...]
    winner: int | None  # index into the runs; None = tie
    noise: float


@dataclass(frozen=True)
class Comparison:
    names: tuple[str, ...]
    analyses: tuple[Analysis, ...]
    reference: str  # "first" or "series"
    rows: tuple[MetricRow, ...]
    only_in: tuple[tuple[str, tuple[str, ...]], ...]  # metric -> runs that have it
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    axes_differ: bool = False


def compare(analyses: list[Analysis], reference: str = "first") -> Comparison:
    """Compare runs; the reference for differences is the first run (or the previous one)."""
    names = tuple(a.history.name for a in analyses)
    per_run = [set(a.bests) for a in analyses]
    everything = sorted(set().union(*[set(a.history.series) for a in analyses]))
    shared = [m for m in everything if all(m in s for s in per_run)]
    only = tuple(
        (m, tuple(n for n, a in zip(names, analyses, strict=True) if m in a.history.series))
        for m in everything
        if not all(m in a.history.series for a in analyses)
    )
    rows = []
    for name in shared:
        mode = analyses[0].bests[name].mode
        noise = max(noise_scale(a.history[name].values) for a in analyses)
        cells = []
        for i, a in enumerate(analyses):
            b = a.bests[name]
            ref = analyses[0 if reference == "first" else max(i - 1, 0)].bests[name]
            cells.append(
                Cell(
                    b.value,
                    xnum(b.epoch),
                    final(a.history[name].values),
                    None if i == 0 else b.value - ref.value,
                )
            )
        values = [float(c.best) if c.best is not None else float("nan") for c in cells]
        sign = 1.0 if mode == "min" else -1.0
        order = sorted(range(len(values)), key=lambda k: sign * values[k])
        winner: int | None = order[0]
        if len(order) > 1 and abs(values[order[0]] - values[order[1]]) <= noise:
            winner = None
        rows.append(MetricRow(name, mode, tuple(cells), winner, noise))
    axes_differ = len({a.history.axis for a in analyses}) > 1
    findings: list[Finding] = []
    pairs = (
        [(0, i) for i in range(1, len(analyses))]
        if reference == "first"
        else [(i - 1, i) for i in range(1, len(analyses))]
    )
    for i, j in pairs:
        findings.extend(pair_findings(analyses[i], analyses[j], rows, axes_differ))
    if only:
        findings.append(
            Finding(
                "metrics_missing",
                "cmp.metrics_missing",
                {
                    "count": len(only),
                    "names": ", ".join(m for m, _ in only[:8]) + (" …" if len(only) > 8 else ""),
                },
            )
        )
    return Comparison(
        names, tuple(analyses), reference, tuple(rows), only, tuple(findings), axes_differ
    )


def headline(rows: tuple[MetricRow, ...] | list[MetricRow]) -> MetricRow | None:
    """The metric a person would quote: macro F1, else accuracy-like, else validation loss."""
    vals = [r for r in rows if r.name.lower().startswith(("val_", "valid", "eval_"))] or list(rows)
    for key in PREFERRED:
        hit = [r for r in vals if key in r.name.lower().replace("-", "_")]
        if hit:
            return hit[0]
    return vals[0] if vals else None


def _windows(mask: np.ndarray[Any, Any], xs: np.ndarray[Any, Any]) -> list[str]:
    out, start = [], None
    for k, flag in enumerate([*mask.tolist(), False]):
        if flag and start is None:
            start = k
        elif not flag and start is not None:
            a, b = xnum(xs[start]), xnum(xs[k - 1])
            out.append(str(a) if a == b else f"{a}–{b}")
            start = None
    return out


def pair_findings(a: Analysis, b: Analysis, rows: Any, axes_differ: bool) -> list[Finding]:
    """What B does compared with A, in facts: leads, exceptions, convergence, stability."""
    out: list[Finding] = []
    shared = [r for r in rows]
    head = headline(shared)
    na, nb = a.history.name, b.history.name
    if head is None:
        return out
    va, vb = a.history[head.name], b.history[head.name]
    base = {"a": na, "b": nb, "metric": head.name}
    if axes_differ or va.axis != vb.axis:
        b_wins = better(b.bests[head.name].value, a.bests[head.name].value, head.mode)
        out.append(
            Finding("axes_differ", "cmp.axes_differ", dict(base, winner=nb if b_wins else na))
        )
        return out
    common, ia, ib = np.intersect1d(va.x, vb.x, return_indices=True)
    if common.size == 0:
        return out
    ya, yb = va.values[ia], vb.values[ib]
    ok = np.isfinite(ya) & np.isfinite(yb)
    tol = head.noise / 2
    b_better = ok & ((ya - yb > tol) if head.mode == "min" else (yb - ya > tol))
    a_better = ok & ((yb - ya > tol) if head.mode == "min" else (ya - yb > tol))
    n = int(ok.sum())
    lead_b, lead_a = int(b_better.sum()), int(a_better.sum())
    if lead_b == 0 and lead_a == 0:
        out.append(Finding("tie", "cmp.tie", dict(base, n=n, noise=head.noise)))
    elif max(lead_a, lead_b) < n / 2:
        out.append(
            Finding(
                "mostly_tied",
                "cmp.mostly_tied",
                dict(
                    base,
                    n=n,
                    lead_a=lead_a,
                    lead_b=lead_b,
                    ties=n - lead_a - lead_b,
                    noise=head.noise,
                ),
            )
        )
    else:
        leader, other = (nb, na) if lead_b >= lead_a else (na, nb)
        lead, mask = (lead_b, a_better) if lead_b >= lead_a else (lead_a, b_better)
        exceptions = _windows(mask, common)
        key = "cmp.leads_except" if exceptions else "cmp.leads"
        out.append(
            Finding(
                "leads",
                key,
                dict(
                    base,
                    leader=leader,
                    other=other,
                    lead=lead,
                    n=n,
                    windows=", ".join(exceptions[:3]),
                    best_a=a.bests[head.name].value,
                    best_b=b.bests[head.name].value,
                ),
            )
        )
    if len(va) != len(vb):
        out.append(
            Finding(
                "lengths_differ",
                "cmp.lengths_differ",
                dict(base, la=len(va), lb=len(vb), common=int(common.size)),
            )
        )

    # convergence: first x where each run is within 5 % of its own total improvement
    def converged(s: Any, mode: str) -> float | None:
        v = s.values
        f = np.isfinite(v)
        if f.sum() < 3:
            return None
        best = np.nanmin(v) if mode == "min" else np.nanmax(v)
        span = abs(v[f][0] - best)
        if span <= noise_scale(v):
            return None  # a flat curve has nothing to converge to
        hit = np.flatnonzero(f & (np.abs(v - best) <= 0.05 * span))
        return float(s.x[hit[0]]) if hit.size else None

    ca, cb = converged(va, head.mode), converged(vb, head.mode)
    if ca is not None and cb is not None and ca != cb:
        fast, slow = (nb, na) if cb < ca else (na, nb)
        out.append(
            Finding(
                "converges_faster",
                "cmp.converges_faster",
                dict(
                    base, fast=fast, slow=slow, fast_x=xnum(min(ca, cb)), slow_x=xnum(max(ca, cb))
                ),
            )
        )
    sa, sb = noise_scale(va.values), noise_scale(vb.values)
    if sa > 0 and sb > 0 and max(sa, sb) > 1.5 * min(sa, sb):
        steady, jumpy = (nb, na) if sb < sa else (na, nb)
        out.append(
            Finding(
                "more_stable",
                "cmp.more_stable",
                dict(base, steady=steady, jumpy=jumpy, ratio=max(sa, sb) / min(sa, sb)),
            )
        )
    oa, ob = a.overfitting, b.overfitting
    if (oa is None) != (ob is None) or (oa and ob and oa.onset_index != ob.onset_index):
        xa = xnum(a.history[a.recommendation.monitor].x[oa.onset_index]) if oa else None  # type: ignore[index]
        xb = xnum(b.history[b.recommendation.monitor].x[ob.onset_index]) if ob else None  # type: ignore[index]
        out.append(
            Finding(
                "overfitting",
                "cmp.overfitting",
                dict(base, xa="—" if xa is None else xa, xb="—" if xb is None else xb),
            )
        )
    return out
