"""The shape of the code: stages import one way, down to the core, with no cycle.

Read from the source (every import, those inside functions too), so a new module that reaches up
a layer fails here by name, before it can make a cycle at run time.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import yaml

from chatlake.core.kinds import MESSAGE_KINDS

ROOT = Path(__file__).resolve().parent.parent
# where each package of `chatlake` lives in the repository
PACKAGES = {"chatlake": ROOT / "chatlake", "chatlake.extract": ROOT / "extract", "chatlake.embed": ROOT / "embed"}

# What each stage may import besides itself. The core is at the bottom; the command line and the
# MCP server are front ends on top; nothing imports a front end but the command line.
ALLOWED = {
    "core": set(),
    "example": {"core"},
    "extract": {"core"},
    "vectorstore": {"core"},
    "transform": {"core", "extract"},
    "embed": {"core", "vectorstore"},
    "search": {"core", "embed", "vectorstore"},
    "sql": {"core", "transform"},
    "status": {"core", "embed"},
    "pipeline": {"core", "extract", "transform", "example"},
    "usage": {"core"},
    "show": {"core", "usage"},
    "report": {"core", "usage", "show"},
    "mcpserver": {"core", "search", "sql", "status", "usage", "show", "embed"},
    "cli": {"core", "extract", "transform", "embed", "vectorstore", "search", "sql", "status", "pipeline",
            "example", "usage", "show", "report", "mcpserver"},
}


def modules() -> dict[str, Path]:
    found = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            if "__pycache__" in path.parts or (package == "chatlake" and path.relative_to(folder).parts[0] in
                                               ("extract", "embed")):
                continue
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([package, *parts])] = path
    return found


def _type_checking_only(tree: ast.AST) -> set[int]:
    """The ids of import nodes under `if TYPE_CHECKING:`: names for annotations, never run."""
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", getattr(node.test, "attr", None)) == "TYPE_CHECKING":
            skipped |= {id(n) for part in node.body for n in ast.walk(part)}
    return skipped


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The chatlake modules a module imports anywhere in its body (functions included)."""
    out = set()
    tree = ast.parse(path.read_text())
    skipped = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from package import module` imports the module; `from module import name`, the module
            targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module
                       for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target.startswith("chatlake") and target != name:
                out.add(target)
    return out


def stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "chatlake"


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports_of(name, path, set(found)) for name, path in found.items()}


def test_every_stage_imports_only_the_stages_below_it():
    wrong = []
    for module, targets in graph().items():
        own = stage(module)
        if own == "chatlake":  # the package's lazy names, and nothing else
            continue
        assert own in ALLOWED, f"{module}: a stage with no place in ALLOWED"
        for target in targets:
            other = stage(target)
            if other != own and other not in ALLOWED[own]:
                wrong.append(f"{module} imports {target}")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_module_imports_itself_back_through_others():
    # `chatlake/__init__` only names things lazily: it is left out
    edges = {m: {t for t in ts if stage(t) != "chatlake"} for m, ts in graph().items() if stage(m) != "chatlake"}
    done: set[str] = set()
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(edges.get(node, ())):
            if nxt in path:
                cycles.append(" -> ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in done:
                visit(nxt, path + [nxt])
        done.add(node)

    for module in sorted(edges):
        if module not in done:
            visit(module, [module])
    assert not cycles, "\n".join(sorted(set(cycles)))


def test_importing_the_embed_stage_loads_neither_the_extractor_nor_dbt():
    program = ("import sys, chatlake.embed.api, chatlake.search, chatlake.status;"
               "print(sorted({m.split('.')[0] if m.startswith('dbt') else '.'.join(m.split('.')[:2])"
               " for m in sys.modules if m.startswith(('dbt', 'chatlake.extract', 'chatlake.transform',"
               " 'chatlake.pipeline'))}))")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, cwd="/",
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_message_kinds_are_the_marts_accepted_values():
    marts = yaml.safe_load((ROOT / "models" / "marts" / "_marts__models.yml").read_text())
    human = next(m for m in marts["models"] if m["name"] == "human_messages")
    kind = next(c for c in human["columns"] if c["name"] == "kind")
    accepted = [t["accepted_values"] for t in kind["data_tests"] if isinstance(t, dict) and "accepted_values" in t]
    values = accepted[0].get("arguments", accepted[0])["values"]
    assert tuple(values) == MESSAGE_KINDS
