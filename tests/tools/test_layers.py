"""The package's layers: imports only point down, no cycles, nothing imports cli.

Layers, lowest first (docs/design.md "Layout"): model and the package
itself, read/, analysis/, render/, commands/, then cli.py and the
launcher.  A module may import its own layer or a lower one; the test
reads every module with ast, so it checks the code as written, not what
happens to be imported at run time.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "tools" / "membudget"
LAYERS = {"model": 0, "__init__": 0, "read": 1, "analysis": 2, "render": 3,
          "commands": 4, "cli": 5, "__main__": 6}


def module_name(path):
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__") or "__init__"


def layer(name):
    return LAYERS[name.split(".")[0]]


def imports(path):
    """Package modules one file imports, as dotted names below the package."""
    here = module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
            elif (node.module or "").startswith("membudget"):
                base, node.module = [], node.module[len("membudget."):] or None
            else:
                continue
            prefix = base + (node.module.split(".") if node.module else [])
            for alias in node.names:
                target = ".".join(prefix + [alias.name])
                found.add(target if (PACKAGE / (target.replace(".", "/") + ".py")).exists()
                          or (PACKAGE / target.replace(".", "/")).is_dir()
                          else ".".join(prefix) or "__init__")
        elif isinstance(node, ast.Import):
            found |= {a.name[len("membudget."):] for a in node.names
                      if a.name.startswith("membudget.")}
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args):
            found.add(dynamic_import(node.args[0], package))
    return {name for name in found if name}


def dynamic_import(arg, package):
    """The package an importlib.import_module(f"..render.{name}", __package__) loads.

    The relative part before the first placeholder names it: an edge to
    that package (a directory of the layers) is checked like any other.
    """
    text = arg.value if isinstance(arg, ast.Constant) else (
        arg.values[0].value if isinstance(arg, ast.JoinedStr) and arg.values
        and isinstance(arg.values[0], ast.Constant) else "")
    level = len(text) - len(text.lstrip("."))
    assert level, f"import_module({text!r}...): only relative imports are checked"
    parts = [p for p in text[level:].split(".") if p]
    return ".".join(package[:len(package) - level + 1] + parts)


def graph():
    return {module_name(p): imports(p) for p in PACKAGE.rglob("*.py")}


def test_every_module_has_a_layer():
    assert all(name.split(".")[0] in LAYERS for name in graph())


def test_imports_only_point_down():
    wrong = [(name, target) for name, targets in graph().items() for target in targets
             if layer(target) > layer(name)]
    assert wrong == []


def test_nothing_imports_cli():
    assert [name for name, targets in graph().items()
            if "cli" in targets and name != "__main__"] == []


def test_no_import_cycle():
    edges = graph()
    state, cycles = {}, []

    def visit(name, path):
        state[name] = "open"
        for target in sorted(edges.get(name, ())):
            if state.get(target) == "open":
                cycles.append(path[path.index(target):] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[name] = "done"

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_the_walk_sees_relative_imports():
    """The test's own parser: a known upward-pointing edge would be seen."""
    found = imports(PACKAGE / "commands" / "report.py")
    assert {"analysis.pipeline", "render", "commands.output"} <= found
    assert {"render.check", "commands.output"} <= imports(PACKAGE / "commands" / "check.py")
