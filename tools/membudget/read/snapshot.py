"""Read a snapshot file (`membudget snapshot`) back, validated.

A snapshot is the report JSON plus provenance and every symbol's bytes
(analysis/snapshot.py writes it).  load() checks every field `diff` and
`history` rely on, so a hand-edited or truncated file is one InputError,
never a crash later.  is_elf() tells an ELF from a snapshot by content.
"""

import json

from ..model import SCHEMA, InputError

KIND = "snapshot"
ELF_MAGIC = b"\x7fELF"

#: Fields a snapshot must have beyond the report's, checked on load
REQUIRED = ("schema", "kind", "provenance", "symbols", "totals", "components",
            "buckets", "elf")


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
