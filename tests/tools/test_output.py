"""Every command's `-o`: what it does to each kind of target (docs/output.md).

One routine, commands/output.write(), writes the output of every command
that takes -o.  For each of them, and each kind of target: a regular
file, a symlink (to a file, dangling), a FIFO with a reader, `-`,
/dev/stdout, a private character device, an existing file whose mode (or
owner) must be kept, a directory, a missing directory; a run interrupted
by SIGINT or SIGTERM half way through writing, or failing there; a
command that fails on bad input (exit 2: the target is never touched) or
exits 1 (a budget exceeded: still written).

After every run the file type (stat.S_IFMT) of the target and of each
name on its way must be what it was, and the directory must hold no
temporary file.  Most runs are in-process (cli.main); the interrupted
ones and the launcher's end-to-end ones are subprocesses.
"""

import contextlib
import io
import os
import resource
import select
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from elfwriter import Section, Symbol, write_elf
from membudget.read.elf import STB_GLOBAL, STT_FUNC
from membudget import cli
from membudget.commands import output

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = ROOT / "tools" / "membudget"
FIXTURE_LDS = ROOT / "tests" / "tools" / "fixtures" / "boundary.lds"
PREVIOUS = "previous report\n"

BUDGETS = """
[image]
name = "fixture"
root = "{root}"
rom = "64 KiB"
ram = "64 KiB"
creep = "{creep}"

[components.heap]
paths = ["tests/tools/fixtures/heap.c"]
budget = {{ code = "{heap_code}", bss = "1 KiB" }}

[components.e820]
paths = ["tests/tools/fixtures/e820.c"]

[components.other]
catch_all = true
"""

#: Every command that takes -o
COMMANDS = ("report", "check", "snapshot", "diff", "plan", "lds", "history")
#: The ones that exit 1 when a budget (or creep cap) is exceeded
OVER_COMMANDS = ("check", "diff", "plan")


class Inputs:
    """The files the commands read, made once per module."""

    def __init__(self, top, elf, bigger_elf):
        self.top = top
        self.elf = elf
        self.bigger_elf = bigger_elf
        self.missing = top / "missing-input"
        self.ok = self._budgets("ok.toml", creep="1 KiB", heap_code="4 KiB")
        self.over = self._budgets("over.toml", creep="1 B", heap_code="1 B")
        self.snapshot = top / "snapshot.json"
        assert cli.main(["snapshot", str(elf), "-b", str(self.ok), "-o",
                         str(self.snapshot)]) == 0
        self.expected = {}

    def _budgets(self, name, **values):
        path = self.top / name
        path.write_text(BUDGETS.format(root=ROOT, **values))
        return path

    def argv(self, command, variant="ok"):
        """command's arguments but -o: "ok" exits 0, "over" 1, "bad" 2."""
        elf = self.missing if variant == "bad" else self.elf
        budgets = self.over if variant == "over" else self.ok
        args = {
            "report": ["report", elf, "-b", budgets, "--format", "json"],
            "check": ["check", elf, "-b", budgets],
            "snapshot": ["snapshot", elf, "-b", budgets],
            "diff": ["diff", elf, self.bigger_elf if variant == "over" else self.elf,
                     "-b", budgets],
            "plan": ["plan", elf, "-b", budgets, "--add", "planned=100"],
            "lds": ["lds", "-b", self.missing if variant == "bad" else budgets,
                    "--script", FIXTURE_LDS],
            "history": ["history", self.missing if variant == "bad" else self.snapshot,
                        "--format", "svg"],
        }[command]
        return [str(a) for a in args]

    def status(self, variant):
        return {"ok": 0, "over": 1, "bad": 2}[variant]

    def output(self, command, variant="ok"):
        """What the command prints on stdout: what -o must write."""
        key = (command, variant)
        if key not in self.expected:
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
                status = cli.main(self.argv(command, variant))
            assert status == self.status(variant)
            self.expected[key] = out.getvalue()
            assert self.expected[key]
        return self.expected[key]


@pytest.fixture(scope="module")
def inputs(build_elf, tmp_path_factory):
    elf = build_elf("cli", ("heap.c", "e820.c", "main.c")).elf
    # The same sources unoptimised: more code, so diff's creep caps break
    bigger = build_elf("output-O0", ("heap.c", "e820.c", "main.c"), cflags=("-O0",)).elf
    return Inputs(tmp_path_factory.mktemp("output-inputs"), elf, bigger)


