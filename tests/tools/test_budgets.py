"""budgets.py: the budgets file format, its units and every validation error."""

import re
from pathlib import Path

import pytest

from membudget.analysis import placement
from membudget.read import budgets
from membudget.model import InputError

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
[image]
name = "firmware"
rom = "16 KiB"
ram = 160
creep = "64 B"

[components.heap]
paths = ["src/heap.c"]
symbols = ["heap_*"]
budget = { code = 0.75, rodata = "100 B", bss = "129 KiB" }
creep = { code = "32 B" }

[components.dma]
paths = ["src/dma*.c"]
sections = [".dma*"]
budget = { rom = "1 MiB", ram = 1.5 }

[components.other]
catch_all = true
"""


@pytest.fixture
def project(tmp_path):
    """A project root with a few sources and a budgets/ directory."""
    (tmp_path / "src").mkdir()
    for name in ("heap.c", "dma.c", "dma_pool.c", "main.c"):
        (tmp_path / "src" / name).write_text("int x;\n")
    (tmp_path / "budgets").mkdir()
    return tmp_path


def parse(project, text):
    path = project / "budgets" / "b.toml"
    path.write_text(text)
    return budgets.load(path, root=project)


def error(project, text):
    with pytest.raises(InputError) as info:
        parse(project, text)
    assert "\n" not in str(info.value)
    assert info.value.path.endswith("b.toml")
    return str(info.value)


def test_good_file(project):
    b = parse(project, GOOD)
    assert b.name == "firmware"
    assert b.image == {"rom": 16384, "ram": 160 * 1024}
    assert b.image_creep["rom"] == 64
    heap, dma, other = b.components
    assert heap.name == "heap" and heap.paths == ("src/heap.c",)
    assert heap.symbols == ("heap_*",)
    assert heap.budgets == {"code": 768, "rodata": 100, "bss": 129 * 1024}
    assert heap.creep == {"code": 32}
    assert dma.budgets == {"rom": 1024 * 1024, "ram": 1536}
    assert dma.sections == (".dma*",)
    assert other.catch_all and not other.paths
    assert b.warnings == []
    assert b.component("dma") is dma and b.component("nope") is None


@pytest.mark.parametrize("value, expected", [
    (0, 0), (1, 1024), (0.5, 512), (0.1, 102), ('"7 B"', 7), ('"1.5 KiB"', 1536),
    ('"2 MiB"', 2 * 1024 * 1024), ('" 3 KiB "', 3072),
])
def test_size_units(project, value, expected):
    b = parse(project, f"[components.a]\npaths = ['src/main.c']\nbudget = {{ code = {value} }}\n")
    assert b.components[0].budgets["code"] == expected


@pytest.mark.parametrize("text, message", [
    ("[components.a]\npaths = ['src/main.c']\nbudget = { code = -1 }\n",
     "components.a.budget.code: negative size -1"),
    ("[components.a]\npaths = ['src/main.c']\nbudget = { code = -0.5 }\n",
     "components.a.budget.code: negative size -0.5"),
    ("[components.a]\npaths = ['src/main.c']\nbudget = { code = 'lots' }\n",
     "components.a.budget.code: bad size 'lots'"),
    ("[components.a]\npaths = ['src/main.c']\nbudget = { code = '3 KB' }\n",
     "components.a.budget.code: bad size '3 KB'"),
    ("[components.a]\npaths = ['src/main.c']\nbudget = { code = true }\n",
     "components.a.budget.code: expected a size, got a boolean"),
    ("[components.a]\npaths = ['src/main.c']\nbudget = { code = [1] }\n",
     "components.a.budget.code: expected a size, got an array"),
    ("[components.a]\npaths = ['src/main.c']\nbudget = { code = nan }\n",
     "components.a.budget.code: bad size nan"),
    ("[image]\nrom = 1e308\n", "image.rom: size 1e+308 too large"),
    (f"[image]\nrom = '{'9' * 400}.5 KiB'\n", "image.rom: size '999"),
    ("[image]\nrom = 1979-05-27\n", "image.rom: expected a size, got date"),
    ("[components.a]\npaths = ['src/main.c']\nbudget = 5\n",
     "components.a.budget: expected a table, got an integer"),
    ("[components.a]\npaths = ['src/main.c']\nbudget = { stack = 1 }\n",
     "unknown key 'stack' in [components.a.budget]"),
    ("[components.a]\npaths = ['src/main.c']\nsize = 1\n",
     "unknown key 'size' in [components.a]"),
    ("[image]\nflash = 1\n", "unknown key 'flash' in [image]"),
    ("[images]\nrom = 1\n", "unknown key 'images' in [top level]"),
    ("[image]\nrom = '-1 KiB'\n", "image.rom: bad size '-1 KiB'"),
    ("[image]\nname = 3\n", "image.name: expected a non-empty string"),
    ("[components.a]\npaths = 'src/main.c'\n",
     "components.a.paths: expected an array of strings"),
    ("[components.a]\npaths = ['']\n", "components.a.paths: empty glob"),
    ("[components.a]\ncatch_all = 1\n", "components.a.catch_all: expected true or false"),
    ("[components.a]\nbudget = { code = 1 }\n",
     "[components.a]: no paths, symbols or sections, and not a catch_all"),
    ("[components.'a b']\ncatch_all = true\n", "[components.a b]: a component name is"),
    ("[components.a]\ncatch_all = true\n[components.b]\ncatch_all = true\n",
     "components 'a' and 'b' are both catch_all"),
    ("[components.a]\npaths = ['src/main.c']\ncreep = -3\n",
     "components.a.creep: negative size -3"),
    ("components = 3\n", "components: expected a table, got an integer"),
    ("", "defines no components and no image budgets"),
    ("[image]\nname = 'fw'\n", "defines no components and no image budgets"),
])
def test_bad_files(project, text, message):
    assert error(project, text).startswith(message)


def test_unknown_key_names_the_allowed_ones(project):
    msg = error(project, "[components.a]\npaths = ['src/main.c']\nbudgets = {}\n")
    assert "allowed: paths, symbols, sections, catch_all, budget, creep" in msg


@pytest.mark.parametrize("kind, a, b", [
    ("paths", "src/heap.c", "src/heap.c"),
    ("symbols", "heap_*", "heap_*"),
    ("sections", ".text.heap*", ".text.heap*"),
])
def test_identical_glob_in_two_components(project, kind, a, b):
    text = (f"[components.heap]\n{kind} = ['{a}']\n"
            f"[components.dma]\n{kind} = ['{b}']\n")
    assert error(project, text) == (
        f"components 'heap' and 'dma' both list {kind[:-1]} glob '{a}'")


def test_source_file_matched_by_two_components(project):
    text = ("[components.dma]\npaths = ['src/dma*.c']\n"
            "[components.pool]\npaths = ['src/*_pool.c']\n")
    assert error(project, text) == (
        "components 'dma' and 'pool' both match source file 'src/dma_pool.c'")


def test_glob_matching_nothing_is_a_warning(project):
    b = parse(project, "[components.a]\npaths = ['src/gone.c', 'src/main.c']\n")
    assert b.warnings == [
        "components.a: path glob 'src/gone.c' matches no file under the project root"]


@pytest.mark.parametrize("text, line", [
    ("[image]\nrom = \n", 2),
    ("[image]\nname = 'x'\n[image]\n", 3),
    ("[components.a]\npaths = ['a',\n", 2),
])
def test_toml_syntax_error_names_the_line(project, text, line):
    assert error(project, text).startswith(f"line {line}: ")


def test_missing_and_binary_files(project, tmp_path):
    with pytest.raises(InputError) as info:
        budgets.load(tmp_path / "missing.toml")
    assert str(info.value) == "No such file or directory"
    path = tmp_path / "bin.toml"
    path.write_bytes(b"\xff\xfe[image]\n")
    with pytest.raises(InputError, match="not UTF-8"):
        budgets.load(path)


def test_root_default_and_explicit(project):
    (project / ".git").mkdir()
    path = project / "budgets" / "b.toml"
    path.write_text("[components.a]\npaths = ['src/main.c']\n")
    assert budgets.load(path).root == str(project)
    path.write_text("[image]\nroot = '../src'\n[components.a]\npaths = ['main.c']\n")
    b = budgets.load(path)
    assert b.warnings == [] and b.root.endswith("src")
    path.write_text("[image]\nroot = 'nowhere'\n")
    with pytest.raises(InputError, match="image.root: 'nowhere' is not a directory"):
        budgets.load(path)


def test_project_sources_skip_hidden_and_build(project):
    (project / "build").mkdir()
    (project / "build" / "gen.c").write_text("")
    (project / ".git").mkdir()
    (project / ".git" / "x.c").write_text("")
    (project / "README.md").write_text("")
    assert budgets.project_sources(project) == [
        "src/dma.c", "src/dma_pool.c", "src/heap.c", "src/main.c"]


def test_project_sources_relative_to_any_spelling_of_the_root(project, monkeypatch):
    """The paths are relative to the root however it is written: with a
    trailing slash, relative, or as ./name."""
    want = budgets.project_sources(project)
    assert budgets.project_sources(f"{project}/") == want
    monkeypatch.chdir(project.parent)
    assert budgets.project_sources(project.name) == want
    assert budgets.project_sources(f"./{project.name}") == want


PATH_PARTS = ["/", "//", "///", ".", "..", "a", "b.toml", "x.", ".hidden", "c.d.e", ""]


def test_pure_paths_are_pathlibs():
    """budgets reads paths without pathlib (its import cost every check):
    its joins, parents and stems must be pathlib's, spelling for spelling."""
    from pathlib import PurePosixPath
    import random
    rng = random.Random(17)
    for _ in range(20000):
        parts = ["".join(rng.choice(PATH_PARTS) for _ in range(rng.randrange(0, 6)))
                 for _ in range(rng.randrange(1, 4))]
        assert budgets.pure_path(*parts) == str(PurePosixPath(*parts)), parts
        path = PurePosixPath(parts[0])
        assert budgets.pure_parent(parts[0]) == str(path.parent), parts[0]
        assert budgets.pure_stem(parts[0]) == path.stem, parts[0]


