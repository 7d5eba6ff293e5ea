"""Drive Debian's Chromium headless over membudget's HTML pages.

`chromium` (fixture) returns a Browser, or skips the test with the reason
when no Chromium is installed (mk/deps.sh installs it).  Browser.selftest()
loads a page from disk with #selftest, lets the page's own script drive
itself (treemap, sorting, filter, tooltip) and returns the JSON verdict it
wrote into <pre id="selftest">.  Every run gets a fresh profile directory.

build_elf is the tool tests' fixture factory (tests/tools/conftest.py).
"""

import html
import importlib.util
import json
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

_spec = importlib.util.spec_from_file_location("tools_conftest",
                                               ROOT / "tests" / "tools" / "conftest.py")
_tools = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_tools)
build_elf = _tools.build_elf

#: The flags the issue fixes, plus no DNS at all: the page must need nothing
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--disable-quic", "--host-resolver-rules=MAP * ~NOTFOUND")
TIMEOUT = 180
_SELFTEST = re.compile(r'<pre id="selftest"[^>]*>(.*?)</pre>', re.S)


class Browser:
    def __init__(self, binary, profiles):
        self.binary = binary
        self.profiles = profiles
        self.runs = 0

    def run(self, url, *args):
        """Run Chromium once on url; returns stdout (the DOM with --dump-dom)."""
        self.runs += 1
        profile = self.profiles / f"profile-{self.runs}"
        cmd = [self.binary, *FLAGS, f"--user-data-dir={profile}",
               "--virtual-time-budget=5000", *args, url]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
        assert proc.returncode == 0, f"{' '.join(cmd)}: exit {proc.returncode}\n{proc.stderr}"
        return proc.stdout

    def selftest(self, page):
        """Load page (a path) with #selftest; the page's verdict as a dict."""
        dom = self.run(pathlib.Path(page).resolve().as_uri() + "#selftest", "--dump-dom")
        found = _SELFTEST.search(dom)
        assert found, "no <pre id=selftest> in the dumped DOM"
        text = html.unescape(found.group(1))
        assert text, "the page's script did not run its self-test"
        return json.loads(text)

    def screenshot(self, page, out, size=(1280, 900)):
        out = pathlib.Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        self.run(pathlib.Path(page).resolve().as_uri(), f"--screenshot={out.resolve()}",
                 f"--window-size={size[0]},{size[1]}", "--hide-scrollbars",
                 "--run-all-compositor-stages-before-draw")
        return out


@pytest.fixture(scope="session")
def chromium(tmp_path_factory):
    for name in ("chromium", "chromium-browser"):
        binary = shutil.which(name)
        if binary:
            return Browser(binary, tmp_path_factory.mktemp("chromium"))
    pytest.skip("Chromium is not installed (apt-get install chromium; mk/deps.sh does it)")
