"""Tests for build/host/heapsim, the heap trace simulator.

heapsim replays traces (docs/design.md "Simulators") against the firmware heap built
for the host.  These tests drive it on the hand-written traces in
tests/sim/heap/, on random traces generated here, on the recorded-style
traces in tests/traces/, and on every kind of malformed input.

For traces that never run short of room, a small Python model of the heap's
accounting predicts ops, failures, live blocks, used and peak bytes.
"""

import json
import random
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
HEAPSIM = REPO / "build" / "host" / "heapsim"
HAND_WRITTEN = REPO / "tests" / "sim" / "heap"
TRACES = REPO / "tests" / "traces"



def heapsim_word():
    """Bytes in a word of the heapsim binary: built -m32, it is 4."""
    try:
        with open(HEAPSIM, "rb") as f:
            ident = f.read(5)
    except OSError:
        return struct.calcsize("N")
    return 4 if ident[4] == 1 else 8     # EI_CLASS: ELFCLASS32 or 64


# The heap's granularity as heapsim runs it: two words
# (firmware/include/malloc.h), as in the i386 firmware
WORD = heapsim_word()
GRAN = 2 * WORD
SIZE_MAX = (1 << (8 * WORD)) - 1


@pytest.fixture(scope="module")
def heapsim():
    if not HEAPSIM.exists():
        pytest.fail(f"{HEAPSIM} is missing: run `make host`")
    return HEAPSIM


def run(heapsim, arg, stdin=None):
    """Run heapsim; return the CompletedProcess (text mode)."""
    return subprocess.run([str(heapsim), str(arg)], input=stdin,
                          capture_output=True, text=True, timeout=120)


def parse_output(stdout):
    """heapsim's `key value` lines as a dict of ints."""
    result = {}
    for line in stdout.splitlines():
        key, value = line.split()
        result[key] = int(value)
    return result


def round_up(n):
    return (n + GRAN - 1) // GRAN * GRAN


@dataclass
class Model:
    """The heap's accounting, for traces that never run short of room.

    A request fails exactly when it can never fit (beyond the free bytes,
    or a non-power-of-two alignment); placement is not modelled, so the
    traces checked against it stay far from full.
    """
    pool: int
    used: int = 0
    peak: int = 0
    failures: int = 0
    ops: int = 0
    held: dict = field(default_factory=dict)  # id -> block bytes or None

    def _alloc(self, block):
        if block > self.pool - self.used:
            self.failures += 1
            return None
        self.used += block
        self.peak = max(self.peak, self.used)
        return block

    @staticmethod
    def malloc_block(size):
        # A zero size still takes a granule after the header
        return round_up(max(size, 1) + GRAN)

    def step(self, words):
        op, args = words[0], [int(w, 0) for w in words[1:]]
        self.ops += 1
        if op in ("malloc", "zalloc"):
            self.held[args[0]] = self._alloc(self.malloc_block(args[1]))
        elif op == "dma":
            ident, size, align = args
            if align & (align - 1):
                self.failures += 1
                self.held[ident] = None
            else:
                self.held[ident] = self._alloc(round_up(max(size, 1)))
        elif op in ("free", "freedma"):
            self.used -= self.held.pop(args[0]) or 0
        elif op == "realloc":
            ident, size = args
            old = self.held.get(ident)
            if not old:
                self.held[ident] = self._alloc(self.malloc_block(size))
            elif size == 0:
                self.used -= old
                self.held[ident] = None
            else:
                new = self.malloc_block(size)
                if new <= old:
                    self.used -= old - new
                    self.held[ident] = new
                elif self._alloc(new) is not None:
                    # Moved (or grown in place): the old block goes
                    self.used -= old
                    self.held[ident] = new

    def run(self, text):
        for line in text.splitlines():
            words = line.split("#", 1)[0].split()
            if words:
                self.step(words)
        return {"ops": self.ops, "failures": self.failures,
                "live": sum(1 for b in self.held.values() if b),
                "used": self.used, "peak_used": self.peak}


