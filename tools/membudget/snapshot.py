"""`membudget snapshot`: the report JSON plus provenance and every symbol.

A snapshot is what `diff` compares, so a base build need not be rebuilt:
reports/baseline.json is one.  It holds the `report --format json`
document (same `schema`) and three more fields:

    kind        "snapshot"
    provenance  {git: {commit, dirty} or null, compilers: [.comment strings],
                 budgets_sha256 (or null), build_id, elf_sha256}
    symbols     [{name, file, owner, class, size}]: the bytes each symbol
                (name null: bytes no symbol names) of each source file holds
                in one owner (component or bucket) and one size class

side() turns either an ELF or a snapshot file into this document (told
apart by content, not by name), so `diff` only ever compares documents.
"""

import argparse
import hashlib
import json
import os
import subprocess

from . import render_json, summary as summary_mod
from .model import SCHEMA, InputError

KIND = "snapshot"
ELF_MAGIC = b"\x7fELF"

#: Fields a snapshot must have beyond the report's, checked on load
REQUIRED = ("schema", "kind", "provenance", "symbols", "totals", "components",
            "buckets", "elf")


def register_snapshot(subparsers):
    parser = subparsers.add_parser(
        "snapshot", help="save the report plus provenance for later diffs",
        description="Write the report JSON of ELF plus provenance (git commit, "
                    "compilers, budgets hash, build-id) and every symbol's "
                    "bytes: what `membudget diff` compares against.")
    from . import cli   # cli imports this module to register it
    cli._add_input_args(parser, budgets_required=False)
    parser.set_defaults(run=run_snapshot)


def run_snapshot(args):
    from . import cli
    doc = build(args)
    cli.write_output(json.dumps(doc, indent=1) + "\n", args.output)
    return 0


def build(args):
    """Analyze args.elf (with args.budgets, args.map, args.objects): the snapshot.

    @ret doc    the snapshot document (plain JSON-ready data)
    """
    from . import cli
    attribution, budgets = cli.attribute_args(args)
    summary = summary_mod.summarize(attribution, budgets)
    doc = render_json.document(summary)
    doc["kind"] = KIND
    doc["provenance"] = provenance(attribution.image, args.budgets)
    doc["symbols"] = symbols(attribution.pieces)
    return doc


def symbols(pieces):
    """Sum pieces per (owner, file, symbol, class), in a stable order."""
    sums = {}
    for piece in pieces:
        owner = piece.component if piece.component is not None else piece.bucket
        key = (owner, piece.file, piece.symbol, piece.cls)
        sums[key] = sums.get(key, 0) + piece.size
    rows = [{"name": name, "file": file, "owner": owner, "class": cls, "size": size}
            for (owner, file, name, cls), size in sums.items()]
    rows.sort(key=lambda r: (r["owner"], r["file"] or "", r["name"] or "", r["class"]))
    return rows


def compilers(image):
    """The distinct strings of the image's .comment section, in order."""
    found = []
    for sec in image.sections:
        if sec.name != ".comment" or not sec.size:
            continue
        try:
            with open(image.path, "rb") as f:
                f.seek(sec.offset)
                data = f.read(sec.size)
        except OSError as err:
            raise InputError(image.path, err.strerror or str(err)) from None
        for text in data.split(b"\0"):
            text = text.decode("utf-8", "replace").strip()
            if text and text not in found:
                found.append(text)
    return found


def file_sha256(path):
    """sha256 of a file's bytes, as hex."""
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError as err:
        raise InputError(path, err.strerror or str(err)) from None


def git_state(path):
    """{commit, dirty} of the git checkout holding path, or None outside one."""
    where = os.path.dirname(os.path.abspath(path))
    try:
        head = subprocess.run(["git", "-C", where, "rev-parse", "--verify", "-q", "HEAD"],
                              capture_output=True, text=True)
        if head.returncode:
            return None
        dirty = subprocess.run(["git", "-C", where, "diff", "--quiet", "HEAD", "--"],
                               capture_output=True)
    except OSError:
        return None     # no git installed: no provenance, not an error
    return {"commit": head.stdout.strip(), "dirty": dirty.returncode != 0}


