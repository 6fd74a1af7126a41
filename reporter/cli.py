"""Turn command-line words into library calls, messages and exit codes.

The only module that prints, exits or configures logging. Heavy imports
(matplotlib, WeasyPrint) happen inside the commands, so ``--help`` is instant.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import click

from reporter.config import LANGS, Options, outputs
from reporter.errors import ConfigError, ReporterError, clean
from reporter.i18n import messages

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _directions(values: Sequence[str]) -> dict[str, Literal["min", "max"]]:
    out: dict[str, Literal["min", "max"]] = {}
    for item in values:
        name, sep, direction = item.rpartition("=")
        if not sep or not name or direction not in ("min", "max"):
            raise click.BadParameter(
                f"{item!r}: expected NAME=min or NAME=max", param_hint="--direction"
            )
        out[name] = "min" if direction == "min" else "max"
    return out


def _labels(path: Path | None) -> tuple[str, ...]:
    if path is None:
        return ()
    try:
        text = path.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.BadParameter(f"{clean(path)}: {exc}", param_hint="--labels") from None
    return tuple(clean(line.strip(), 80) for line in text.splitlines()[:100_000])


class _FormatOption(click.Option):
    """``--format``: its help lists the registry's readers, built only when help is shown (the
    registry imports every reader, and ``report`` forks its PDF engine before that)."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        from reporter.history import format_help  # the reader registry (numpy)

        self.help = "Reader to use instead of sniffing the content: " + format_help() + "."
        return super().get_help_record(ctx)


def _default_inputs() -> list[Path]:
    from reporter import history  # the reader registry (numpy)

    folder = Path("histories")
    if not folder.is_dir():
        raise click.UsageError("no PATH given and there is no histories/ folder here")
    files = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and history.is_history_file(p)
    )
    if not files:
        raise click.UsageError("no PATH given and histories/ holds no history files")
    return files


def analysis_options(f: Any) -> Any:
    """The options every analysing command shares."""
    decorators = [
        click.option(
            "--monitor",
            help="Series to monitor for early stopping "
            "[default: val_loss, else another validation loss].",
        ),
        click.option(
            "--mode",
            type=click.Choice(["auto", "min", "max"]),
            default="auto",
            show_default=True,
            help="Keras EarlyStopping mode.",
        ),
        click.option(
            "--patience",
            type=click.IntRange(min=0),
            help="Epochs without improvement before stopping [default: 10% of the run, 3 to 10].",
        ),
        click.option(
            "--min-delta",
            type=float,
            default=0.0,
            show_default=True,
            help="Smallest change that counts as an improvement.",
        ),
        click.option("--baseline", type=float, help="Keras EarlyStopping baseline."),
        click.option(
            "--start-from-epoch",
            type=click.IntRange(min=0),
            default=0,
            show_default=True,
            help="Epochs to wait before monitoring.",
        ),
        click.option(
            "--direction",
            "directions",
            multiple=True,
            metavar="NAME=min|max",
            help="Say whether a metric goes down (min) or up (max); repeatable.",
        ),
        click.option(
            "--lang",
            type=click.Choice(LANGS),
            default="both",
            show_default=True,
            help="Report language: both (Korean first), ko or en.",
        ),
        click.option(
            "--format",
            "fmt",
            metavar="NAME",
            cls=_FormatOption,
        ),
        click.option(
            "--run",
            metavar="WHICH",
            help="Where a source holds several runs: all, last, a number (1 = first), "
            "or an MLflow run id or name [default: CSV logs the last, stores all].",
        ),
        click.option(
            "--labels",
            "labels_file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help="Class names, one per line (line 1 = class 0), for per-class figures and tables.",
        ),
        click.option(
            "--to",
            "to",
            metavar="OUTPUTS",
            default="pdf",
            show_default=True,
            help="What to write, comma-separated: pdf (PDF/A-3, tagged, with summary.json and "
            "the source attached), html (one self-contained page); summary.json always.",
        ),
        click.option(
            "--no-attach-source",
            "no_attach_source",
            is_flag=True,
            help="Do not attach the source history to the PDF (page 1 says so).",
        ),
        click.option(
            "--max-bytes",
            type=click.IntRange(min=1),
            default=64 * 1024 * 1024,
            show_default=True,
            help="Refuse history files larger than this.",
        ),
    ]
    for decorator in reversed(decorators):
        f = decorator(f)
    return f


