"""Tests of the boot test's parser and checks, without QEMU.

The fixture is a transcript recorded from a real boot at -m 64; each test
breaks one fact in it the way a faulty hook would and expects exactly the
matching check to fail.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import checks  # noqa: E402
from transcript import TranscriptError, parse  # noqa: E402

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "fixtures", "boot-m64.txt")


def recorded():
    with open(FIXTURE, encoding="ascii") as f:
        return f.read()


def edit(text, old, new):
    """Replace one whole line of the transcript."""
    lines = text.splitlines()
    assert old in lines, old
    lines[lines.index(old)] = new
    return "\n".join(lines) + "\n"


# What the recorded image's ELF said it must hide (boot_test.py reads the
# ELF; the fixture keeps the numbers): its sections and heap_pool
LAYOUT = [("image", checks.Range(0x7000, 0x2b000)),
          ("heap", checks.Range(0xa000, 0x2b000))]


def failing(text):
    """Return the names of the checks that fail on a transcript."""
    transcript = parse(text)
    transcript.layout = LAYOUT
    return {name for name, check in checks.CHECKS if check(transcript)}


def test_recorded_boot_passes():
    assert failing(recorded()) == set()


def test_visible_heap_is_caught():
    # The hook forgot the heap slot: the first usable entry runs on
    text = recorded().replace("fw hide a000 2b000", "fw hide 0 0")
    for size in ("14", "18"):
        text = edit(text, f"e820 {size} 1 0 534d4150 2 14 1 0 2b000 74c00 1 a5a5a5a5",
                    f"e820 {size} 1 0 534d4150 2 14 1 0 b000 94c00 1 a5a5a5a5")
    # The expectation comes from the ELF, not the table: the fake BIOS
    # pass, which still hid the heap, passes
    assert failing(text) == {"hidden_not_usable"}


def test_lost_memory_is_caught():
    text = recorded()
    for size in ("14", "18"):
        text = edit(text, f"e820 {size} 4 0 534d4150 5 14 1 0 100000 3ade000 1 a5a5a5a5",
                    f"e820 {size} 4 0 534d4150 5 14 1 0 100000 3000000 1 a5a5a5a5")
    assert failing(text) == {"usable_preserved", "e801_88_agree"}


def test_endless_sequence_is_caught():
    text = edit(recorded(), "e820 14 6 0 534d4150 0 14 1 0 fffc0000 40000 2 a5a5a5a5",
                "e820 14 6 0 534d4150 7 14 1 0 fffc0000 40000 2 a5a5a5a5")
    assert failing(text) == {"e820_sequence_20"}


def test_last_call_with_cf_is_caught():
    text = edit(recorded(), "e820 18 6 0 534d4150 0 14 1 0 fffc0000 40000 2 a5a5a5a5",
                "e820 18 6 1 534d4150 0 14 1 0 fffc0000 40000 2 a5a5a5a5")
    assert "e820_sequence_24" in failing(text)


@pytest.mark.parametrize("field,value", [(6, "0"), (7, "4"), (5, "18")])
def test_register_buffer_and_ecx_faults_are_caught(field, value):
    old = "e820 14 2 0 534d4150 3 14 1 0 9fc00 400 2 a5a5a5a5"
    words = old.split()
    words[field + 1] = value
    assert failing(edit(recorded(), old, " ".join(words))) == {"e820_sequence_20"}


def test_20_and_24_byte_maps_must_agree():
    text = edit(recorded(), "e820 14 3 0 534d4150 4 14 1 0 f0000 10000 2 a5a5a5a5",
                "e820 14 3 0 534d4150 4 14 1 0 f0000 10000 3 a5a5a5a5")
    assert failing(text) == {"e820_20_24_agree"}


def test_unclipped_e801_and_88_are_caught():
    text = edit(recorded(), "e801 hook 0 3c00 2bd 3c00 2bd", "e801 hook 0 3c00 2fe 3c00 2fe")
    text = edit(text, "e88 hook 0 eb78", "e88 hook 0 fb80")
    assert failing(text) == {"e801_88_agree"}


def test_oversized_umalloc_must_fail_cleanly():
    text = edit(recorded(), "fw big f0000000 0 1", "fw big f0000000 1000 0")
    assert failing(text) == {"umalloc_too_big"}


def test_parser_rejects_unknown_lines_and_keeps_a_partial_one():
    with pytest.raises(TranscriptError):
        parse("fw image 7c00\n")
    with pytest.raises(TranscriptError):
        parse("hello\n")
    partial = parse("fw image 7c00 b000\ne820 14 0")
    assert partial.last_line == "e820 14 0" and not partial.done


def test_memory_set_helpers():
    assert checks.normalise([(5, 9), (0, 5), (20, 20)]) == [(0, 9)]
    assert checks.subtract([(0, 100)], [(10, 20), (90, 200)]) == [(0, 10), (20, 90)]
    assert checks.intersect([(0, 100)], [(50, 150)]) == [(50, 100)]
    assert checks.contiguous_end([(0, 10), (10, 30), (40, 50)], 5) == 30


def test_hang_names_the_last_line_and_skips_the_rest():
    import boot_test

    result = boot_test.Boot(64, text="fw image 7c00 b000\ne820 14 0", timed_out=True)
    _, cases = boot_test.run_checks("boot.m64", result, 20, LAYOUT)
    boot_case = cases[0]
    assert boot_case.name == "boot"
    assert boot_case.failures == [
        "QEMU hung: killed after 20 s; last line seen: 'e820 14 0'"]
    assert all(case.skipped for case in cases[1:])


def test_early_exit_without_done_fails():
    import boot_test

    text = recorded().replace("done\n", "")
    result = boot_test.Boot(64, text=text, status=1)
    _, cases = boot_test.run_checks("boot.m64", result, 20, LAYOUT)
    assert "before 'done'" in cases[0].failures[0]


def test_fake_bios_attributes_must_pass_through():
    text = edit(recorded(), "fake 18 5 0 534d4150 0 18 1 0 100000000 10000000 1 3",
                "fake 18 5 0 534d4150 0 18 1 0 100000000 10000000 1 1")
    assert failing(text) == {"fake_bios_map"}


def test_fake_bios_24_byte_answers_must_say_24():
    text = edit(recorded(), "fake 18 2 0 534d4150 3 18 1 0 100000 3ade000 1 1",
                "fake 18 2 0 534d4150 3 14 1 0 100000 3ade000 1 1")
    assert failing(text) == {"fake_bios_sequences"}


def test_fake_bios_trailing_empty_entry_must_vanish():
    text = edit(recorded(), "fake 14 5 0 534d4150 0 14 1 0 100000000 10000000 1 a5a5a5a5",
                "fake 14 5 0 534d4150 6 14 1 0 100000000 10000000 1 a5a5a5a5")
    lines = text.splitlines()
    at = lines.index("fake 14 5 0 534d4150 6 14 1 0 100000000 10000000 1 a5a5a5a5")
    lines.insert(at + 1, "fake 14 6 0 534d4150 0 14 1 0 500000 0 1 a5a5a5a5")
    assert failing("\n".join(lines) + "\n") == {"fake_bios_sequences", "fake_bios_map"}


def test_overhiding_is_caught_even_if_the_firmware_agrees():
    # One page below umalloc's lowest header hidden too, and the
    # firmware's own table says so: only the derived expectation objects
    text = recorded().replace("fw hide 3bde000 3fe0000", "fw hide 3bdd000 3fe0000")
    for size in ("14", "18"):
        text = edit(text, f"e820 {size} 4 0 534d4150 5 14 1 0 100000 3ade000 1 a5a5a5a5",
                    f"e820 {size} 4 0 534d4150 5 14 1 0 100000 3add000 1 a5a5a5a5")
    assert "usable_preserved" in failing(text)


def test_umalloc_block_outside_bios_ram_is_caught():
    # A block running a page into the BIOS's reserved range
    text = edit(recorded(), "fw ublock 3ee0000 3fe0000", "fw ublock 3ee0000 3fe1000")
    # The fake BIOS has RAM there, which its pass now shows as leaked
    assert failing(text) == {"ublocks_in_bios_ram", "fake_bios_map"}


def test_missing_layout_fails():
    transcript = parse(recorded())
    assert checks.check_hidden(transcript)
