"""End to end: `python3 tools/membudget ...` on ELFs compiled by the tests.

Every bad input must give exit 2, exactly one `membudget:` line on stderr,
no traceback, and no output file.
"""

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from cli_helpers import LAUNCHER, ROOT, assert_bad_input, run, write_budgets

BUDGETS = """
[image]
name = "fixture"
root = "{root}"
rom = "64 KiB"
ram = "64 KiB"

[components.heap]
paths = ["tests/tools/fixtures/heap.c"]
budget = {{ code = {heap_code}, bss = "1 KiB" }}

[components.e820]
paths = ["tests/tools/fixtures/e820.c"]

[components.other]
catch_all = true
"""


def fixture_budgets(tmp_path, heap_code='"4 KiB"', text=BUDGETS):
    return write_budgets(tmp_path, text, "fixture.toml", heap_code=heap_code)


@pytest.fixture
def fixture_elf(fw):
    """heap.c, e820.c and main.c linked: conftest's fw."""
    return fw


# Launcher and usage: these need no ELF

def test_version_and_help():
    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("membudget ")
    proc = run("--help")
    assert proc.returncode == 0
    assert "report" in proc.stdout and "check" in proc.stdout


def test_python_dash_m(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "membudget", "--version"],
                          cwd=ROOT / "tools", capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("membudget ")