def check_consistent(stats):
    """What must hold for any successful run."""
    assert stats["free"] + stats["used"] == stats["pool"]
    assert stats["largest_free"] <= stats["free"]
    assert stats["peak_used"] >= stats["used"]
    if stats["live"] == 0:
        assert stats["used"] == 0
        assert stats["largest_free"] == stats["pool"]


# ---------------------------------------------------------------------
# Hand-written traces

GOOD_TRACES = sorted(p for p in HAND_WRITTEN.glob("*.trace")
                     if not p.name.startswith("bad_"))


def test_hand_written_traces_exist():
    assert len(GOOD_TRACES) >= 3


@pytest.mark.parametrize("path", GOOD_TRACES, ids=lambda p: p.name)
def test_hand_written_trace_matches_model(heapsim, path):
    result = run(heapsim, path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    stats = parse_output(result.stdout)
    check_consistent(stats)
    expected = Model(stats["pool"]).run(path.read_text())
    assert {k: stats[k] for k in expected} == expected


def test_output_keys(heapsim):
    stats = parse_output(run(heapsim, HAND_WRITTEN / "basic.trace").stdout)
    for key in ("ops", "failures", "peak_used", "free", "largest_free",
                "used", "live", "pool"):
        assert key in stats


def test_bad_line_file_names_line(heapsim):
    path = HAND_WRITTEN / "bad_line.trace"
    result = run(heapsim, path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"{path}:6: ")


# ---------------------------------------------------------------------
# Random traces

SIZES = ((0.70, 0, 256), (0.25, 256, 2048), (0.04, 2048, 16384),
         (0.01, None, None))
HOSTILE = (0, 1, 7, 8, 100, 4095)


def random_size(rng):
    pick = rng.random()
    for weight, low, high in SIZES:
        if pick < weight:
            break
        pick -= weight
    if low is None:
        return SIZE_MAX - rng.choice(HOSTILE)
    return rng.randrange(low, high)


def number(rng, value):
    return hex(value) if rng.random() < 0.2 else str(value)


def random_trace(seed, n_ops, n_ids=200):
    """A valid trace of @n_ops operations over @n_ids ids.

    Tracks what each id holds (a failed allocation still holds NULL), so
    every line is well formed whatever the heap does.
    """
    rng = random.Random(seed)
    held = {}
    lines = [f"# random trace, seed {seed}"]
    for _ in range(n_ops):
        ident = rng.randrange(n_ids)
        kind = held.get(ident)
        r = rng.random()
        size = number(rng, random_size(rng))
        if r < 0.01:
            lines.append("check")
        elif kind is None:
            if r < 0.15:
                align = rng.choice((0, 1, 3, 16, 64, 512, 4096, 8192))
                lines.append(f"dma {ident} {size} {number(rng, align)}")
                held[ident] = "dma"
            else:
                op = rng.choice(("malloc", "malloc", "zalloc", "realloc"))
                lines.append(f"{op} {ident} {size}  # {op}")
                held[ident] = "malloc"
        elif kind == "dma":
            lines.append(f"freedma {ident}")
            del held[ident]
        elif r < 0.4:
            lines.append(f"realloc {ident} {size}")
        else:
            lines.append(f"free {ident}")
            del held[ident]
    return "\n".join(lines) + "\n"


def test_random_100k_ops(heapsim, tmp_path):
    trace = tmp_path / "random.trace"
    trace.write_text(random_trace(seed=20261124, n_ops=100_000))
    start = time.monotonic()
    result = run(heapsim, trace)
    elapsed = time.monotonic() - start
    assert result.returncode == 0, result.stderr
    stats = parse_output(result.stdout)
    assert stats["ops"] == 100_000
    # The trace is sized to run the heap short of room sometimes
    assert stats["failures"] > 0
    check_consistent(stats)
    # Sanitized host build, shared machine: generous, but not unbounded
    assert elapsed < 30, f"100k ops took {elapsed:.1f}s"


@pytest.mark.parametrize("seed", range(5))
def test_random_small_traces(heapsim, tmp_path, seed):
    trace = tmp_path / "small.trace"
    trace.write_text(random_trace(seed, n_ops=3000, n_ids=20))
    result = run(heapsim, trace)
    assert result.returncode == 0, result.stderr
    check_consistent(parse_output(result.stdout))


# ---------------------------------------------------------------------
# Input syntax: comments, hex, stdin

def test_comments_and_hex_change_nothing(heapsim, tmp_path):
    plain = tmp_path / "plain.trace"
    fancy = tmp_path / "fancy.trace"
    plain.write_text("malloc 1 300\ndma 2 100 4096\nrealloc 1 1000\n"
                     "freedma 2\ncheck\n")
    fancy.write_text("# header\n\n   \nmalloc 0x1 0x12c   # 300\n"
                     "\tdma 2 100 0X1000\n# realloc 9 9\nrealloc 1 1000#x\n"
                     "freedma 0x2\ncheck # done\n# trailing\n")
    a, b = run(heapsim, plain), run(heapsim, fancy)
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout
    assert parse_output(a.stdout)["ops"] == 5


def test_last_line_without_newline(heapsim, tmp_path):
    trace = tmp_path / "t.trace"
    trace.write_text("malloc 1 10\nfree 1")
    result = run(heapsim, trace)
    assert result.returncode == 0, result.stderr
    assert parse_output(result.stdout)["ops"] == 2


def test_stdin(heapsim):
    text = (HAND_WRITTEN / "basic.trace").read_text()
    from_stdin = run(heapsim, "-", stdin=text)
    from_file = run(heapsim, HAND_WRITTEN / "basic.trace")
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert from_stdin.stdout == from_file.stdout


def test_stdin_malformed_names_line(heapsim):
    result = run(heapsim, "-", stdin="malloc 1 1\nbogus\n")
    assert result.returncode == 2
    assert result.stderr.startswith("<stdin>:2: ")


def test_empty_trace(heapsim):
    result = run(heapsim, "-", stdin="# nothing\n")
    assert result.returncode == 0
    stats = parse_output(result.stdout)
    assert stats["ops"] == 0 and stats["used"] == 0
    assert stats["free"] == stats["pool"]


def test_failed_allocation_holds_null(heapsim):
    # The failed id may be freed (free(NULL)) and allocated again
    result = run(heapsim, "-", stdin=f"malloc 1 {SIZE_MAX}\nfree 1\n"
                 f"malloc 1 {SIZE_MAX}\nmalloc 1 10\nfree 1\n")
    assert result.returncode == 0, result.stderr
    stats = parse_output(result.stdout)
    assert stats["failures"] == 2
    assert stats["used"] == 0


# ---------------------------------------------------------------------
# Malformed input: exit 2, "file:line: message", nothing on stdout

MALFORMED = [
    # (lines before the bad one, bad line, words expected in the message)
    ([], "frobnicate 1 2", "unknown operation 'frobnicate'"),
    ([], "MALLOC 1 2", "unknown operation"),
    ([], "malloc 1 12abc", "bad size"),
    ([], "malloc 1 -5", "bad size"),
    ([], "malloc 1 +5", "bad size"),
    ([], "malloc 1 0x", "bad size"),
    ([], "malloc 1 1.5", "bad size"),
    ([], "malloc 1 0xfg", "bad size"),
    ([], "malloc x1 5", "bad id"),
    ([], "dma 1 10 4k", "bad alignment"),
    ([], f"malloc 1 {SIZE_MAX + 1}", "out of range"),
    ([], "malloc 1048576 1", "id 1048576 out of range"),
    ([], "malloc 1", "malloc takes 2 arguments, got 1"),
    ([], "zalloc", "zalloc takes 2 arguments, got 0"),
    ([], "malloc 1 5 6", "malloc takes 2 arguments, got 3"),
    ([], "dma 1 10", "dma takes 3 arguments"),
    ([], "realloc 1", "realloc takes 2 arguments"),
    ([], "free", "free takes 1 argument, got 0"),
    ([], "freedma 1 2", "freedma takes 1 argument, got 2"),
    ([], "check now", "check takes 0 arguments"),
    (["malloc 1 10"], "malloc 1 20", "holds a live block"),
    (["dma 1 10 16"], "zalloc 1 20", "holds a live block"),
    (["malloc 1 10"], "dma 1 20 16", "holds a live block"),
    ([], "free 7", "free of id 7, which holds nothing"),
    ([], "freedma 7", "freedma of id 7, which holds nothing"),
    (["malloc 1 10", "free 1"], "free 1", "holds nothing"),
    (["malloc 1 10"], "freedma 1", "allocated by malloc"),
    (["dma 1 10 16"], "free 1", "allocated by dma"),
    (["dma 1 10 16"], "realloc 1 20", "allocated by dma"),
    ([], "malloc 1 1" + " " * 600, "longer than"),
]


@pytest.mark.parametrize("before,bad,message", MALFORMED,
                         ids=[m[1][:24] for m in MALFORMED])
def test_malformed(heapsim, tmp_path, before, bad, message):
    lines = ["# a header comment", "", "malloc 100 8"] + before + [bad,
                                                                   "free 100"]
    bad_line = 3 + len(before) + 1
    trace = tmp_path / "bad.trace"
    trace.write_text("\n".join(lines) + "\n")
    result = run(heapsim, trace)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"{trace}:{bad_line}: ")
    assert message in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_usage_errors(heapsim, tmp_path):
    assert subprocess.run([str(heapsim)], capture_output=True).returncode == 2
    result = run(heapsim, tmp_path / "missing.trace")
    assert result.returncode == 2
    assert "missing.trace" in result.stderr


