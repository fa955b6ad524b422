"""The house as docs/architecture.md draws it: each package imports only its own layer or lower
ones, no module imports another package's private name, no module is over 300 lines, and every
module imports on its own in a fresh interpreter.

Imports are read from the source with `ast`, every one of them: at the top, inside a function
(a slow import put off is still a dependency) and under TYPE_CHECKING (a reader follows it)."""

from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "stedi"
MAX_LINES = 300

# The layers, from the ground up (docs/architecture.md draws them). A name is a package or a
# module directly under stedi/; "aws.session" is a module of a package placed apart from it.
LAYERS: list[set[str]] = [
    {"errors", "config", "interrupts", "locations", "hints"},
    {"storage", "aws"},
    {"store", "lake"},
    {"commit"},
    {"landing", "models", "audits", "ddl", "generate"},
    {"engines"},
    {"pipeline", "forget", "maintain", "reader", "query", "read_only", "time_travel", "table", "table_filter",
     "provenance", "connection", "split", "runs"},
    {"report"},
    {"lakehouse", "stedi"},
    {"cli", "jobs", "deploy", "__main__"},
]
LAYER_OF = {name: level for level, names in enumerate(LAYERS) for name in names}


@dataclass(frozen=True)
class Import:
    importer: str  # stedi.pipeline.run
    imported: str  # stedi.commit.journal (a module or a package)
    names: tuple[str, ...]  # what `from ... import` takes from it
    line: int


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


ALL = modules()
KNOWN = set(ALL)


def imports_of(name: str, path: Path) -> list[Import]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [Import(name, a.name, (), node.lineno) for a in node.names if a.name.split(".")[0] == "stedi"]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            if base.split(".")[0] != "stedi":
                continue
            # `from stedi import read_only` imports a module; `from stedi.x import name`, names of x.
            modules_named = [a.name for a in node.names if f"{base}.{a.name}" in KNOWN]
            found += [Import(name, f"{base}.{m}", (), node.lineno) for m in modules_named]
            names = tuple(a.name for a in node.names if a.name not in modules_named)
            if names:
                found.append(Import(name, base, names, node.lineno))
    return found


def room(module: str) -> str:
    """The name a module's layer is looked up by: its package under stedi/, or itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "stedi"


IMPORTS = [i for name, path in ALL.items() for i in imports_of(name, path)]


def test_every_package_has_a_layer() -> None:
    assert sorted({room(m) for m in ALL} - set(LAYER_OF)) == []


def test_no_package_imports_a_higher_layer() -> None:
    upward = [f"{ALL[i.importer].relative_to(PACKAGE.parent)}:{i.line} imports {i.imported} "
              f"(layer {LAYER_OF[room(i.imported)]} above {LAYER_OF[room(i.importer)]})"
              for i in IMPORTS if LAYER_OF[room(i.imported)] > LAYER_OF[room(i.importer)]]
    assert upward == []


def test_no_module_takes_another_packages_private_name() -> None:
    private = [f"{ALL[i.importer].relative_to(PACKAGE.parent)}:{i.line} takes {i.imported}.{n}"
               for i in IMPORTS if room(i.imported) != room(i.importer)
               for n in i.names if n.startswith("_") and not n.startswith("__")]
    assert private == []


def test_packages_import_each_other_without_cycles() -> None:
    graph: dict[str, set[str]] = {}
    for i in IMPORTS:
        if room(i.imported) != room(i.importer):
            graph.setdefault(room(i.importer), set()).add(room(i.imported))
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in seen:
                seen.add(nxt)
                visit(nxt, path + [nxt])

    seen: set[str] = set()
    for start in sorted(graph):
        if start not in seen:
            seen.add(start)
            visit(start, [start])
    assert cycles == []


def test_no_module_is_over_300_lines() -> None:
    long = {str(p.relative_to(PACKAGE.parent)): n for p in ALL.values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_every_module_imports_in_a_fresh_interpreter() -> None:
    """Every module, in one new interpreter: a module that cannot be imported (a cycle among
    its top-level imports, a name moved away) fails here, whichever test would not reach it."""
    script = ("import importlib, sys, traceback\n"
              f"for name in {sorted(set(ALL) - {'stedi.__main__'})!r}:\n"  # that one runs the CLI
              "    try:\n"
              "        importlib.import_module(name)\n"
              "    except Exception as e:\n"
              "        print(f'{name}: {type(e).__name__}: {e}')\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert (out.stdout.strip(), out.returncode) == ("", 0), out.stderr[-2000:]
