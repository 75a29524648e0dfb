"""The package's modules import each other without cycles.

Two graphs are read from the source with ``ast`` (nothing is imported or executed):

* the dependency graph: every ``import`` anywhere in a module, function-local ones included (a late import
  only hides a cycle), from module to module;
* the import-time graph: module-level imports only, plus what Python runs on the way: importing
  ``ganforge.train.checkpoint`` first runs ``ganforge/train/__init__.py`` (unless ``ganforge.train`` is a
  package of the importing module, already running). A cycle there fails with "partially initialized module"
  depending on which module is imported first.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "ganforge"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _bound_names(tree: ast.Module) -> set[str]:
    """Names a module binds at top level (defs, classes, assignments, imports)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


class _Source:
    def __init__(self) -> None:
        files = {_module_name(p): p for p in (SRC / PACKAGE).rglob("*.py")}
        self.trees = {name: ast.parse(path.read_text(), filename=str(path)) for name, path in files.items()}
        self.packages = {name for name, path in files.items() if path.name == "__init__.py"}
        self.bound = {name: _bound_names(self.trees[name]) for name in self.packages}

    def targets(self, module: str, node: ast.Import | ast.ImportFrom) -> list[tuple[str, bool]]:
        """``(imported name, is a module)`` for one import statement of ``module`` (this package only)."""
        if isinstance(node, ast.Import):
            return [(a.name, True) for a in node.names]
        base = node.module or ""
        if node.level:
            anchor = (module if module in self.packages else module.rpartition(".")[0]).split(".")
            base = ".".join(anchor[:len(anchor) - (node.level - 1)] + ([base] if base else []))
        out = []
        for alias in node.names:
            sub = f"{base}.{alias.name}"
            if sub in self.trees:
                out.append((sub, True))
            elif base in self.packages and alias.name not in self.bound[base]:
                out.append((base, True))  # a submodule that is not Python source (the compiled _sortdiff)
            else:
                out.append((base, False))  # an attribute: the module (a package's __init__) must have run
        return [(name, is_module) for name, is_module in out if name.split(".")[0] == PACKAGE]

    def _nodes(self, module: str, module_level: bool):
        tree = self.trees[module]
        if not module_level:
            yield from (n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)))
            return
        todo = list(tree.body)
        while todo:  # module level includes the bodies of top-level if/try blocks, not of defs or classes
            node = todo.pop()
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                yield node
            elif isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
                todo += node.body + node.orelse
            elif isinstance(node, ast.Try):
                todo += node.body + node.orelse + node.finalbody + [n for h in node.handlers for n in h.body]

    def dependency_graph(self) -> dict[str, set[str]]:
        graph: dict[str, set[str]] = {name: set() for name in self.trees}
        for module in self.trees:
            for node in self._nodes(module, module_level=False):
                for name, _ in self.targets(module, node):
                    if name in self.trees and name != module and not (module.startswith(name + ".")):
                        graph[module].add(name)
        return graph

    def import_time_graph(self) -> dict[str, set[str]]:
        graph: dict[str, set[str]] = {name: set() for name in self.trees}
        for module in self.trees:
            ancestors = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
            for node in self._nodes(module, module_level=True):
                for name, is_module in self.targets(module, node):
                    parts = name.split(".")
                    chain = {".".join(parts[:i]) for i in range(1, len(parts) + 1)} - ancestors
                    if not is_module:
                        chain.add(name)  # ``from pkg import attr`` needs pkg's __init__ run, even an ancestor's
                    graph[module].update(m for m in chain if m in self.trees and m != module)
        return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def push(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)

    for root in sorted(graph):
        if root in index:
            continue
        push(root)
        work = [(root, iter(sorted(graph[root])))]
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    push(child)
                    work.append((child, iter(sorted(graph[child]))))
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
                    components.append(sorted(component))
    return components


def _describe(cycles: list[list[str]], graph: dict[str, set[str]]) -> str:
    return "\n".join(" | ".join(f"{m} -> {sorted(graph[m] & set(c))}" for m in c) for c in cycles)


def test_graphs_are_read():
    source = _Source()
    deps, runtime = source.dependency_graph(), source.import_time_graph()
    assert "ganforge.inference.generate" in deps["ganforge.inference"]
    assert "ganforge.utils.seeds" in deps["ganforge.inference.generate"]
    # function-local imports count in the dependency graph only
    assert "ganforge.train.checkpoint" in deps["ganforge.inference.open"]
    assert "ganforge.train.checkpoint" not in runtime["ganforge.inference.open"]
    # importing a submodule runs the __init__ of its packages, except those of the importing module
    assert {"ganforge.inference", "ganforge.inference.open"} <= runtime["ganforge.train.transfer"]
    assert "ganforge.metrics" not in runtime["ganforge.metrics.ppl"]


def test_find_cycles_sees_a_cycle():
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    graph = _Source().dependency_graph()
    cycles = find_cycles(graph)
    assert cycles == [], "import cycles:\n" + _describe(cycles, graph)


def test_no_import_time_cycles():
    graph = _Source().import_time_graph()
    cycles = find_cycles(graph)
    assert cycles == [], "import-time cycles (through package __init__ files):\n" + _describe(cycles, graph)


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in graph[todo.pop()] - seen:
            seen.add(nxt)
            todo.append(nxt)
    return seen


def test_compat_reads_data_without_inference_or_training():
    """Readers of foreign files return data: nothing in compat/ reaches inference/ or train/, even late."""
    graph = _Source().dependency_graph()
    for module in (m for m in graph if m == "ganforge.compat" or m.startswith("ganforge.compat.")):
        above = sorted(m for m in _reachable(graph, module) if m.startswith(("ganforge.inference", "ganforge.train")))
        assert above == [], f"{module} reaches {above}"
