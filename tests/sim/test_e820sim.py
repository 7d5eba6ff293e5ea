"""Tests for build/host/e820sim, the INT 15h memory-map simulator.

e820sim runs the firmware's own mangler (built for the host) over a BIOS
map and hidden regions (docs/design.md "Simulators").  These tests drive it on the
hand-checked maps in tests/sim/e820/ (FILE.e820 with FILE.expected), on
random maps checked against an independent interval model written here,
and on every kind of bad input.
"""

import random
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
E820SIM = REPO / "build" / "host" / "e820sim"
MAPS = REPO / "tests" / "sim" / "e820"

PAGE = 0x1000
MB = 0x100000
TOP = 1 << 64


@pytest.fixture(scope="module")
def e820sim():
    if not E820SIM.exists():
        pytest.fail(f"{E820SIM} is missing: run `make host`")
    return E820SIM


def run(sim, *args, stdin=None):
    """Run e820sim; return the CompletedProcess (text mode)."""
    return subprocess.run([str(sim), *map(str, args)], input=stdin,
                          capture_output=True, text=True, timeout=60)


@dataclass(frozen=True)
class Entry:
    start: int
    length: int
    type: int
    attrs: int | None = None  # present only for 24-byte entries

    @property
    def end(self):
        """End of the entry, clipped at the top of the address space."""
        return min(self.start + self.length, TOP)


@dataclass
class Answer:
    entries: list
    e801: tuple
    kib_88: int


def parse_answer(stdout):
    """e820sim's output as entries plus the E801h and 88h answers."""
    entries, e801, kib_88 = [], None, None
    for line in stdout.splitlines():
        words = line.split()
        if words[0] == "e801":
            e801 = (int(words[1]), int(words[2]))
        elif words[0] == "88":
            kib_88 = int(words[1])
        else:
            assert e801 is None, "entry after the e801 line"
            attrs = int(words[3], 16) if len(words) == 4 else None
            entries.append(Entry(int(words[0], 16), int(words[1], 16),
                                 int(words[2]), attrs))
    assert e801 is not None and kib_88 is not None
    return Answer(entries, e801, kib_88)


def normalise(intervals):
    """Sorted, merged, non-empty [start, end) intervals."""
    merged = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [tuple(i) for i in merged]


def subtract(intervals, cuts):
    """Normalised intervals minus normalised cuts."""
    result = []
    for start, end in intervals:
        for cut_start, cut_end in cuts:
            if cut_end <= start or cut_start >= end:
                continue
            if cut_start > start:
                result.append((start, cut_start))
            start = max(start, cut_end)
        if start < end:
            result.append((start, end))
    return result


