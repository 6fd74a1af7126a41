"""Turn the manifest of a batch run into ``OUT/index.html`` and ``OUT/index.pdf``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reporter.assets import templates_dir
from reporter.export import atomic_write, html_to_pdf
from reporter.i18n import Text, messages
from reporter.render import environment, short


@dataclass
class Row:
    name: str
    source: str
    status: str
    status_text: Text
    error: str | None
    link: str | None
    monitor: str | None
    best: float | None
    stop: Any
    keep: Any
    confidence: Text | None


def rows_from(entries: dict[str, dict[str, Any]], skipped: list[str]) -> list[Row]:
    t = messages()
    rows: list[Row] = []
    for rel, entry in sorted(entries.items()):
        if entry.get("status") == "ok":
            for run in entry.get("runs", []):
                rows.append(
                    Row(
                        short(run["folder"], 80),
                        short(rel, 120),
                        "ok",
                        t("index.ok"),
                        None,
                        f"{run['folder']}/report.pdf",
                        run.get("monitor"),
                        run.get("best"),
                        run.get("stop"),
                        run.get("keep"),
                        t(f"confidence.{run.get('confidence', 'high')}")
                        if run.get("monitor")
                        else None,
                    )
                )
        else:
            rows.append(
                Row(
                    short(Path(rel).name, 80),
                    short(rel, 120),
                    "failed",
                    t("index.failed"),
                    short(entry.get("error") or "", 200),
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                )
            )
    for rel in skipped:
        rows.append(
            Row(
                short(Path(rel).name, 80),
                short(rel, 120),
                "skipped",
                t("index.skipped"),
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            )
        )
    return rows


def write_index(
    out: Path, source: str, entries: dict[str, dict[str, Any]], skipped: list[str]
) -> None:
    t = messages()
    rows = rows_from(entries, skipped)
    ok = sum(1 for r in rows if r.status == "ok")
    failed = sum(1 for r in rows if r.status == "failed")
    summary = t("index.summary", ok=ok, failed=failed, skipped=len(skipped))
    template = environment().get_template("index.html.j2")
    css = (templates_dir() / "report.css").read_text("utf-8")
    context = {
        "t": t,
        "lang": "both",
        "rows": rows,
        "source": short(source, 200),
        "summary": summary,
        "css": css,
    }
    html_file = template.render(embed_css=True, **context)
    atomic_write(out / "index.html", html_file.encode("utf-8"))
    pdf = html_to_pdf(template.render(embed_css=False, **context), {})
    atomic_write(out / "index.pdf", pdf.data)