def provenance(image, budgets_path):
    """Where the image came from: what `diff` compares to warn about drift."""
    return {
        "git": git_state(image.path),
        "compilers": compilers(image),
        "budgets_sha256": file_sha256(budgets_path) if budgets_path else None,
        "build_id": image.build_id,
        "elf_sha256": image.sha256,
    }


def _check(doc, path):
    """Validate a loaded snapshot enough that diff cannot trip over it."""
    if not isinstance(doc, dict):
        raise InputError(path, "not a membudget snapshot (expected a JSON object)")
    schema = doc.get("schema")
    if "schema" not in doc:
        raise InputError(path, "not a membudget snapshot (no 'schema' field)")
    if schema != SCHEMA:
        raise InputError(path, f"unsupported snapshot schema {schema!r} "
                         f"(this membudget reads schema {SCHEMA})")
    if doc.get("kind") != KIND:
        raise InputError(path, "a membudget report, not a snapshot "
                         "(make one with `membudget snapshot`)")
    for key in REQUIRED:
        if key not in doc:
            raise InputError(path, f"snapshot has no '{key}' field")
    sizes = ("code", "rodata", "data", "bss")
    rows = doc["components"] + doc["buckets"] if isinstance(doc["components"], list) \
        and isinstance(doc["buckets"], list) else None
    if rows is None or not isinstance(doc["symbols"], list):
        raise InputError(path, "snapshot: 'components', 'buckets' and 'symbols' "
                         "must be arrays")
    for i, row in enumerate(rows):
        _check_row(row, ("name",), sizes, f"components/buckets[{i}]", path)
    for i, row in enumerate(doc["symbols"]):
        _check_row(row, ("owner", "class"), ("size",), f"symbols[{i}]", path)
        for key in ("name", "file"):
            if row.get(key) is not None and not isinstance(row[key], str):
                raise InputError(path, f"snapshot: symbols[{i}].{key}: expected a string "
                                 "or null")
    _check_row(doc["totals"], (), sizes, "totals", path)
    prov = doc["provenance"]
    if not isinstance(prov, dict) or not isinstance(doc["elf"], dict):
        raise InputError(path, "snapshot: 'provenance' and 'elf' must be objects")
    if prov.get("git") is not None and not isinstance(prov["git"], dict):
        raise InputError(path, "snapshot: provenance.git: expected an object or null")
    compilers = prov.get("compilers", [])
    if not isinstance(compilers, list) or not all(isinstance(c, str) for c in compilers):
        raise InputError(path, "snapshot: provenance.compilers: expected an array of strings")


def _check_row(row, strings, numbers, where, path):
    if not isinstance(row, dict):
        raise InputError(path, f"snapshot: {where}: expected an object")
    for key in strings:
        if not isinstance(row.get(key), str):
            raise InputError(path, f"snapshot: {where}.{key}: expected a string")
    for key in numbers:
        value = row.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InputError(path, f"snapshot: {where}.{key}: expected a byte count")


def load(path):
    """Read and validate a snapshot file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise InputError(path, err.strerror or str(err)) from None
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(path, f"neither an ELF file nor a JSON snapshot ({err})") from None
    _check(doc, path)
    return doc


def is_elf(path):
    """True if the file at path starts like an ELF file (else: a snapshot)."""
    try:
        with open(path, "rb") as f:
            return f.read(4) == ELF_MAGIC
    except OSError as err:
        raise InputError(path, err.strerror or str(err)) from None


def side(path, args, map_path=None):
    """An ELF (analyzed now, with args.budgets) or a snapshot file: a snapshot.

    @v path     the file; its first bytes decide what it is
    @v args     namespace with budgets (and objects) for an ELF
    @v map_path the link map of that ELF, if any
    """
    if not is_elf(path):
        return load(path)
    ns = argparse.Namespace(elf=path, budgets=args.budgets, map=map_path,
                                objects=getattr(args, "objects", None) or [])
    return build(ns)