def _options(kw: dict[str, Any]) -> Options:
    try:
        return Options(
            monitor=kw["monitor"],
            mode=kw["mode"],
            patience=kw["patience"],
            min_delta=kw["min_delta"],
            baseline=kw["baseline"],
            start_from_epoch=kw["start_from_epoch"],
            lang=kw["lang"],
            directions=_directions(kw["directions"]),
            fmt=kw["fmt"],
            run=kw["run"],
            class_labels=_labels(kw["labels_file"]),
            max_bytes=kw["max_bytes"],
            to=outputs(kw["to"]),
            attach_source=not kw["no_attach_source"],
        )
    except ConfigError as exc:
        raise click.UsageError(exc.message) from None


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{record.levelname.lower()}: {clean(record.getMessage(), 500)}"


def _setup_logging(quiet: bool, debug: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    root = logging.getLogger("reporter")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.ERROR if quiet else logging.WARNING)
    root.propagate = False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="reporter")
def main() -> None:
    """Turn machine-learning training histories into bilingual (Korean/English) PDF reports."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Output folder; each run gets OUT/<run>/.",
)
@analysis_options
@click.option("-q", "--quiet", is_flag=True, help="Print errors only.")
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
def report(paths: tuple[Path, ...], out: Path, quiet: bool, debug: bool, **kw: Any) -> None:
    """Write OUT/<run>/report.pdf and summary.json for each history PATH.

    Without PATH, every history file in ./histories is reported.
    """
    _setup_logging(quiet, debug)
    options = _options(kw)
    from reporter import engine

    # forked before numpy (the readers) and matplotlib are imported: WeasyPrint loads in the
    # engine meanwhile, and the engine lays each report's pages out while this process draws
    with engine.running("pdf" in options.to):
        inputs = list(paths) or _default_inputs()
        failed = _report_all(inputs, options, out, quiet, debug)
    sys.exit(EXIT_FAILED if failed else EXIT_OK)


def _report_all(inputs: list[Path], options: Options, out: Path, quiet: bool, debug: bool) -> int:
    """Report every input; the number that failed."""
    from reporter.api import report_with  # the library call (matplotlib, WeasyPrint inside)

    failed = 0
    taken: set[str] = set()
    for path in inputs:
        try:
            for result in report_with(path, options, out, taken=taken):
                for w in result.notes:
                    click.echo(
                        f"warning: {clean(path)}: {clean(messages()(w.key, **w.params).en, 300)}",
                        err=True,
                    )
                if not quiet:
                    click.echo(f"{clean(path)} -> {clean(result.pdf)} ({result.pages} pages)")
        except ReporterError as exc:
            failed += 1
            where = exc.one_line() if exc.path else f"{clean(path)}: {exc.one_line()}"
            click.echo(f"error: {where}", err=True)
        except Exception as exc:  # a bug: one line unless --debug, and keep going
            if debug:
                raise
            failed += 1
            click.echo(
                f"error: {clean(path)}: internal error ({type(exc).__name__}: "
                f"{clean(exc, 200)}); rerun with --debug for details",
                err=True,
            )
    return failed


@main.command()
@click.argument("source", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Output folder: OUT/<run>/report.pdf, OUT/index.html, OUT/index.pdf.",
)
@analysis_options
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Worker processes [default: the number of CPUs].",
)
@click.option("--force", is_flag=True, help="Render every source again, changed or not.")
@click.option(
    "--item-timeout",
    type=click.FloatRange(min=0.1),
    default=600.0,
    show_default=True,
    help="Seconds one source may take before its worker is killed.",
)
@click.option(
    "--item-memory",
    type=click.IntRange(min=64),
    default=4096,
    show_default=True,
    help="Address-space limit of a worker, in MiB.",
)
@click.option(
    "--settle",
    type=click.FloatRange(min=0),
    default=2.0,
    show_default=True,
    help="Skip files modified less than this many seconds ago (still being written).",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Run the work here or on a Dask cluster.",
)
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler address (tcp://host:8786).")
@click.option("-q", "--quiet", is_flag=True, help="Print errors only (for cron).")
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
def batch(
    source: Path,
    out: Path,
    jobs: int | None,
    force: bool,
    item_timeout: float,
    item_memory: int,
    settle: float,
    executor: str,
    scheduler: str | None,
    quiet: bool,
    debug: bool,
    **kw: Any,
) -> None:
    """Report every new or changed history under SOURCE into OUT, one run at a time.

    Exit codes: 0 all ok, 1 some sources failed, 2 usage, 70 internal error,
    73 OUT not writable, 75 another run holds OUT's lock, 130/143 interrupted.
    """
    _setup_logging(quiet, debug)
    options = _options(kw)
    from reporter import engine

    # the index's PDF comes from an engine forked now, before numpy's threads start: it loads
    # WeasyPrint while the workers (each with an engine of its own) render the reports
    if engine.start():
        click.get_current_context().call_on_close(engine.stop)
    from reporter.batch import run_batch  # heavy: worker pool, the readers

    printed: set[str] = set()
    bar = None
    if not quiet and sys.stderr.isatty():
        from tqdm import tqdm  # only on a terminal

        bar = tqdm(unit="history", file=sys.stderr, dynamic_ncols=True)

    def progress(rel: str, result: Any, done: int, total: int) -> None:
        if bar is not None:
            bar.total = total
            bar.update(1)
            bar.set_postfix_str(clean(rel, 40))
        if result is not None and result.status != "ok":
            printed.add(rel)
            click.echo(f"error: {clean(rel)}: {clean(result.error, 400)}", err=True)
        elif not quiet and bar is None:
            click.echo(f"[{done}/{total}] ok {clean(rel)} ({result.seconds:.1f}s)")

    try:
        result = run_batch(
            source,
            out,
            options,
            jobs=jobs,
            force=force,
            item_timeout=item_timeout,
            item_memory_mb=item_memory,
            executor=executor,
            scheduler=scheduler,
            settle=settle,
            progress=progress,
        )
    except ReporterError as exc:
        click.echo(f"error: {exc.one_line()}", err=True)
        sys.exit(exc.exit_code)
    finally:
        if bar is not None:
            bar.close()
    for rel, reason in result.failed:
        if rel not in printed:
            again = " (unchanged since the last run)" if rel in result.repeated else ""
            click.echo(f"error: {clean(rel)}: {clean(reason, 400)}{again}", err=True)
    if result.internal_error:
        click.echo(
            f"error: {clean(result.internal_error, 500)}; the run stopped"
            + ("; rerun with --debug for details" if not debug else ""),
            err=True,
        )
    if not quiet:
        state = (
            "interrupted" if result.interrupted else "stopped" if result.internal_error else "done"
        )
        click.echo(
            f"{state}: {result.rendered} rendered, {result.unchanged} unchanged, "
            f"{len(result.failed)} failed, {len(result.skipped)} skipped "
            f"in {result.seconds:.1f}s -> {clean(out)}/index.pdf"
        )
    sys.exit(result.exit_code)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--out",
    type=click.Path(path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Output folder; the comparison goes to OUT/<name>/.",
)
@click.option(
    "--series",
    is_flag=True,
    help="Compare each run with the one before it (experiments 0 -> 1 -> 2 ...).",
)
@click.option("--name", help="Name of the comparison folder.")
@analysis_options
@click.option("--debug", is_flag=True, help="Show tracebacks for unexpected errors.")
def compare(
    paths: tuple[Path, ...], out: Path, series: bool, name: str | None, debug: bool, **kw: Any
) -> None:
    """Compare two or more runs: one bilingual PDF and comparison.json."""
    _setup_logging(False, debug)
    options = _options(kw)
    from reporter.api import compare_with  # the library call (matplotlib, WeasyPrint inside)

    try:
        folder = compare_with(list(paths), options, out, series=series, name=name).folder
    except ReporterError as exc:
        click.echo(f"error: {exc.one_line()}", err=True)
        sys.exit(EXIT_FAILED)
    shown = "comparison.pdf" if "pdf" in options.to else "comparison.json"
    click.echo(f"{clean(folder)}/{shown}")


def run() -> None:
    """The ``reporter`` program: :func:`main`, then a quick exit.

    When a command returns, every file it wrote is closed and in place; what the interpreter
    would still do is free each of the million objects numpy, matplotlib and WeasyPrint
    loaded, one by one (0.05–0.09 s, as long as the PDF engine takes to paint the figures).
    The cleanup handlers still run (``atexit``: temp folders, logging), stdout and stderr are
    flushed, then the process ends. With another thread alive the exit is the usual one."""
    try:
        main(prog_name="reporter")
        code: int = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:  # sys.exit("message"): printed, as Python does
            print(exc.code, file=sys.stderr)
            code = 1
    import threading

    if threading.active_count() > 1 or not hasattr(atexit, "_run_exitfuncs"):
        sys.exit(code)
    atexit._run_exitfuncs()  # logging's own shutdown among them
    for stream in (sys.stdout, sys.stderr):
        # a closed pipe (`reporter … | head`): nothing left to save
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
