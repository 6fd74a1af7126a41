"""Turn the manifest of a batch run into ``OUT/index.html`` and ``OUT/index.pdf``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

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
    error: str | None = None
    link: str | None = None
    monitor: str | None = None
    best: float | None = None
    stop: Any = None
    keep: Any = None
    confidence: Text | None = None


def rows_from(entries: dict[str, dict[str, Any]], skipped: list[str]) -> list[Row]:
    t = messages()
    rows: list[Row] = []
    for rel, entry in sorted(entries.items()):
        name, source = short(Path(rel).name, 80), short(rel, 120)
        if entry.get("status") != "ok":
            rows.append(
                Row(
                    name,
                    source,
                    "failed",
                    t("index.failed"),
                    error=short(entry.get("error") or "", 200),
                )
            )
            continue
        for run in entry.get("runs", []):
            monitored = run.get("monitor")
            rows.append(
                Row(
                    short(run["folder"], 80),
                    source,
                    "ok",
                    t("index.ok"),
                    # the manifest's folder names were checked on load; quoting keeps even a
                    # checked name a relative path, never a scheme or a second attribute
                    link=f"{quote(run['folder'])}/report.pdf",
                    monitor=monitored,
                    best=run.get("best"),
                    stop=run.get("stop"),
                    keep=run.get("keep"),
                    confidence=t(f"confidence.{run.get('confidence', 'high')}")
                    if monitored
                    else None,
                )
            )
    rows.extend(
        Row(short(Path(rel).name, 80), short(rel, 120), "skipped", t("index.skipped"))
        for rel in skipped
    )
    return rows


def write_index(
    out: Path,
    source: str,
    entries: dict[str, dict[str, Any]],
    skipped: list[str],
    error: str | None = None,
) -> None:
    """Write ``index.html`` (fonts embedded, readable in any browser) and ``index.pdf``."""
    t = messages()
    rows = rows_from(entries, skipped)
    if error:
        rows.append(
            Row("(batch)", short(source, 120), "failed", t("index.failed"), short(error, 200))
        )
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