# ---------------------------------------------------------------------
# Recorded-style traces under tests/traces

sys.path.insert(0, str(TRACES))
import gen_traces  # noqa: E402


def test_traces_are_generated():
    """The committed traces are exactly what gen_traces.py writes."""
    generated = gen_traces.generate()
    assert len(generated) == 4
    for name, text in generated.items():
        assert (TRACES / name).read_text() == text, f"{name} is stale"


@pytest.mark.parametrize("name", sorted(gen_traces.WORKLOADS))
def test_traces_run_clean(heapsim, name):
    result = run(heapsim, TRACES / name)
    assert result.returncode == 0, result.stderr
    stats = parse_output(result.stdout)
    check_consistent(stats)
    assert stats["live"] == 0
    assert stats["ops"] > 400


# ---------------------------------------------------------------------
# --json: the same statistics as one JSON object (membudget reads it)

def run_json(heapsim, arg, stdin=None):
    return subprocess.run([str(heapsim), "--json", str(arg)], input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", sorted(gen_traces.WORKLOADS))
def test_json_equals_key_value_output(heapsim, name):
    plain = run(heapsim, TRACES / name)
    as_json = run_json(heapsim, TRACES / name)
    assert as_json.returncode == plain.returncode == 0, as_json.stderr
    stats = json.loads(as_json.stdout)
    assert stats == parse_output(plain.stdout)
    assert list(stats) == ["ops", "failures", "live", "used", "peak_used",
                           "free", "largest_free", "pool"]
    assert all(type(v) is int for v in stats.values())
    assert as_json.stdout.count("\n") == 1


def test_json_stdin_and_failures(heapsim):
    """A failed allocation counts in the JSON too; stdin works."""
    stats = json.loads(run_json(heapsim, "-", "malloc 1 16\nmalloc 2 0x7fffffff\n").stdout)
    assert stats["failures"] == 1
    assert stats["live"] == 1
    assert stats["ops"] == 2
    assert stats["used"] == stats["peak_used"] > 0


def test_the_highest_id_counts_at_the_end(heapsim):
    """The final tally looks as far as the highest id the trace names (and
    no further: the table holds 2^20): its live block counts."""
    stats = json.loads(run_json(heapsim, "-", "malloc 9 16\nmalloc 0x7ffff 8\n"
                                              "free 9\n").stdout)
    assert stats["live"] == 1
    assert stats["used"] > 0


def test_json_keeps_exit_codes(heapsim, tmp_path):
    trace = tmp_path / "bad.trace"
    trace.write_text("malloc 1 8\nfree 2\n")
    result = run_json(heapsim, trace)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"{trace}:2: ")
    for argv in (["--json"], ["--json", "a", "b"], ["--yaml", "a"],
                 ["--pool-address"], ["--pool-address", "8"]):
        result = subprocess.run([str(heapsim), *argv], capture_output=True, text=True)
        assert result.returncode == 2
        assert result.stderr.startswith("usage: heapsim [--json] [--pool-address ADDR] FILE")
        assert result.stdout == ""


