"""The shape of app/: the import rules of docs/architecture.md, checked on the source (AST and import graph).

A domain is a package directly under app/ other than app/core (shared infrastructure). A domain may import
``app.core.*``, its own modules, and of another domain only ``api``, ``schemas`` or ``models`` (a domain's
``seed`` module may also import other domains' ``seed`` modules: demo data composes them). Private names
(``_x``) never cross a domain. The top-level modules (app/main.py, app/cli.py, app/worker.py, app/wiring.py,
app/models_registry.py) are the composition roots: they may import anything, and no domain imports them.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

APP = Path(__file__).resolve().parents[2] / "app"
PUBLIC_MODULES = frozenset({"api", "schemas", "models"})
# Domains that come after complaints in the event flow: they use app.complaints.api and subscribe to
# ComplaintChanged; complaints never imports them (the later ones may not exist yet on this branch).
LATER_THAN_COMPLAINTS = frozenset({"sla", "trustfund", "ledger", "hotline", "volunteers", "merchants"})
MAX_LINES = 600


def _modules() -> list[tuple[Path, tuple[str, ...]]]:
    return [(f, f.relative_to(APP).with_suffix("").parts) for f in sorted(APP.rglob("*.py"))]


def _imports(tree: ast.AST) -> list[tuple[int, list[str], list[str]]]:
    """(line, imported module path, names imported from it) for every absolute ``app.`` import, also the
    ones inside functions (hidden imports are how cycles used to be papered over)."""
    found: list[tuple[int, list[str], list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.startswith("app."):
            parts = node.module.split(".")
            if len(parts) == 2:  # ``from app.org import api``: the names are modules
                found += [(node.lineno, [*parts, a.name], []) for a in node.names]
            else:
                found.append((node.lineno, parts, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name.split("."), []) for a in node.names if a.name.startswith("app.")]
    return found


def _violations() -> list[str]:
    bad: list[str] = []
    for path, parts in _modules():
        if len(parts) < 2 or parts[0] == "core":
            continue
        domain, where = parts[0], f"app/{'/'.join(parts)}.py"
        for line, target, names in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if len(target) == 2 and target[1] not in ("core",):
                bad.append(f"{where}:{line} imports the composition root {'.'.join(target)}")
                continue
            other = target[1]
            if other in (domain, "core"):
                continue
            module = target[-1]
            seed_to_seed = parts[-1] == "seed" and module == "seed"
            if module not in PUBLIC_MODULES and not seed_to_seed:
                bad.append(f"{where}:{line} imports {'.'.join(target)}: use app.{other}.api/schemas/models")
            private = [n for n in names if n.startswith("_")]
            if private:
                bad.append(f"{where}:{line} imports private {private} from {'.'.join(target)}")
            if domain == "complaints" and other in LATER_THAN_COMPLAINTS:
                bad.append(f"{where}:{line} complaints imports the later domain {other}: subscribe instead")
    return bad


def test_domains_use_only_api_schemas_models_of_each_other() -> None:
    assert _violations() == []


def test_the_rule_catches_a_private_import(tmp_path: Path) -> None:
    # The walk itself: a private name and a service module of another domain are both reported.
    tree = ast.parse("from app.complaints.service import _now\nfrom app.org import service as org\n")
    assert _imports(tree) == [(1, ["app", "complaints", "service"], ["_now"]), (2, ["app", "org", "service"], [])]


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph.modules):
        if root in index:
            continue
        work: list[tuple[str, list[str]]] = [(root, sorted(graph.find_modules_directly_imported_by(root)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, todo = work[-1]
            if todo:
                nxt = todo.pop()
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, sorted(graph.find_modules_directly_imported_by(nxt))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
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


def test_no_import_cycle_between_any_modules_of_app() -> None:
    # grimp also sees the imports inside functions.
    assert _cycles(grimp.build_graph("app", cache_dir=None)) == []


def test_no_module_in_app_is_over_600_lines() -> None:
    long = {
        f"app/{'/'.join(parts)}.py": n
        for path, parts in _modules()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_routers_hold_no_queries() -> None:
    # router -> service/views -> repository: a router calls no repository function and builds no SQL (it may
    # take a filter dataclass from the repository module to pass along).
    offenders = []
    for path, parts in _modules():
        if parts[-1] != "router":
            continue
        text = path.read_text(encoding="utf-8")
        for _line, target, names in _imports(ast.parse(text)):
            if "repository" in names or (target[-1] == "repository" and names == []):
                offenders.append(f"app/{'/'.join(parts)}.py imports the repository module {'.'.join(target)}")
        if "session.execute(" in text or "select(" in text:
            offenders.append(f"app/{'/'.join(parts)}.py runs SQL")
    assert offenders == []


def test_import_linter_contracts_hold() -> None:
    # The same contracts `make test` runs (pyproject.toml [tool.importlinter]).
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
