"""No import circles in the product: a module lower in the flow never imports one above it.

Every import counts, also one inside a function (it still makes the two modules depend on each other), except those
under `if TYPE_CHECKING:`, which never run."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hfcrawl", "analysis", "hubreplay")


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _runtime_imports(tree: ast.AST):
    """Import nodes outside `if TYPE_CHECKING:` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = node.module or ""
    if node.level:
        parts = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
        base = ".".join([*parts, base] if base else parts)
    # `from pkg import mod` depends on pkg.mod; `from mod import name` on mod
    return [f"{base}.{a.name}" if _is_module(f"{base}.{a.name}") else base for a in node.names]


def import_graph() -> dict[str, set[str]]:
    """module -> the product's modules it imports."""
    graph: dict[str, set[str]] = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            module = _module_name(path)
            edges = graph.setdefault(module, set())
            for node in _runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
                for target in _targets(node, module, path.name == "__init__.py"):
                    if target.split(".")[0] in PACKAGES and target != module and _is_module(target):
                        edges.add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_product_has_no_import_circles():
    assert cycles(import_graph()) == []


def test_the_checker_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# The analysis's rooms, lowest first: a room imports only rooms below it (and itself). study and trend are side by
# side: neither imports the other. The command line (analysis.cli) sits above them all.
ROOMS = ({"common"}, {"report"}, {"inputs"}, {"versions"}, {"repos"}, {"study", "trend"})


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in set().union(*ROOMS)) else None


def _rank(room: str | None) -> int:
    return next((i for i, rooms in enumerate(ROOMS) if room in rooms), len(ROOMS))


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    """`a -> b` for every analysis module a importing b from a room not below its own."""
    found = []
    for module, targets in sorted(graph.items()):
        if not module.startswith("analysis"):
            continue
        room = _room(module)
        for target in sorted(t for t in targets if t.startswith("analysis.")):
            other = _room(target)
            if other != room and _rank(other) >= _rank(room):
                found.append(f"{module} -> {target}")
    return found


def test_each_room_of_the_analysis_imports_only_the_rooms_below_it():
    assert upward_imports(import_graph()) == []


def test_the_room_checker_finds_an_upward_import():
    graph = {"analysis.versions.detector": {"analysis.report.markdown", "analysis.study.run"},
             "analysis.study.run": {"analysis.trend.run"}, "analysis.cli": {"analysis.study.run"}}
    assert upward_imports(graph) == ["analysis.study.run -> analysis.trend.run",
                                     "analysis.versions.detector -> analysis.study.run"]


def test_the_analysis_shows_its_stages_as_folders():
    top = sorted(p.name for p in (ROOT / "analysis").glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "cli.py"]
    rooms = sorted(p.parent.name for p in (ROOT / "analysis").glob("*/__init__.py"))
    assert set(rooms) == set().union(*ROOMS)


MAX_FUNCTION_LINES = 60  # issue 22: a function reads at once


def long_functions(root: Path, packages: tuple[str, ...], limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """`path:line name (n lines)` for every function or method of the packages longer than `limit` lines."""
    found = []
    for pkg in packages:
        for path in sorted((root / pkg).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = node.end_lineno - node.lineno + 1
                    if length > limit:
                        found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_function_of_the_product_is_over_60_lines():
    assert long_functions(ROOT, PACKAGES) == []


def test_the_length_checker_finds_a_long_function(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(60))
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(f"def short():\n    pass\n\n\ndef long():\n{body}\n")
    assert long_functions(tmp_path, ("pkg",)) == ["pkg/m.py:5 long (61 lines)"]