@pytest.mark.parametrize("address", ["4", "0x1001", "-8", "8x", ""])
def test_pool_address_must_be_a_granule(heapsim, address):
    result = subprocess.run([str(heapsim), "--pool-address", address, "-"], input="",
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr == (f"heapsim: --pool-address {address}: not an address that "
                             f"is a multiple of {GRAN}\n")


def fragmentation_failures(sim, address):
    result = subprocess.run([str(sim), "--json", "--pool-address", hex(address),
                             str(TRACES / "fragmentation.trace")],
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)["failures"]


def test_pool_address_decides_aligned_slack(heapsim):
    """fragmentation.trace's DMA requests (up to 16 KiB aligned) fail more or
    less often with the pool's address modulo 16 KiB, and only with that:
    the same address 64 KiB further on replays alike."""
    addresses = [0, 0x10, 0x2000, 0xa5a0]
    failures = {a: fragmentation_failures(heapsim, a) for a in addresses}
    assert len(set(failures.values())) > 1, failures
    for address in addresses:
        assert fragmentation_failures(heapsim, address + 0x10000) == failures[address]


def test_release_and_test_builds_agree_once_placed(heapsim):
    """build/sim/heapsim (release, what make check runs) and the tests' build
    (sanitizers, DEBUG) differ in their pool's address, not in their heap:
    placed at one address, every trace replays alike."""
    release = REPO / "build" / "sim" / "heapsim"
    if not release.exists():
        pytest.fail(f"{release} is missing: run `make build/sim/heapsim`")
    for trace in sorted(TRACES.glob("*.trace")):
        outputs = [subprocess.run([str(sim), "--json", "--pool-address", "0xa5a0",
                                   str(trace)], capture_output=True, text=True,
                                  check=True).stdout for sim in (heapsim, release)]
        assert outputs[0] == outputs[1], trace.name


@pytest.fixture(scope="module")
def overlapping_heapsim(tmp_path_factory):
    """heapsim linked with tests/sim/overlap_heap.c, whose blocks overlap."""
    out = tmp_path_factory.mktemp("overlap") / "heapsim"
    subprocess.run(["gcc", "-std=gnu11", "-O2", "-m32", "-fno-builtin", "-DHOST_BUILD",
                    "-DHEAP_SIZE=131072", f"-I{REPO / 'firmware' / 'include'}",
                    str(REPO / "tools" / "sim" / "heapsim.c"),
                    str(REPO / "tests" / "sim" / "overlap_heap.c"), "-o", str(out)],
                   check=True)
    return out


# Block 1's size, and the byte of it that block 2 (8 bytes further on)
# overwrites first: in a whole word, in the bytes after the last word, or
# in the last of two words
@pytest.mark.parametrize("size, byte", [(16, 8), (9, 8), (12, 8)])
def test_heapsim_sees_blocks_overlap(overlapping_heapsim, size, byte):
    result = subprocess.run([str(overlapping_heapsim), "-"],
                            input=f"malloc 1 {size}\nmalloc 2 8\nfree 1\n",
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert f"id 1: byte {byte} of {size} overwritten" in result.stderr


def test_heapsim_passes_blocks_that_do_not_overlap(overlapping_heapsim):
    result = subprocess.run([str(overlapping_heapsim), "-"],
                            input="malloc 1 8\nmalloc 2 8\nfree 1\nfree 2\n",
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