def test_default_root_is_the_nearest_git_ancestor(tmp_path):
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "budgets").mkdir()
    assert budgets.default_root(tmp_path / "repo" / "budgets" / "b.toml") == \
        str((tmp_path / "repo").resolve())
    (tmp_path / "loose").mkdir()
    assert budgets.default_root(tmp_path / "loose" / "b.toml") == \
        str((tmp_path / "loose").resolve())


def test_repository_budgets_file_is_valid():
    path = ROOT / "budgets" / "firmware.toml"
    b = budgets.load(path)
    assert b.warnings == []
    assert [c.name for c in b.components if c.catch_all] == ["other"]
    assert {"rom", "ram"} <= set(b.image)
    for comp in b.components:
        assert {"code", "rom", "bss"} <= set(comp.budgets) or comp.catch_all, comp.name


def test_repository_budgets_name_the_linker_script_components():
    """The firmware's placement, generated from the budgets file, gives each
    non-catch-all component its __mb_<component>_<class>_start/_end, and
    the hand-written linker script defines none."""
    lds = (ROOT / "firmware" / "arch" / "i386" / "firmware.lds").read_text()
    assert not re.findall(r"__mb_(\w+?)_(?:code|rodata|data|bss)_start\s*=", lds)
    b = budgets.load(ROOT / "budgets" / "firmware.toml")
    placed = placement.place(b, placement.parse_object_map(["firmware/=*/fw/"]))
    assert placed.components() == [c.name for c in b.components if not c.catch_all]


def test_graph_table(project):
    (project / "link.lds").write_text("SECTIONS { }\n")
    parsed = parse(project, "[components.a]\npaths = ['src/main.c']\n"
                            "[graph]\nroots = ['irq_*', 'reset']\nscripts = ['link.lds']\n")
    assert parsed.graph.roots == ("irq_*", "reset")
    assert parsed.graph.scripts == (str(project / "link.lds"),)
    assert parse(project, GOOD).graph == budgets.GraphConfig()


@pytest.mark.parametrize("table, message", [
    ("roots = 'reset'", "graph.roots: expected an array of strings"),
    ("scripts = ['missing.lds']", "graph.scripts: 'missing.lds' is not a file"),
    ("keep = ['x']", "unknown key 'keep' in [graph] (allowed: roots, scripts)"),
])
def test_bad_graph_table(project, table, message):
    text = "[components.a]\npaths = ['src/main.c']\n[graph]\n" + table + "\n"
    assert error(project, text).startswith(message)
