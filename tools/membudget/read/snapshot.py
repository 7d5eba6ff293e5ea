"""Read a snapshot file (`membudget snapshot`) back, validated.

A snapshot is the report JSON plus provenance and every symbol's bytes
(analysis/snapshot.py writes it).  load() checks every field `diff` and
`history` rely on, so a hand-edited or truncated file is one InputError,
never a crash later.  is_elf() tells an ELF from a snapshot by content.

`diff` loads with rows=True: each symbol becomes a tuple in ROW order
(the shape analysis/snapshot.py builds), its owner, class and file
strings shared, as the file is parsed.  An image has ~100k symbols: as
dicts, two snapshots took 200 MiB.
"""

import json
import sys

from ..model import SCHEMA, InputError

KIND = "snapshot"
ELF_MAGIC = b"\x7fELF"

#: Fields a snapshot must have beyond the report's, checked on load
REQUIRED = ("schema", "kind", "provenance", "symbols", "totals", "components",
            "buckets", "elf")
#: A symbol row's fields, in the order of its tuple (rows=True)
ROW = ("name", "file", "owner", "class", "size")
_ROW_KEYS = frozenset(ROW)


def _row_hook(obj, intern=sys.intern):
    """json object_hook: an object with exactly ROW's keys and valid
    values becomes a tuple; anything else stays a dict for _check to judge.

    JSON arrays load as lists, so a tuple in the document is one of these.
    """
    if obj.keys() != _ROW_KEYS:
        return obj
    name, file, owner = obj["name"], obj["file"], obj["owner"]
    cls, size = obj["class"], obj["size"]
    if (type(owner) is not str or type(cls) is not str or type(size) is not int
            or size < 0 or (name is not None and type(name) is not str)
            or (file is not None and type(file) is not str)):
        return obj
    return (name, file if file is None else intern(file), intern(owner), intern(cls), size)


def _objects(value):
    """value with the tuples _row_hook made back into dicts: outside the
    symbols array, an object shaped like a row is just an object."""
    kind = type(value)
    if kind is tuple:
        return dict(zip(ROW, value))
    if kind is dict:
        for key, item in value.items():
            if type(item) in (tuple, dict, list):
                value[key] = _objects(item)
    elif kind is list:
        for i, item in enumerate(value):
            if type(item) in (tuple, dict, list):
                value[i] = _objects(item)
    return value


def _rows(doc):
    """The document of a load with rows=True made the same as a plain
    load's, but for the symbols array's valid rows (tuples)."""
    if type(doc) is not dict:
        return _objects(doc)
    for key, value in doc.items():
        if key != "symbols":
            doc[key] = _objects(value)
        elif type(value) is not list:
            doc[key] = _objects(value)
        else:
            for i, row in enumerate(value):
                if type(row) is not tuple and type(row) in (dict, list):
                    value[i] = _objects(row)
    return doc


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
    symbols = doc["symbols"]
    for i, row in enumerate(symbols):
        if type(row) is tuple:
            continue        # checked as it was read (rows=True)
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


def load(path, rows=False):
    """Read and validate a snapshot file; with rows, its symbols as ROW tuples."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise InputError(path, err.strerror or str(err)) from None
    try:
        text = data.decode("utf-8")
        del data
        doc = json.loads(text, object_hook=_row_hook if rows else None)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(path, f"neither an ELF file nor a JSON snapshot ({err})") from None
    if rows:
        doc = _rows(doc)
    _check(doc, path)
    if rows:
        symbols = doc["symbols"]
        for i, row in enumerate(symbols):
            if type(row) is not tuple:      # an object with more fields, or fewer
                symbols[i] = (row.get("name"), row.get("file"), row["owner"],
                              row["class"], row["size"])
    return doc


def is_elf(path):
    """True if the file at path starts like an ELF file (else: a snapshot)."""
    try:
        with open(path, "rb") as f:
            return f.read(4) == ELF_MAGIC
    except OSError as err:
        raise InputError(path, err.strerror or str(err)) from None