def page_round(start, end):
    """A hidden region as hide_region() stores it."""
    if start == end:
        return (start, start)
    up = (end + PAGE - 1) // PAGE * PAGE
    return (start // PAGE * PAGE, min(up, TOP - 1))


def usable_of(entries):
    return normalise((e.start, e.end) for e in entries if e.type == 1)


def check_answer(bios, hide, answer):
    """Check an answer against the model: bytes, entries, E801h, 88h."""
    hidden = normalise(page_round(*h) for h in hide)
    want = subtract(usable_of(bios), hidden)
    assert usable_of(answer.entries) == want
    assert all(e.length > 0 for e in answer.entries)
    others = [e for e in bios if e.type != 1 and e.length]
    assert [e for e in answer.entries if e.type != 1] == others

    # The BIOS's extended memory: usable from 1 MiB on, below 4 GiB
    top = MB
    for start, end in usable_of(bios):
        if start <= top < end:
            top = min(end, 1 << 32)
    limit = min([max(s, MB) for s, e in hidden if e > MB], default=TOP)
    top = min(top, max(limit, MB))
    assert answer.e801[0] == (min(top, 16 * MB) - MB) // 1024
    assert answer.e801[1] == max(top - 16 * MB, 0) // 0x10000
    assert answer.kib_88 == min((top - MB) // 1024, 0xFFFF)


def map_text(bios, hide):
    lines = []
    for e in bios:
        attrs = "" if e.attrs is None else f" {e.attrs:#x}"
        lines.append(f"bios {e.start:#x} {e.length} {e.type}{attrs}")
    lines += [f"hide {s:#x} {e:#x}" for s, e in hide]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("path", sorted(MAPS.glob("*.e820")),
                         ids=lambda p: p.stem)
def test_hand_checked_maps(e820sim, path):
    result = run(e820sim, path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == path.with_suffix(".expected").read_text()


def test_issue_acceptance(e820sim):
    text = "bios 0 0x9fc00 1\nbios 0x100000 0x7f00000 1\n" \
           "hide 0x7e00000 0x8000000\n"
    result = run(e820sim, "-", stdin=text)
    assert result.returncode == 0, result.stderr
    usable = usable_of(parse_answer(result.stdout).entries)
    assert subtract(usable, [(0x7E00000, 0x8000000)]) == usable
    assert usable == [(0, 0x9FC00), (0x100000, 0x7E00000)]


def test_no_e820_bios(e820sim):
    """No entries at all: no entry lines, no extended memory."""
    result = run(e820sim, "-", stdin="# nothing\n\n")
    assert result.returncode == 0
    assert result.stdout == "e801 0 0\n88 0\n"


def random_map(rng):
    """A small map on a page grid near a random base, so ranges collide."""
    base = rng.choice([0, 0xFF000000, 1 << 40, TOP - 64 * PAGE])
    unit = rng.choice([1, 0x400, PAGE])
    bios = []
    for _ in range(rng.randrange(8)):
        length = rng.randrange(48) * unit if rng.randrange(6) else 0
        attrs = rng.choice([None, 0, 1, 3])
        bios.append(Entry(base + rng.randrange(48) * unit, length,
                          rng.choice([1, 1, 1, 2, 3, 4]), attrs))
    hide = []
    for _ in range(rng.randrange(4)):
        a, b = sorted(base + rng.randrange(48) * unit for _ in range(2))
        hide.append((a, b))
    if rng.randrange(4) == 0:
        bios.append(Entry(MB, rng.randrange(1, 64) * MB, 1))
    return bios, hide


def test_random_maps_against_model(e820sim):
    rng = random.Random(820)
    for _ in range(60):
        bios, hide = random_map(rng)
        text = map_text(bios, hide)
        result = run(e820sim, "-", stdin=text)
        assert result.returncode == 0, text + result.stderr
        check_answer(bios, hide, parse_answer(result.stdout))


def test_attrs_only_on_24_byte_entries(e820sim):
    result = run(e820sim, "-", stdin="bios 0 0x1000 1 0\nbios 0x1000 1 1\n")
    entries = parse_answer(result.stdout).entries
    assert entries == [Entry(0, 0x1000, 1, 0), Entry(0x1000, 1, 1)]


def test_truncated_map_is_a_violation(e820sim):
    """A one-entry buffer loses memory: the self-check must say so."""
    result = run(e820sim, "-n", 1, MAPS / "issue.e820")
    assert result.returncode == 1
    assert "invariant broken: usable byte lost at 0x0000000000100000" \
        in result.stderr
    assert len(parse_answer(result.stdout).entries) == 1
    # Room enough is no violation
    assert run(e820sim, "-n", 2, MAPS / "issue.e820").returncode == 0


@pytest.mark.parametrize("text, line, message", [
    ("bios 0 1\n", 1, "expected 'bios"),
    ("# ok\nbios 0 1 1 0 0\n", 2, "expected 'bios"),
    ("bios 0 0x 1\n", 1, "bad number '0x'"),
    ("\n\nbios 0 12a 1\n", 3, "bad number '12a'"),
    ("bios -1 1 1\n", 1, "bad number '-1'"),
    ("bios 0 0x10000000000000000 1\n", 1, "bad number"),
    ("bios 0 1 0x100000000\n", 1, "fit in 32 bits"),
    ("bios 0 1 1 0x100000000\n", 1, "fit in 32 bits"),
    ("hide 0x2000 0x1000\n", 1, "hide end below start"),
    ("hide 0x2000\n", 1, "expected 'hide"),
    ("bios 0 1 1\nreserve 0 1\n", 2, "unknown keyword 'reserve'"),
])
def test_malformed_line(e820sim, tmp_path, text, line, message):
    path = tmp_path / "bad.e820"
    path.write_text(text)
    result = run(e820sim, path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"{path}:{line}: ")
    assert message in result.stderr
    # The same from stdin names <stdin>
    result = run(e820sim, "-", stdin=text)
    assert result.returncode == 2
    assert result.stderr.startswith(f"<stdin>:{line}: ")


@pytest.mark.parametrize("args", [[], ["a", "b"], ["-n", "x", "-"],
                                  ["/nonexistent/map.e820"]])
def test_usage_errors(e820sim, args):
    result = run(e820sim, *args)
    assert result.returncode == 2
    assert result.stderr
