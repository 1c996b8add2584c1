"""How deep the package's internal imports stack: the longest chain of modules importing modules.

    python scripts/import_depth.py            # depth, the longest chain, and who imports each module
    python scripts/import_depth.py --json

Reads ``src/assistant`` with ``ast`` (nothing is imported or run). Every ``import`` of a module
of the package counts, at module level or inside a function (a lazy import is still a
dependency); imports under ``if TYPE_CHECKING:`` do not. The depth is the number of modules in
the longest import chain, counted in floors: a module importing nothing of ours is floor 1. A
cycle is reported and broken where it closes.
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "assistant"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def imports_of(path: Path, modules: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    skip = _type_checking_lines(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != here and name != PACKAGE:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    paths = sorted((ROOT / PACKAGE).rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports_of(p, modules) for p in paths}


STAGES = ("ingest", "store", "retrieve", "answer")


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def sideways(g: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Imports from one stage into another (a stage is handed such things by pipeline.py)."""
    return sorted((m, d) for m, deps in g.items() for d in deps
                  if stage_of(m) and stage_of(d) and stage_of(m) != stage_of(d))


def depths(g: dict[str, set[str]]) -> tuple[dict[str, int], dict[str, list[str]], list[tuple[str, str]]]:
    cycles: list[tuple[str, str]] = []
    visiting: set[str] = set()

    @cache
    def chain(m: str) -> tuple[str, ...]:
        visiting.add(m)
        best: tuple[str, ...] = ()
        for dep in sorted(g.get(m, ())):
            if dep in visiting:
                cycles.append((m, dep))
                continue
            c = chain(dep)
            if len(c) > len(best):
                best = c
        visiting.discard(m)
        return (m, *best)

    chains = {m: list(chain(m)) for m in g}
    return {m: len(c) for m, c in chains.items()}, chains, cycles


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    g = graph()
    depth, chains, cycles = depths(g)
    top = max(depth, key=lambda m: (depth[m], m))
    lines = sum(len((ROOT / (m.replace(".", "/"))).with_suffix(".py").read_text().splitlines())
                if (ROOT / (m.replace(".", "/"))).with_suffix(".py").exists() else 0 for m in g)
    if args.json:
        json.dump({"depth": depth[top], "chain": chains[top], "modules": len(g), "lines": lines,
                   "cycles": cycles, "sideways": sideways(g), "imports": {m: sorted(d) for m, d in g.items()}}, sys.stdout, indent=1)
        return
    print(f"{len(g)} modules, {lines:,} lines; import depth {depth[top]} floors")
    print("longest chain: " + " -> ".join(c.removeprefix(PACKAGE + ".") for c in chains[top]))
    side = sideways(g)
    print("stage-to-stage imports: " + (", ".join(f"{a} -> {b}" for a, b in side) if side else "none"))
    if cycles:
        print("cycles: " + ", ".join(f"{a} -> {b}" for a, b in sorted(set(cycles))))
    importers: dict[str, int] = {m: 0 for m in g}
    for deps in g.values():
        for d in deps:
            importers[d] = importers.get(d, 0) + 1
    print("most imported: " + ", ".join(f"{m.removeprefix(PACKAGE + '.')} ({n})"
                                        for m, n in sorted(importers.items(), key=lambda x: -x[1])[:6]))


if __name__ == "__main__":
    main()