def test_launcher_needs_no_site_packages(fixture_elf, tmp_path):
    """pyelftools is the tests' oracle, never membudget's: with site-packages
    hidden (-S) and no re-exec allowed, a check still runs."""
    env = dict(os.environ, MEMBUDGET_REEXEC="1")
    proc = subprocess.run([sys.executable, "-S", str(LAUNCHER), "check",
                           fixture_elf.elf, "-b", fixture_budgets(tmp_path)],
                          env=env, capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "budgets checked" in proc.stdout


def test_missing_compiled_part(fixture_elf, tmp_path):
    """A copy of the package without its .so files (never built): one line
    that says what to do, exit 2; with the debug switch, the traceback."""
    package = tmp_path / "membudget"
    shutil.copytree(ROOT / "tools" / "membudget", package,
                    ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    proc = subprocess.run([sys.executable, str(package), "report", fixture_elf.elf],
                          capture_output=True, text=True, cwd=tmp_path)
    assert_bad_input(proc, "membudget.read._elf", "the compiled part is not built",
                     "make native")
    env = dict(os.environ, MEMBUDGET_DEBUG="1")
    proc = subprocess.run([sys.executable, str(package), "report", fixture_elf.elf],
                          capture_output=True, text=True, cwd=tmp_path, env=env)
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def _no_tomllib(tmp_path):
    """A directory whose tomllib fails to import, as on Python < 3.11."""
    stub = tmp_path / "stub" / "tomllib"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("raise ImportError('no tomllib', name='tomllib')\n")
    return stub.parent


def test_launcher_reexecs_without_tomllib(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(_no_tomllib(tmp_path)))
    env.pop("MEMBUDGET_REEXEC", None)
    # The fallback interpreter: this one, without the stub
    fallback = tmp_path / "python3.11"
    fallback.write_text(f"#!/bin/sh\nunset PYTHONPATH\nexec {sys.executable} \"$@\"\n")
    fallback.chmod(0o755)
    env["MEMBUDGET_PYTHON"] = str(fallback)
    proc = subprocess.run([sys.executable, str(LAUNCHER), "--version"],
                          env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("membudget ")
    # The mark stops a second re-exec: one line, exit 2
    env["MEMBUDGET_REEXEC"] = "1"
    proc = subprocess.run([sys.executable, str(LAUNCHER), "--version"],
                          env=env, capture_output=True, text=True)
    assert_bad_input(proc, "cannot import tomllib", "Python 3.11")


@pytest.mark.parametrize("args", [
    (), ("frobnicate",), ("report", "--format", "yaml"), ("report", "--by", "colour"),
    ("report", "--top", "0"), ("check", "x.elf"),
])
def test_usage_errors_exit_2(args):
    proc = run(*args)
    assert proc.returncode == 2
    assert "usage:" in proc.stderr and "Traceback" not in proc.stderr


# Bad input files

def _bad_elf(tmp_path, kind, fixture_elf):
    if kind == "missing":
        return tmp_path / "missing.elf"
    if kind == "directory":
        return tmp_path
    path = tmp_path / f"{kind}.elf"
    if kind == "not-elf":
        path.write_text("hello, world\n")
    elif kind == "truncated":
        path.write_bytes(fixture_elf.elf.read_bytes()[:100])
    elif kind == "shoff-past-eof":
        data = bytearray(fixture_elf.elf.read_bytes())
        data[0x20:0x24] = (len(data) + 4096).to_bytes(4, "little")    # e_shoff
        path.write_bytes(data)
    elif kind == "bad-shentsize":
        data = bytearray(fixture_elf.elf.read_bytes())
        data[0x2e:0x30] = (7).to_bytes(2, "little")                    # e_shentsize
        path.write_bytes(data)
    elif kind == "unreadable":
        path.write_bytes(fixture_elf.elf.read_bytes())
        path.chmod(0)
    return path


@pytest.mark.parametrize("kind", ["missing", "directory", "not-elf", "truncated",
                                  "shoff-past-eof", "bad-shentsize", "unreadable"])
@pytest.mark.parametrize("command", ["report", "check"])
def test_bad_elf(tmp_path, fixture_elf, kind, command):
    if kind == "unreadable" and os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    elf = _bad_elf(tmp_path, kind, fixture_elf)
    out = tmp_path / "out" / "report.txt"
    out.parent.mkdir()
    proc = run(command, elf, "-b", fixture_budgets(tmp_path), "-o", out)
    assert_bad_input(proc, f"membudget: {elf}: ")
    assert list(out.parent.iterdir()) == []


@pytest.mark.parametrize("text, message", [
    ("[components.heap]\npaths = ['x.c']\nbudget = { stack = 1 }\n",
     "unknown key 'stack' in [components.heap.budget]"),
    ("[components.heap]\npaths = ['x.c']\nbudget = { code = -1 }\n",
     "components.heap.budget.code: negative size -1"),
    ("[components.heap]\npaths = ['x.c']\nbudget = { code = 'big' }\n",
     "components.heap.budget.code: bad size 'big'"),
    ("[components.heap]\npaths = ['x.c'\n", "line 2: "),
    ("[components.heap]\nsymbols = ['heap_*']\n[components.pool]\nsymbols = ['heap_*']\n",
     "components 'heap' and 'pool' both list symbol glob 'heap_*'"),
    ("[image]\nroot = '{root}'\n[components.heap]\npaths = ['tests/tools/fixtures/*.c']\n"
     "[components.e820]\npaths = ['tests/tools/fixtures/e820.c']\n",
     "components 'heap' and 'e820' both match source file 'tests/tools/fixtures/e820.c'"),
])
@pytest.mark.parametrize("command", ["report", "check"])
def test_bad_budgets(tmp_path, fixture_elf, text, message, command):
    budgets = fixture_budgets(tmp_path, text=text.replace("{root}", str(ROOT))
                            .replace("{", "{{").replace("}", "}}"))
    out = tmp_path / "out.json"
    out.write_text("previous\n")
    proc = run(command, fixture_elf.elf, "-b", budgets, "-o", out, "--format",
               "json" if command == "report" else "junit")
    assert_bad_input(proc, f"membudget: {budgets}: {message}")
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fixture.toml", "out.json"]


def test_missing_budgets_file(tmp_path, fixture_elf):
    proc = run("check", fixture_elf.elf, "-b", tmp_path / "none.toml")
    assert_bad_input(proc, f"membudget: {tmp_path / 'none.toml'}: No such file")


# Reports and checks on a real ELF

def _report_json(fixture_elf, budgets, *extra):
    proc = run("report", fixture_elf.elf, "-b", budgets, "--format", "json", *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_report_json_adds_up(tmp_path, fixture_elf):
    from membudget.read import elf

    doc = _report_json(fixture_elf, fixture_budgets(tmp_path), "--map", fixture_elf.map)
    image = elf.read_image(fixture_elf.elf)
    assert doc["totals"] == dict(elf.class_totals(image),
                                 rom=doc["totals"]["rom"], ram=doc["totals"]["ram"])
    rows = doc["components"] + doc["buckets"]
    for key in ("code", "rodata", "data", "bss", "rom", "ram"):
        assert sum(r[key] for r in rows) == doc["totals"][key]
    assert [c["name"] for c in doc["components"]] == ["heap", "e820", "other"]
    assert doc["elf"]["sha256"] == image.sha256
    heap = doc["components"][0]
    assert heap["code"] > 0 and heap["bss"] >= 512


@pytest.mark.parametrize("fmt", ["text", "markdown", "csv", "json"])
@pytest.mark.parametrize("by", ["component", "file", "symbol", "section"])
def test_report_formats(tmp_path, fixture_elf, fmt, by):
    out = tmp_path / "sub" / f"report.{fmt}"
    out.parent.mkdir()
    proc = run("report", fixture_elf.elf, "-b", fixture_budgets(tmp_path), "--format", fmt,
               "--by", by, "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert [p.name for p in out.parent.iterdir()] == [out.name]
    text = out.read_text()
    assert "heap" in text
    if fmt == "text":
        # Only the heading lines naming the (long, temporary) input paths may be wider
        lines = [line for line in text.splitlines() if str(tmp_path) not in line
                 and str(fixture_elf.elf) not in line]
        assert max(len(line) for line in lines) <= 100
    if fmt == "json":
        assert json.loads(text)["schema"] == 1


def test_report_without_budgets(fixture_elf):
    proc = run("report", fixture_elf.elf, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["budgets"] is None
    assert [c["name"] for c in doc["components"]] == ["all"]
    sources = {s["name"]: s["bytes"] for s in doc["sources"]}
    assert sources["dwarf"] > 0
    assert sum(sources.values()) <= doc["totals"]["ram"]


def test_report_without_budgets_and_stripped(build_elf):
    stripped = build_elf("cli-stripped", ("heap.c", "e820.c", "main.c"), strip=True)
    proc = run("report", stripped.elf)
    assert proc.returncode == 0, proc.stderr
    assert "unavailable" in proc.stdout


def test_check_one_byte_too_small(tmp_path, fixture_elf):
    doc = _report_json(fixture_elf, fixture_budgets(tmp_path))
    code = doc["components"][0]["code"]
    exact = fixture_budgets(tmp_path, heap_code=f'"{code} B"')
    proc = run("check", fixture_elf.elf, "-b", exact)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 exceeded" in proc.stdout
    tight = fixture_budgets(tmp_path, heap_code=f'"{code - 1} B"')
    proc = run("check", fixture_elf.elf, "-b", tight)
    assert proc.returncode == 1, proc.stderr
    percent = f"{100 / (code - 1):.1f}"
    assert proc.stdout.splitlines()[0] == (
        f"heap: code {code:,} B > budget {code - 1:,} B (+1 B, +{percent} %)")


def test_check_github_and_junit(tmp_path, fixture_elf):
    budgets = fixture_budgets(tmp_path, heap_code='"1 B"')
    proc = run("check", fixture_elf.elf, "-b", budgets, "--format", "github")
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error title=membudget%3A heap code over budget::heap:")
    assert "::notice " in proc.stdout
    out = tmp_path / "junit.xml"
    proc = run("check", fixture_elf.elf, "-b", budgets, "--format", "junit", "-o", out)
    assert proc.returncode == 1 and proc.stdout == ""
    cases = ET.parse(out).getroot().iter("testcase")
    failed = [c.get("classname") + "." + c.get("name") for c in cases
              if c.find("failure") is not None]
    assert failed == ["membudget.heap.code"]


def test_glob_matching_nothing_warns(tmp_path, fixture_elf):
    text = BUDGETS + "\n[components.ghost]\nsymbols = ['no_such_symbol_*']\n"
    proc = run("check", fixture_elf.elf, "-b", fixture_budgets(tmp_path, text=text))
    assert proc.returncode == 0, proc.stderr
    assert "warning: components.ghost: symbol glob 'no_such_symbol_*' matches nothing" \
        in proc.stderr
    assert "Traceback" not in proc.stderr


# Output files

def test_write_output_is_atomic(tmp_path):
    from membudget.commands import output
    from membudget.model import InputError

    out = tmp_path / "report.txt"
    output.write("first\n", str(out))
    output.write("second\n", str(out))
    assert out.read_text() == "second\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]
    assert out.stat().st_mode & 0o777 == 0o666 & ~_umask()
    (tmp_path / "dir").mkdir()
    for bad in (tmp_path / "dir", tmp_path / "missing" / "r.txt"):
        with pytest.raises(InputError) as info:
            output.write("x\n", str(bad))
        assert info.value.path == str(bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir", "report.txt"]
    assert list((tmp_path / "dir").iterdir()) == []


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_output_into_a_directory_fails_cleanly(tmp_path, fixture_elf):
    proc = run("report", fixture_elf.elf, "-o", tmp_path)
    assert_bad_input(proc, f"membudget: {tmp_path}: Is a directory")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("error, line", [
    ("invariant", "attribution bug: AttributionError: pieces do not tile .text"),
    ("crash", "internal error: RuntimeError: boom"),
])
def test_last_resort_handlers(monkeypatch, capsys, fixture_elf, error, line):
    """An attribution invariant break or a bug is one line and exit 2; with
    MEMBUDGET_DEBUG=1 the same run shows the traceback."""
    from membudget import cli
    from membudget.analysis import attribute

    def broken(*args, **kwargs):
        if error == "invariant":
            raise attribute.AttributionError("pieces do not tile .text")
        raise RuntimeError("boom")

    monkeypatch.setattr(attribute, "attribute", broken)
    monkeypatch.delenv("MEMBUDGET_DEBUG", raising=False)
    assert cli.main(["report", str(fixture_elf.elf)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"membudget: {line} (run with MEMBUDGET_DEBUG=1 for the traceback)"]
    monkeypatch.setenv("MEMBUDGET_DEBUG", "1")
    assert cli.main(["report", str(fixture_elf.elf)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "in broken" in err


COMMAND_NAMES = ("report", "check", "snapshot", "diff", "plan", "why", "lds", "history")


def imported_commands(*argv):
    """The membudget.commands modules a parser for argv imports (a fresh interpreter)."""
    code = ("import sys; from membudget import cli; cli.build_parser(sys.argv[1:]); "
            "print(' '.join(sorted(m for m in sys.modules "
            "if m.startswith('membudget.commands.'))))")
    proc = subprocess.run([sys.executable, "-c", code, *argv], cwd=ROOT / "tools",
                          capture_output=True, text=True, check=True)
    return set(proc.stdout.split())


def test_a_run_imports_only_its_command():
    """Building the parser for `check` imports check's module and what it
    runs (report's analysis, output), none of the other commands'."""
    assert imported_commands("check", "x.elf") == {
        "membudget.commands.check", "membudget.commands.report",
        "membudget.commands.output"}
    assert imported_commands("lds", "-b", "x.toml") == {
        "membudget.commands.lds", "membudget.commands.output"}


#: What a check of one image with its map (as `make` runs it; `make check`
#: adds the heap traces, and json with them) must not import: each costs
#: start-up time, and none of them takes part in a check
NOT_IMPORTED_BY_CHECK = {
    "membudget.analysis.graph", "membudget.read.relocs", "membudget.read.archive",
    "membudget.analysis.snapshot", "membudget.read.snapshot",
    "membudget.analysis.rollup", "membudget.render.markdown", "membudget.render.text",
    "textwrap", "pathlib", "json", "glob", "shutil", "hashlib", "dataclasses"}


def test_make_check_imports_only_what_a_check_runs(firmware_build):
    """The firmware's check, as make runs it, imports none of the modules
    only other commands or other formats use: each would come back as
    start-up time on every `make`."""
    code = ("import sys; from membudget import cli; status = cli.main(sys.argv[1:]); "
            "print(status, ' '.join(sorted(sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", code, "check",
                           str(firmware_build / "firmware.elf"), "-b",
                           str(ROOT / "budgets" / "firmware.toml"), "--map",
                           str(firmware_build / "firmware.map")],
                          cwd=ROOT / "tools", capture_output=True, text=True, check=True)
    status, modules = proc.stdout.splitlines()[-1].split(" ", 1)
    assert status == "0", proc.stdout + proc.stderr
    imported = set(modules.split())
    assert "membudget.analysis.attribute" in imported      # the check did run
    assert imported & NOT_IMPORTED_BY_CHECK == set()


def test_make_check_runs_from_bytecode_with_the_figures_heapsim(tmp_path):
    """make check compiles membudget's bytecode before it runs membudget
    (with -S: no site), and replays the traces on the heapsim that reports
    the figures alone: each was most of the check's time once."""
    proc = subprocess.run(["make", "-n", "--no-print-directory", f"BUILD={tmp_path}",
                           "check"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.replace("\\\n", " ").splitlines()
    compiled = next(i for i, l in enumerate(lines) if "-m compileall" in l)
    checked = next(i for i, l in enumerate(lines) if "tools/membudget check" in l)
    assert compiled < checked
    assert " -S tools/membudget check " in lines[checked]
    heapsim = next(l for l in lines if f"-o {tmp_path}/sim/heapsim" in l)
    assert "-DHEAPSIM_FIGURES_ONLY" in heapsim


@pytest.mark.parametrize("columns", [None, "", "0", "-3", "x", "57", "200"])
def test_help_width_is_shutils(monkeypatch, columns):
    """The help's width comes without shutil, as shutil gives it."""
    from membudget import cli
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    assert cli._columns() == shutil.get_terminal_size().columns


def test_help_lists_every_command():
    """Without a command on the line, every parser is built: --help lists
    them all with their help."""
    assert {f"membudget.commands.{c}" for c in COMMAND_NAMES} <= imported_commands("--help")
    proc = run("--help")
    assert proc.returncode == 0
    for name in COMMAND_NAMES:
        line = next(l for l in proc.stdout.splitlines() if l.split()[:1] == [name])
        assert len(line.split()) > 1, line      # the command's help follows its name
    assert run("check", "--help").stdout.startswith("usage: membudget check ")
