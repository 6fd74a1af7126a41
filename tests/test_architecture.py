"""The house rules that keep the code readable: imports go one way, with no cycle among
``reporter``'s modules, counting the imports hidden inside functions."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "reporter"


def module_name(path: Path, root: Path = PACKAGE.parent) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(
    path: Path, modules: dict[str, Path] = MODULES, root: Path = PACKAGE.parent
) -> set[str]:
    """Every ``reporter`` module this file imports, anywhere in it (functions included)."""
    found: set[str] = set()
    here = module_name(path, root)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("reporter")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            if not base.startswith("reporter"):
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules else base)
    return {m for m in found if m in modules and m != here}


GRAPH = {name: imports(path) for name, path in MODULES.items()}


def cycles() -> list[list[str]]:
    """Each strongly connected group of modules larger than one (Tarjan), as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles() -> None:
    assert cycles() == []


def test_the_core_does_not_reach_out() -> None:
    """history and analysis import no rendering, export or rim module; analysis no reader."""
    rim = ("reporter.render", "reporter.plots", "reporter.figures", "reporter.drawing",
           "reporter.export", "reporter.engine", "reporter.pipeline", "reporter.cli",
           "reporter.batch", "reporter.summary")  # fmt: skip
    for name, deps in GRAPH.items():
        if name.startswith(("reporter.history", "reporter.analysis", "reporter.metrics")):
            assert not [d for d in deps if d.startswith(rim)], name
        if name.startswith("reporter.analysis"):
            readers = [
                d
                for d in deps
                if d.startswith("reporter.history.") and d != "reporter.history.model"
            ]
            assert readers == [], name


def test_the_report_path_imports_matplotlib_only_to_draw() -> None:
    """The PDF engine lays a page out while this process draws (reporter.engine): importing
    the way from the command line to the page's HTML loads neither matplotlib nor WeasyPrint
    (each is imported where it is used: the drawing, the engine)."""
    script = (
        "import sys, reporter.cli, reporter.api, reporter.pipeline, reporter.engine;"
        "print(sorted(m for m in ('matplotlib', 'weasyprint') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(PACKAGE.parent)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert loaded == "[]"


def test_the_checker_sees_a_cycle_hidden_in_a_function(tmp_path: Path) -> None:
    a = tmp_path / "reporter" / "a.py"
    a.parent.mkdir()
    a.write_text("def f():\n    if True:\n        from reporter import b\n", "utf-8")
    modules = {"reporter.a": a, "reporter.b": a}
    assert imports(a, modules, tmp_path) == {"reporter.b"}
