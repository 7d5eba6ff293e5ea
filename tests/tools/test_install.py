"""membudget installed, used from outside the checkout.

`pip install --no-build-isolation --no-index` into a fresh virtual
environment (offline: Debian's setuptools and wheel through
--system-site-packages) and `make install PREFIX=...`: both give a
`membudget` command that prints the one version and checks a fixture,
exit status included, with the working directory outside the checkout.
"""

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib

import pytest

from cli_helpers import ROOT, write_budgets

import membudget

#: The fixture's heap.c and the catch-all; {heap_code} caps heap's code
BUDGETS = """
[image]
name = "fixture"
root = "{root}"

[components.heap]
paths = ["tests/tools/fixtures/heap.c"]
budget = {{ code = "{heap_code}" }}

[components.other]
catch_all = true
"""


def _clean_env(tmp_path):
    """No PYTHONPATH, no launcher marks; HOME and the cwd outside the checkout."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "MEMBUDGET_", "PIP_"))}
    env.update(HOME=str(tmp_path), PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def _use(command, fw, tmp_path, env):
    """--version, then check within budget (0) and over it (1)."""
    proc = subprocess.run([*command, "--version"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"membudget {membudget.__version__}"
    ok = write_budgets(tmp_path, BUDGETS, "ok.toml", heap_code="64 KiB")
    proc = subprocess.run([*command, "check", str(fw.elf), "-b", str(ok), "--map",
                           str(fw.map)], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "1 budgets checked, 0 exceeded" in proc.stdout, proc.stdout
    over = write_budgets(tmp_path, BUDGETS, "over.toml", heap_code="1 B")
    proc = subprocess.run([*command, "check", str(fw.elf), "-b", str(over)],
                          cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "heap: code" in proc.stdout


def _package_copy(tmp_path):
    """The files pip builds from, copied: an install never writes into the
    checkout (egg-info, build/lib), nor picks up a stale build/lib there."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, src / name)
    # Without the checkout's compiled part: pip must build its own
    shutil.copytree(ROOT / "tools" / "membudget", src / "tools" / "membudget",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.so"))
    return src


def test_version_has_one_place():
    """pyproject.toml takes the version from __init__.py; nothing else spells it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    dynamic = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert dynamic["dynamic"]["version"] == {"attr": "membudget.__version__"}
    assert project["dependencies"] == []
    assert project["scripts"]["membudget"] == "membudget.cli:console_main"
    literal = re.compile(re.escape(membudget.__version__))
    spelled = [p for p in (ROOT / "tools" / "membudget").rglob("*.py")
               if literal.search(p.read_text())]
    assert [p.name for p in spelled] == ["__init__.py"]


def test_pip_install_into_fresh_venv(fw, tmp_path):
    missing = [m for m in ("venv", "ensurepip", "setuptools", "wheel")
               if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"{sys.executable} lacks {', '.join(missing)} (make test-deps "
                    "installs python3-venv, python3-setuptools, python3-wheel)")
    env = _clean_env(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True, env=env, cwd=tmp_path, timeout=300)
    proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                           "--no-build-isolation", "--no-index",
                           str(_package_copy(tmp_path))],
                          env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    script = venv / "bin" / "membudget"
    assert script.is_file()
    # It imports the installed package, not the checkout
    where = subprocess.run([str(venv / "bin" / "python"), "-c",
                            "import membudget; print(membudget.__file__)"],
                           env=env, cwd=tmp_path, capture_output=True, text=True)
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr
    # The HTML page's assets are package data
    assert list((venv / "lib").glob("python3*/site-packages/membudget/render/assets/*.js"))
    # Each native loop is built, for the limited API (mk/native.mk)
    sources = sorted(p.relative_to(ROOT / "tools").with_suffix("")
                     for p in (ROOT / "tools" / "membudget").glob("*/_*.c"))
    assert sources
    site = next((venv / "lib").glob("python3*/site-packages"))
    for module in sources:
        assert list(site.glob(f"{module}.abi3.so")), module
    _use([str(script)], fw, tmp_path, env)


def test_make_install_prefix(fw, tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make not installed")
    prefix = tmp_path / "prefix"
    env = _clean_env(tmp_path)
    env.pop("MAKEFLAGS", None)
    proc = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), "install",
                           f"PREFIX={prefix}"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (prefix / "lib" / "membudget" / "membudget" / "render" / "assets"
            / "report.js").is_file()
    assert list((prefix / "lib" / "membudget" / "membudget").glob("*/_*.abi3.so"))
    # Python 3.11+ first on PATH, as a user's shell would have it
    env["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), env.get("PATH", "")])
    _use([str(prefix / "bin" / "membudget")], fw, tmp_path, env)
