"""Parse the boot payload's debug-console transcript.

The line format is documented in firmware/arch/i386/payload.c: a keyword,
then hexadecimal numbers without a prefix.  Parsing is strict: an unknown
or malformed line is an error, so a payload change cannot silently
weaken the checks.
"""

from dataclasses import dataclass, field

SMAP = 0x534D4150
RAM = 1


class TranscriptError(Exception):
    """A line the parser does not understand."""


@dataclass(frozen=True)
class Range:
    """A byte range [start, end)."""

    start: int
    end: int

    def __str__(self):
        return f"{self.start:#x}-{self.end:#x}"


@dataclass(frozen=True)
class Entry:
    """One E820 entry as a caller received it."""

    start: int
    length: int
    type: int
    attrs: int

    @property
    def end(self):
        return self.start + self.length


@dataclass(frozen=True)
class Call:
    """One INT 15h E820h call made by the payload through the hook."""

    bufsize: int
    index: int
    cf: int
    eax: int
    ebx: int
    ecx: int
    kept: int
    over: int
    entry: Entry


@dataclass(frozen=True)
class Legacy:
    """E801h and 88h answers (the 88h answer is ``kib``)."""

    cf: int
    ax: int
    bx: int
    cx: int
    dx: int
    cf88: int = 0
    kib: int = 0


@dataclass
class Transcript:
    """Everything one boot printed."""

    image: Range = None
    heap: Range = None
    ublocks: list = field(default_factory=list)
    hidden: list = field(default_factory=list)
    big: tuple = None
    checks: tuple = None
    bios: list = field(default_factory=list)
    bios_ecx: list = field(default_factory=list)
    calls: dict = field(default_factory=dict)
    fake_bios: list = field(default_factory=list)
    fake_bios_ecx: list = field(default_factory=list)
    fake_calls: dict = field(default_factory=dict)
    e801: dict = field(default_factory=dict)
    e88: dict = field(default_factory=dict)
    stacks: dict = field(default_factory=dict)   # entry -> (used, size)
    done: bool = False
    last_line: str = ""
    # Not printed by the payload: what the firmware must hide, derived
    # from its ELF by the boot test (name, Range) pairs, page-rounded
    layout: list = field(default_factory=list)

    def sequence(self, bufsize):
        """Return the E820 calls made with one buffer size."""
        return self.calls.get(bufsize, [])

    def faked(self):
        """Return the transcript as if the fake BIOS were the BIOS."""
        return Transcript(image=self.image, heap=self.heap,
                          ublocks=self.ublocks, hidden=self.hidden,
                          layout=self.layout, bios=self.fake_bios, bios_ecx=self.fake_bios_ecx,
                          calls=self.fake_calls)

    def legacy(self, how):
        """Return the combined E801h/88h answer ('hook' or 'bios')."""
        cf, ax, bx, cx, dx = self.e801[how]
        cf88, kib = self.e88[how]
        return Legacy(cf, ax, bx, cx, dx, cf88, kib)


def _numbers(words, count, line):
    if len(words) != count:
        raise TranscriptError(f"expected {count} numbers: {line!r}")
    try:
        return [int(word, 16) for word in words]
    except ValueError:
        raise TranscriptError(f"not hexadecimal: {line!r}") from None


def parse(text):
    """Parse a transcript; tolerate a truncated last line (a hang)."""
    result = Transcript()
    lines = text.splitlines()
    partial = lines.pop() if lines and not text.endswith("\n") else ""
    for line in lines:
        if line.strip():
            result.last_line = line
        words = line.split()
        if not words:
            continue
        key, rest = words[0], words[1:]
        if key == "fw" and rest:
            _parse_fw(result, rest[0], rest[1:], line)
        elif key in ("bios", "fakebios"):
            ecx, start, length, type_, attrs = _numbers(rest, 5, line)
            fake = key == "fakebios"
            (result.fake_bios if fake else result.bios).append(
                Entry(start, length, type_, attrs))
            (result.fake_bios_ecx if fake else result.bios_ecx).append(ecx)
        elif key in ("e820", "fake"):
            n = _numbers(rest, 12, line)
            call = Call(*n[:8], Entry(*n[8:]))
            calls = result.fake_calls if key == "fake" else result.calls
            calls.setdefault(call.bufsize, []).append(call)
        elif key in ("e801", "e88") and rest and rest[0] in ("hook", "bios"):
            table = result.e801 if key == "e801" else result.e88
            size = 5 if key == "e801" else 2
            table[rest[0]] = tuple(_numbers(rest[1:], size, line))
        elif key == "stack" and rest:
            result.stacks[rest[0]] = tuple(_numbers(rest[1:], 2, line))
        elif key == "done" and not rest:
            result.done = True
        else:
            raise TranscriptError(f"unknown line: {line!r}")
    if partial:
        result.last_line = partial
    return result


def _parse_fw(result, what, words, line):
    if what in ("image", "heap", "ublock", "hide"):
        span = Range(*_numbers(words, 2, line))
        if what == "image":
            result.image = span
        elif what == "heap":
            result.heap = span
        elif what == "ublock":
            result.ublocks.append(span)
        else:
            result.hidden.append(span)
    elif what == "big":
        result.big = tuple(_numbers(words, 3, line))
    elif what == "checks":
        result.checks = tuple(_numbers(words, 3, line))
    else:
        raise TranscriptError(f"unknown firmware fact: {line!r}")
