"""The boot test's assertions over one parsed transcript.

Each check returns a list of failure messages; an empty list passes.
Memory sets are lists of disjoint, sorted (start, end) pairs.

What must be hidden is derived, never taken from the firmware's own
hidden-region table: the image and the heap pool from the ELF
(transcript.layout, filled in by boot_test.py), umalloc's memory from the
blocks the boot code recorded as umalloc() returned them.  umalloc hides
one range, from the page of its lowest block's header (just below the
block) to the top of its region, so the expectation is the span of the
blocks, page-rounded; anything hidden beyond the expectation fails.
"""

from transcript import RAM, SMAP, Range

PAGE = 4096
MIB = 1 << 20
MIB16 = 16 << 20
E801_BLOCK = 64 << 10


def normalise(ranges):
    """Sort and merge (start, end) pairs, dropping empty ones."""
    merged = []
    for start, end in sorted(r for r in ranges if r[0] < r[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def subtract(ranges, holes):
    """Return ranges minus holes."""
    result = []
    holes = normalise(holes)
    for start, end in normalise(ranges):
        for hole_start, hole_end in holes:
            if hole_end <= start or hole_start >= end:
                continue
            if hole_start > start:
                result.append((start, hole_start))
            start = max(start, hole_end)
        if start < end:
            result.append((start, end))
    return result


def intersect(ranges, others):
    """Return the bytes in both sets."""
    return subtract(ranges, subtract(ranges, others))


def usable(entries):
    """Return the usable (type 1) memory of a map."""
    return normalise((e.start, e.end) for e in entries if e.type == RAM)


def show(ranges):
    """Format a memory set for a message."""
    return ", ".join(str(Range(s, e)) for s, e in ranges) or "nothing"


def mangled(transcript):
    """Return the map the hook gave to 24-byte callers (its full view)."""
    return [call.entry for call in transcript.sequence(24) if not call.cf]


def page_round(start, end):
    """Round [start, end) outward to whole pages."""
    return (start & ~(PAGE - 1), (end + PAGE - 1) & ~(PAGE - 1))


def umalloc_span(transcript):
    """The range umalloc must hide: its blocks' span, headers included."""
    blocks = [r for r in transcript.ublocks if r.start < r.end]
    if not blocks:
        return None
    # A block's header lies just below its data, in the page below
    start, end = page_round(min(r.start for r in blocks) - 1,
                            max(r.end for r in blocks))
    return Range(start, end)


def expected_hidden(transcript):
    """What must be hidden, with names: the ELF's image and heap pool,
    umalloc's span, and each recorded block on its own."""
    named = list(transcript.layout)
    span = umalloc_span(transcript)
    if span:
        named.append(("umalloc span", span))
    named += [(f"umalloc block {i}", r) for i, r in enumerate(transcript.ublocks)]
    return named


def check_boot(transcript):
    """The firmware came up and reported on itself."""
    failures = []
    if transcript.checks is None or transcript.image is None:
        return ["the firmware did not report its state"]
    umalloc_rc, heap_ok, ublock_ok = transcript.checks
    if umalloc_rc:
        failures.append("umalloc_init() failed")
    if not heap_ok:
        failures.append("heap exercise failed (malloc/zalloc/realloc/dma or heap_check)")
    if not ublock_ok or not transcript.ublocks:
        failures.append("umalloc/urealloc exercise failed")
    if not transcript.bios:
        failures.append("the original BIOS vector reported no E820 map")
    return failures


def check_big(transcript):
    """An umalloc() larger than free memory fails and changes nothing."""
    if transcript.big is None:
        return ["no report of the oversized umalloc()"]
    size, pointer, unchanged = transcript.big
    failures = []
    if pointer:
        failures.append(f"umalloc({size:#x}) returned {pointer:#x}, not NULL")
    if not unchanged:
        failures.append(f"umalloc({size:#x}) failed but changed the hidden regions")
    return failures


def check_sequence(transcript, bufsize):
    """One E820 sequence follows the protocol a kernel relies on."""
    calls = transcript.sequence(bufsize)
    if not calls:
        return [f"no E820 calls with a {bufsize}-byte buffer"]
    failures = []
    bios_ecx = max(transcript.bios_ecx, default=20)
    for position, call in enumerate(calls):
        where = f"{bufsize}-byte call {call.index}"
        if call.index != position:
            failures.append(f"{where}: transcript out of order")
        if call.cf or call.eax != SMAP:
            failures.append(f"{where}: CF={call.cf} EAX={call.eax:#x}")
            continue
        expected_ecx = 24 if bufsize >= 24 and bios_ecx >= 24 else 20
        if call.ecx != expected_ecx:
            failures.append(f"{where}: ECX={call.ecx}, expected {expected_ecx}")
        if not call.kept:
            failures.append(f"{where}: ESI/EDI/EBP/DS/ES/EDX not preserved")
        if call.over:
            failures.append(f"{where}: {call.over} bytes written beyond ECX or the buffer")
        if call.entry.length == 0:
            failures.append(f"{where}: empty entry")
    last = calls[-1]
    if last.cf or last.ebx:
        failures.append(
            f"{bufsize}-byte sequence did not end with EBX=0 and CF clear "
            f"(last: EBX={last.ebx:#x} CF={last.cf}, {len(calls)} calls)"
        )
    return failures


def check_agree(transcript):
    """20- and 24-byte callers see the same map."""
    short = [(e.start, e.length, e.type) for e in
             (c.entry for c in transcript.sequence(20) if not c.cf)]
    long = [(e.start, e.length, e.type) for e in mangled(transcript)]
    if short != long:
        return [f"20-byte map {short} differs from 24-byte map {long}"]
    return []


def check_hidden(transcript):
    """Nothing the firmware uses is reported usable."""
    failures = []
    visible = usable(mangled(transcript))
    named = expected_hidden(transcript)
    if not transcript.layout:
        failures.append("no image layout from the ELF")
    for name, r in named:
        leak = intersect([(r.start, r.end)], visible)
        if leak:
            failures.append(f"{name} {r} is reported usable: {show(leak)}")
    return failures


def check_preserved(transcript):
    """Every usable byte not expected hidden stays usable, nothing else
    changes."""
    failures = []
    original = usable(transcript.bios)
    hidden = [(r.start, r.end) for _, r in expected_hidden(transcript)]
    visible = usable(mangled(transcript))
    lost = subtract(subtract(original, hidden), visible)
    if lost:
        failures.append(f"usable memory hidden beyond the image, heap and "
                        f"umalloc blocks: {show(lost)}")
    invented = subtract(visible, original)
    if invented:
        failures.append(f"memory reported usable that the BIOS did not: {show(invented)}")
    reserved = [e for e in transcript.bios if e.type != RAM and e.length]
    missing = [e for e in reserved if e not in mangled(transcript)]
    if missing:
        failures.append(f"non-usable BIOS entries changed or dropped: {missing}")
    return failures


def check_ublocks_usable(transcript):
    """Each umalloc block, header page included, lies in memory the BIOS
    itself called usable."""
    failures = []
    original = usable(transcript.bios)
    for i, r in enumerate(transcript.ublocks):
        start, end = page_round(r.start - 1, r.end)
        outside = subtract([(start, end)], original)
        if outside:
            failures.append(f"umalloc block {i} {r} (with its header page) "
                            f"is not BIOS-usable memory: {show(outside)}")
    return failures


def contiguous_end(ranges, start):
    """Return where the usable run starting at ``start`` ends."""
    end = start
    for run_start, run_end in ranges:
        if run_start <= end < run_end:
            end = run_end
    return end


def check_legacy(transcript):
    """E801h and 88h agree with the mangled E820 map."""
    if "hook" not in transcript.e801 or "bios" not in transcript.e801:
        return ["no E801h/88h answers"]
    hook = transcript.legacy("hook")
    bios = transcript.legacy("bios")
    if hook.cf or hook.cf88:
        return [f"E801h/88h failed through the hook (CF {hook.cf}/{hook.cf88})"]
    top = contiguous_end(usable(mangled(transcript)), MIB)
    want_kib = min(bios.ax, (min(top, MIB16) - MIB) >> 10)
    want_blocks = min(bios.bx, (top - MIB16) // E801_BLOCK) if top > MIB16 else 0
    want_88 = min(bios.kib, (top - MIB) >> 10)
    failures = []
    for name, got, want in (
        ("E801h AX", hook.ax, want_kib),
        ("E801h CX", hook.cx, want_kib),
        ("E801h BX", hook.bx, want_blocks),
        ("E801h DX", hook.dx, want_blocks),
        ("88h AX", hook.kib, want_88),
    ):
        if got != want:
            failures.append(
                f"{name}={got:#x}, expected {want:#x} (usable from 1 MiB to {top:#x})"
            )
    return failures


def check_attrs(transcript):
    """24-byte answers carry the attributes of the entry they came from."""
    failures = []
    for entry in mangled(transcript):
        source = [e for e in transcript.bios
                  if e.type == entry.type and e.start <= entry.start < e.end]
        if not source:
            failures.append(f"entry at {entry.start:#x}: no BIOS entry holds it")
        elif entry.attrs != source[0].attrs:
            failures.append(f"entry at {entry.start:#x}: attributes {entry.attrs:#x}, "
                            f"BIOS gave {source[0].attrs:#x}")
    return failures


def check_fake_sequences(transcript):
    """With the fake BIOS (24-byte entries, CF at the end) behind it."""
    faked = transcript.faked()
    if not faked.bios:
        return ["no fake BIOS pass in the transcript"]
    return check_sequence(faked, 20) + check_sequence(faked, 24)


def check_fake_map(transcript):
    """The fake BIOS's map: hidden, preserved, attributes, one view."""
    faked = transcript.faked()
    if not faked.bios:
        return ["no fake BIOS pass in the transcript"]
    return (check_agree(faked) + check_hidden(faked) + check_preserved(faked)
            + check_attrs(faked))


CHECKS = [
    ("boot", check_boot),
    ("umalloc_too_big", check_big),
    ("e820_sequence_20", lambda t: check_sequence(t, 20)),
    ("e820_sequence_24", lambda t: check_sequence(t, 24)),
    ("e820_20_24_agree", check_agree),
    ("hidden_not_usable", check_hidden),
    ("usable_preserved", check_preserved),
    ("ublocks_in_bios_ram", check_ublocks_usable),
    ("e801_88_agree", check_legacy),
    ("fake_bios_sequences", check_fake_sequences),
    ("fake_bios_map", check_fake_map),
]