@pytest.fixture
def outdir(tmp_path):
    """An empty directory for the target: what else appears there is a leak."""
    path = tmp_path / "out"
    path.mkdir()
    return path


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def run(argv, capsys):
    """cli.main in-process: (status, stdout, stderr)."""
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def launch(*args, **kwargs):
    return subprocess.run([sys.executable, str(LAUNCHER), *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, **kwargs)


# What must hold of a target after a run

TYPE_NAMES = {stat.S_IFREG: "regular file", stat.S_IFLNK: "symlink",
              stat.S_IFIFO: "FIFO", stat.S_IFCHR: "character device",
              stat.S_IFBLK: "block device", stat.S_IFDIR: "directory",
              stat.S_IFSOCK: "socket", None: "nothing"}


def file_types(*paths):
    """{path: stat.S_IFMT of the name itself, or None when absent}."""
    types = {}
    for path in paths:
        try:
            types[str(path)] = stat.S_IFMT(os.lstat(path).st_mode)
        except FileNotFoundError:
            types[str(path)] = None
    return types


def assert_types_kept(before, created=()):
    """Each name is what it was (created: absent before, a regular file now)."""
    after = file_types(*before)
    for path, kind in before.items():
        want = stat.S_IFREG if path in map(str, created) else kind
        assert after[path] == want, (f"{path}: was a {TYPE_NAMES[kind]}, "
                                     f"is a {TYPE_NAMES[after[path]]}")


def assert_listing(directory, *names):
    """Exactly these names: no temporary file left, nothing else created."""
    assert sorted(os.listdir(directory)) == sorted(names)


def assert_one_line(status, err, *fragments):
    assert status == 2
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("membudget: "), err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def freeze_mtime(directory):
    """Date directory's mtime back: a file made there, even for a moment,
    moves it to now."""
    os.utime(directory, ns=(10**18, 10**18))


def assert_mtime_frozen(directory):
    assert os.stat(directory).st_mtime_ns == 10**18, f"a file was made in {directory}"


def identity(path):
    """What replacing or writing to path would change."""
    st = os.stat(path)
    return st.st_ino, st.st_mtime_ns, st.st_size, Path(path).read_bytes()


class FifoReader:
    """Drains a FIFO in a thread, never blocking: the read end opens at once
    (non-blocking), so a writer that never comes leaves no hung thread."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        self.chunks = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self):
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        while True:
            poller.poll(50)
            try:
                chunk = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                continue
            if chunk:
                self.chunks.append(chunk)
            elif self.done.is_set():
                return          # no writer now, and the run is over

    def data(self):
        """Everything read, once the run is over."""
        self.done.set()
        self.thread.join(30)
        assert not self.thread.is_alive()
        os.close(self.fd)
        return b"".join(self.chunks).decode()


def make_null_device(path):
    """A character device like /dev/null at path (root only), or skip."""
    if os.geteuid() != 0:
        pytest.skip("making a character device (mknod) needs root")
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError as err:
        pytest.skip(f"mknod: {err.strerror} (no CAP_MKNOD)")
    return path


# Targets that take the output

@pytest.mark.parametrize("command", COMMANDS)
def test_regular_file_is_replaced(inputs, outdir, command, capsys):
    target = outdir / "out"
    target.write_text(PREVIOUS)
    before = file_types(target)
    old_inode = target.stat().st_ino
    def handler(signum, frame):
        raise AssertionError("SIGTERM")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        status, out, _ = run(inputs.argv(command) + ["-o", target], capsys)
        # While writing, SIGTERM had its own handler; now the caller's is back
        assert signal.getsignal(signal.SIGTERM) is handler
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert status == 0 and out == ""
    assert target.read_text() == inputs.output(command)
    assert target.stat().st_ino != old_inode        # replaced, not rewritten
    assert_types_kept(before)
    assert_listing(outdir, "out")


@pytest.mark.parametrize("command", COMMANDS)
def test_new_file_is_created(inputs, outdir, command, capsys, umask_022):
    target = outdir / "out"
    before = file_types(target)
    status, _, _ = run(inputs.argv(command) + ["-o", target], capsys)
    assert status == 0
    assert target.read_text() == inputs.output(command)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert_types_kept(before, created=[target])
    assert_listing(outdir, "out")


@pytest.mark.parametrize("command", COMMANDS)
def test_symlink_stays_a_link_and_its_target_is_replaced(inputs, outdir, command, capsys):
    real = outdir / "real"
    real.write_text(PREVIOUS)
    link = outdir / "link"
    link.symlink_to("real")
    # A link to a link, from another directory
    other = outdir / "sub"
    other.mkdir()
    chain = other / "chain"
    chain.symlink_to("../link")
    before = file_types(link, real, chain)
    for name in (link, chain):
        status, _, _ = run(inputs.argv(command) + ["-o", name], capsys)
        assert status == 0
        assert os.readlink(link) == "real" and os.readlink(chain) == "../link"
        assert real.read_text() == inputs.output(command)
        assert_types_kept(before)
        assert_listing(outdir, "link", "real", "sub")
        assert_listing(other, "chain")
        real.write_text(PREVIOUS)


@pytest.mark.parametrize("command", COMMANDS)
def test_dangling_symlink_gets_its_target_created(inputs, outdir, command, capsys):
    link = outdir / "link"
    link.symlink_to("real")
    real = outdir / "real"
    before = file_types(link, real)
    status, _, _ = run(inputs.argv(command) + ["-o", link], capsys)
    assert status == 0
    assert os.readlink(link) == "real"
    assert real.read_text() == inputs.output(command)
    assert_types_kept(before, created=[real])
    assert_listing(outdir, "link", "real")


@pytest.mark.parametrize("command", COMMANDS)
def test_fifo_reader_receives_the_whole_output(inputs, outdir, command, capsys):
    fifo = outdir / "fifo"
    os.mkfifo(fifo)
    before = file_types(fifo)
    reader = FifoReader(fifo)
    status, out, _ = run(inputs.argv(command) + ["-o", fifo], capsys)
    assert status == 0 and out == ""
    assert reader.data() == inputs.output(command)
    assert_types_kept(before)
    assert_listing(outdir, "fifo")


@pytest.mark.parametrize("command", COMMANDS)
def test_dash_is_standard_output(inputs, outdir, command, capsys, monkeypatch):
    monkeypatch.chdir(outdir)
    status, out, _ = run(inputs.argv(command) + ["-o", "-"], capsys)
    assert status == 0
    assert out == inputs.output(command)
    assert_listing(outdir)


@pytest.mark.parametrize("command", COMMANDS)
def test_dev_stdout_continues_what_stdout_holds(inputs, command, capfd):
    """Not reopened with truncation: `{ echo x; membudget ... -o /dev/stdout; } >log`
    keeps the x."""
    os.write(1, b"written before\n")
    status = cli.main(inputs.argv(command) + ["-o", "/dev/stdout"])
    assert status == 0
    assert capfd.readouterr().out == "written before\n" + inputs.output(command)


@pytest.mark.parametrize("name", ["/dev/fd/{fd}", "/proc/self/fd/{fd}"])
def test_descriptor_names_write_to_the_open_descriptor(inputs, tmp_path, name, capsys):
    log = tmp_path / "log"
    log.write_text("line 1\n")
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    try:
        before = file_types(log)
        status, _, _ = run(inputs.argv("report") + ["-o", name.format(fd=fd)], capsys)
    finally:
        os.close(fd)
    assert status == 0
    assert log.read_text() == "line 1\n" + inputs.output("report")
    assert_types_kept(before)
    assert_listing(tmp_path, "log")


def test_link_to_dev_stdout_writes_to_stdout(inputs, outdir):
    """Through the link the kernel follows /proc's links too ("pipe:[N]",
    which no path names)."""
    link = outdir / "link"
    link.symlink_to("/dev/stdout")
    before = file_types(link)
    proc = launch(*inputs.argv("report"), "-o", link)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == inputs.output("report")
    assert_types_kept(before)
    assert_listing(outdir, "link")


def test_descriptor_not_open_is_bad_input(inputs, capsys):
    fd = os.open(os.devnull, os.O_RDONLY)
    os.close(fd)
    status, _, err = run(inputs.argv("report") + ["-o", f"/dev/fd/{fd}"], capsys)
    assert_one_line(status, err, f"membudget: /dev/fd/{fd}: Bad file descriptor")


@pytest.mark.parametrize("command", COMMANDS)
def test_character_device_stays_a_device(inputs, outdir, command, capsys):
    dev = make_null_device(outdir / "null")
    rdev = dev.stat().st_rdev
    before = file_types(dev)
    status, _, _ = run(inputs.argv(command) + ["-o", dev], capsys)
    assert status == 0
    assert_types_kept(before)
    assert dev.stat().st_rdev == rdev
    assert_listing(outdir, "null")


def test_unix_socket_gets_the_output(inputs, outdir, capsys):
    import socket

    path = outdir / "sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    received = []

    def serve():
        try:
            conn, _ = server.accept()
        except OSError:
            return          # nobody came (or the test is over)
        with conn:
            while chunk := conn.recv(1 << 16):
                received.append(chunk)

    server.settimeout(30)
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    before = file_types(path)
    try:
        status, _, _ = run(inputs.argv("report") + ["-o", path], capsys)
        thread.join(30)
    finally:
        server.close()
    assert status == 0
    assert b"".join(received).decode() == inputs.output("report")
    assert_types_kept(before)
    assert_listing(outdir, "sock")


@pytest.mark.parametrize("mode", [0o444, 0o664, 0o600, 0o4755])
@pytest.mark.parametrize("command", COMMANDS)
def test_replaced_file_keeps_its_mode(inputs, outdir, command, mode, capsys, umask_022):
    """Read-only (replaced anyway: as root, and in a writable directory),
    group-writable for a shared results directory, private, set-user-ID."""
    target = outdir / "out"
    target.write_text(PREVIOUS)
    target.chmod(mode)
    before = file_types(target)
    status, _, _ = run(inputs.argv(command) + ["-o", target], capsys)
    assert status == 0
    assert target.read_text() == inputs.output(command)
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert_types_kept(before)
    assert_listing(outdir, "out")


@pytest.mark.parametrize("command", COMMANDS)
def test_replaced_file_keeps_its_owner_and_group(inputs, outdir, command, capsys):
    if os.geteuid() != 0:
        pytest.skip("giving a file to another owner (chown) needs root")
    target = outdir / "out"
    target.write_text(PREVIOUS)
    os.chown(target, 4242, 4343)
    status, _, _ = run(inputs.argv(command) + ["-o", target], capsys)
    assert status == 0
    assert target.read_text() == inputs.output(command)
    st = target.stat()
    assert (st.st_uid, st.st_gid) == (4242, 4343)


# Targets that are bad input: one line, exit 2, nothing created

@pytest.mark.parametrize("name, message", [
    ("dir", "Is a directory"),
    ("link-to-dir", "Is a directory"),
    ("missing/out", "No such file or directory"),
    ("dangling-into-missing", "No such file or directory"),
    ("new/", "Is a directory"),
    ("file/", "Not a directory"),
])
@pytest.mark.parametrize("command", COMMANDS)
def test_directory_or_missing_directory_is_bad_input(inputs, outdir, command, name,
                                                     message, capsys):
    (outdir / "dir").mkdir()
    (outdir / "link-to-dir").symlink_to("dir")
    (outdir / "dangling-into-missing").symlink_to("missing/out")
    (outdir / "file").write_text(PREVIOUS)
    names = sorted(os.listdir(outdir))
    kept = identity(outdir / "file")
    before = file_types(*(outdir / n for n in names), outdir / "new", outdir / "missing")
    target = f"{outdir}/{name}"
    freeze_mtime(outdir)
    status, out, err = run(inputs.argv(command) + ["-o", target], capsys)
    assert_one_line(status, err, f"membudget: {target}: {message}")
    assert out == ""
    assert_mtime_frozen(outdir)
    assert_types_kept(before)
    assert_listing(outdir, *names)
    assert_listing(outdir / "dir")
    assert identity(outdir / "file") == kept


# A command that fails never touches its target; one over budget still writes

def _targets(outdir, kind):
    """Make a target of kind in outdir: (the -o path, the names to watch)."""
    if kind == "file":
        path = outdir / "out"
        path.write_text(PREVIOUS)
        return path, [path]
    if kind == "link":
        (outdir / "real").write_text(PREVIOUS)
        (outdir / "link").symlink_to("real")
        return outdir / "link", [outdir / "link", outdir / "real"]
    if kind == "dangling":
        (outdir / "link").symlink_to("real")
        return outdir / "link", [outdir / "link", outdir / "real"]
    if kind == "fifo":
        os.mkfifo(outdir / "fifo")
        return outdir / "fifo", [outdir / "fifo"]
    if kind == "device":
        return make_null_device(outdir / "null"), [outdir / "null"]
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["file", "link", "dangling", "fifo", "device"])
@pytest.mark.parametrize("command", COMMANDS)
def test_failing_command_never_touches_the_target(inputs, outdir, command, kind, capsys):
    target, watched = _targets(outdir, kind)
    names = sorted(os.listdir(outdir))
    before = file_types(*watched)
    regular = [p for p in watched if os.path.isfile(p)]
    kept = {p: identity(p) for p in regular}
    reader = FifoReader(target) if kind == "fifo" else None
    freeze_mtime(outdir)
    status, out, err = run(inputs.argv(command, "bad") + ["-o", target], capsys)
    assert_one_line(status, err, f"membudget: {inputs.missing}: ")
    assert out == ""
    assert_mtime_frozen(outdir)
    if reader:
        assert reader.data() == ""
    assert_types_kept(before)
    assert_listing(outdir, *names)
    assert {p: identity(p) for p in regular} == kept


@pytest.mark.parametrize("kind", ["file", "link", "fifo"])
@pytest.mark.parametrize("command", OVER_COMMANDS)
def test_budget_exceeded_still_writes(inputs, outdir, command, kind, capsys):
    target, watched = _targets(outdir, kind)
    names = sorted(os.listdir(outdir))
    before = file_types(*watched)
    reader = FifoReader(target) if kind == "fifo" else None
    status, out, _ = run(inputs.argv(command, "over") + ["-o", target], capsys)
    assert status == 1 and out == ""
    expected = inputs.output(command, "over")
    assert expected != inputs.output(command)
    written = reader.data() if reader else Path(watched[-1]).read_text()
    assert written == expected
    assert_types_kept(before)
    assert_listing(outdir, *names)


@pytest.mark.parametrize("command, variant",
                         [(c, v) for c in COMMANDS for v in ("ok", "bad")]
                         + [(c, "over") for c in OVER_COMMANDS])
def test_commands_write_only_through_output_write(inputs, outdir, command, variant,
                                                  monkeypatch, capsys):
    """The one routine, called once with the whole output; never on bad input."""
    calls = []
    monkeypatch.setattr(output, "write", lambda text, path=None: calls.append((text, path)))
    target = outdir / "out"
    status, out, _ = run(inputs.argv(command, variant) + ["-o", target], capsys)
    assert status == inputs.status(variant) and out == ""
    if variant == "bad":
        assert calls == []
    else:
        assert calls == [(inputs.output(command, variant), str(target))]
    assert_listing(outdir)


# Interrupted or failing half way through writing

#: Runs cli.main with every file opened for writing slowed down: the first
#: write() writes half its text, says WRITING on stderr and sleeps until the
#: test's signal arrives
SLOW_WRITER = r"""
import builtins, os, sys, time
sys.path.insert(0, sys.argv[1])
from membudget import cli


class Slow:
    def __init__(self, f):
        self._f = f

    def write(self, text):
        half = len(text) // 2
        self._f.write(text[:half])
        self._f.flush()
        os.write(2, b"WRITING\n")
        time.sleep(120)
        raise SystemExit("the test's signal never came")

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self._f.__exit__(*exc)


def slowed(opener):
    def open_(file, mode="r", *args, **kwargs):
        f = opener(file, mode, *args, **kwargs)
        return Slow(f) if set(mode) & set("wax+") else f
    return open_


builtins.open = slowed(builtins.open)
os.fdopen = slowed(os.fdopen)
sys.exit(cli.main(sys.argv[2:]))
"""


def interrupt_mid_write(argv, target, signum):
    """Run argv -o target, signal it half way through writing; return
    (status, stderr, names in the directory while it was writing)."""
    proc = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(ROOT / "tools"),
                             *argv, "-o", str(target)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seen = []
        while (line := proc.stderr.readline()) != "WRITING\n":
            seen.append(line)
            assert line, f"exit {proc.wait()} before writing: {''.join(seen)}"
        writing = sorted(os.listdir(target.parent))
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, "".join(seen) + err, writing


def assert_interrupted(target, status, err, writing, old):
    # While writing there was the old target and one partial temporary file
    assert len(writing) == 2 and target.name in writing, writing
    assert (status, err) == (2, "membudget: interrupted\n")
    assert_listing(target.parent, target.name)
    assert identity(target) == old


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM],
                         ids=["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("command", COMMANDS)
def test_interrupted_run_leaves_no_temporary_file(inputs, outdir, command, signum):
    target = outdir / "out"
    target.write_text(PREVIOUS)
    old = identity(target)
    before = file_types(target)
    status, err, writing = interrupt_mid_write(inputs.argv(command), target, signum)
    assert_interrupted(target, status, err, writing, old)
    assert_types_kept(before)


@pytest.fixture(scope="module")
def big_elf(tmp_path_factory):
    """40,000 functions: a --by symbol JSON report of about 8 MB."""
    count = 40000
    path = tmp_path_factory.mktemp("big") / "big.elf"
    text = Section(".text", "code", 0x100000, 16 * count, b"\x90" * 16 * count)
    write_elf(path, [text], [Symbol(f"function_number_{i}", 0, 0x100000 + 16 * i, 16,
                                    STT_FUNC, STB_GLOBAL) for i in range(count)])
    return path


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM],
                         ids=["SIGINT", "SIGTERM"])
def test_interrupted_large_report(big_elf, outdir, signum):
    target = outdir / "report.json"
    target.write_text(PREVIOUS)
    old = identity(target)
    before = file_types(target)
    argv = ["report", str(big_elf), "--by", "symbol", "--top", "100000", "--format",
            "json"]
    status, err, writing = interrupt_mid_write(argv, target, signum)
    assert_interrupted(target, status, err, writing, old)
    assert_types_kept(before)


@pytest.mark.parametrize("command", COMMANDS)
def test_write_error_leaves_no_temporary_file(inputs, outdir, command):
    """The file system says no half way (EFBIG under RLIMIT_FSIZE, as it
    would say ENOSPC): one line, exit 2, the old target intact."""
    target = outdir / "out"
    target.write_text(PREVIOUS)
    old = identity(target)
    limit = len(inputs.output(command)) // 2

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = launch(*inputs.argv(command), "-o", target, preexec_fn=small_files,
                  env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    assert_one_line(proc.returncode, proc.stderr, f"membudget: {target}: File too large")
    assert_listing(outdir, "out")
    assert identity(target) == old


# End to end through the launcher, as the acceptance runs it

def test_launcher_report_to_device_fifo_and_link(inputs, outdir):
    expected = inputs.output("report")
    fifo = outdir / "fifo"
    os.mkfifo(fifo)
    (outdir / "real").write_text(PREVIOUS)
    (outdir / "link").symlink_to("real")
    watched = [fifo, outdir / "real", outdir / "link"]
    if os.geteuid() == 0:
        watched.append(make_null_device(outdir / "null"))
    before = file_types(*watched)
    reader = FifoReader(fifo)
    proc = launch(*inputs.argv("report"), "-o", fifo)
    assert proc.returncode == 0, proc.stderr
    assert reader.data() == expected
    proc = launch(*inputs.argv("report"), "-o", outdir / "link")
    assert proc.returncode == 0, proc.stderr
    assert (outdir / "real").read_text() == expected
    if os.geteuid() == 0:
        proc = launch(*inputs.argv("report"), "-o", outdir / "null")
        assert proc.returncode == 0, proc.stderr
    assert_types_kept(before)
    assert_listing(outdir, *(p.name for p in watched))


def test_make_writes_reports_with_dash_o():
    """`make baseline`, `make report` (the HTML page) and the lds fragment
    name their file with -o (through output.write), never a redirection."""
    proc = subprocess.run(["make", "-n", "--no-print-directory", "BUILD=build-dry-run",
                           "baseline", "report", "lds"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    # one command per line, continuations joined
    lines = [line for line in proc.stdout.replace("\\\n", " ").splitlines()
             if "tools/membudget" in line]
    assert lines and not [line for line in lines if ">" in line]
    outputs = {line.split(" -o ")[1].split()[0] for line in lines if " -o " in line}
    assert outputs == {"reports/baseline.json", "reports/firmware.html",
                       "build-dry-run/budgets.lds"}
    # make diff BASE=<rev> snapshots the base the same way
    script = (ROOT / "mk" / "diff-base.sh").read_text().replace("\\\n", " ")
    calls = [line for line in script.splitlines() if "tools/membudget" in line]
    assert len(calls) == 2 and not [line for line in calls if ">" in line]
    assert '-o "$snapshot"' in calls[0]
