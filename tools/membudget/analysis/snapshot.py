"""A snapshot: the report JSON plus provenance and every symbol.

A snapshot is what `diff` compares, so a base build need not be rebuilt:
reports/baseline.json is one.  It holds the `report --format json`
document (same `schema`) and three more fields:

    kind        "snapshot"
    provenance  {git: {commit, dirty} or null, compilers: [.comment strings],
                 budgets_sha256 (or null), build_id, elf_sha256}
    symbols     [{name, file, owner, class, size}]: the bytes each symbol
                (name null: bytes no symbol names) of each source file holds
                in one owner (component or bucket) and one size class

In memory the symbols are tuples in that order (read.snapshot.ROW), not
dicts: an image has ~100k of them and `diff` holds two images' worth.
commands/snapshot.py writes them out as objects.  read/snapshot.py reads
one back; `diff` turns an ELF into the same document first, so it only
ever compares documents.
"""

import hashlib
import os
import subprocess
from array import array
from itertools import compress, repeat
from operator import is_, itemgetter

from ..model import InputError
from ..read import elf
from ..read.snapshot import KIND


def document(report_doc, provenance_doc, pieces):
    """The snapshot of an analysed image.

    @v report_doc       the report's JSON document (render/json.py document())
    @v provenance_doc   provenance() of the image
    @v pieces           its attribution's pieces: all the rows need, so a
                        caller can free the rest of the analysis first
    @ret doc            the snapshot document (plain JSON-ready data, but for
                        the symbols: (name, file, owner, class, size) tuples)
    """
    doc = dict(report_doc)
    doc["kind"] = KIND
    doc["provenance"] = provenance_doc
    # 100k new tuples among a million live objects: collections would
    # walk them all, again and again
    with elf.gc_paused():
        doc["symbols"] = symbols(pieces)
    return doc


def symbols(pieces):
    """Sum pieces per (owner, file, symbol, class), in a stable order:
    [(name, file, owner, class, size)]."""
    sums = {}
    get = sums.get
    # fields by place: component, bucket, file, symbol, class; size
    for key, size in zip(map(itemgetter(4, 5, 7, 8, 1), pieces),
                         map(itemgetter(3), pieces)):
        sums[key] = get(key, 0) + size
    # the owner is the component, else the bucket
    if set(map(itemgetter(0), sums)) & set(map(itemgetter(1), sums)) - {None}:
        # a component named like a bucket: their rows are one owner's
        merged = {}
        for (comp, bucket, file, name, cls), size in sums.items():
            key = (comp, None, file, name, cls) if comp is not None else \
                (bucket, None, file, name, cls)
            merged[key] = merged.get(key, 0) + size
        sums = merged
    # sorted (stably: in the order of the sums) by owner, file, name, class
    order = [((owner, file or "", name or "", cls), (name, file, owner, cls, size))
             for (comp, bucket, file, name, cls), size in sums.items()
             for owner in (comp if comp is not None else bucket,)]
    order.sort(key=itemgetter(0))
    return list(map(itemgetter(1), order))


def _index_type(count):
    """The smallest array type that holds indexes into count values."""
    return "B" if count <= 0x100 else "H" if count <= 0x10000 else "I"


class PackedRows:
    """Symbol rows packed into a few arrays: what `diff` keeps of one
    image while it analyses the other.

    As 100k tuples, each with its name, they pinned 50 MiB of freed
    memory (arenas a few live objects keep) under the second analysis;
    packed they take ~3 MiB.  rows() gives the tuples back.
    """

    __slots__ = ("names", "nones", "indexed", "sizes")

    def __init__(self, rows):
        columns = list(zip(*rows)) or [()] * 5
        names = list(columns[0])
        self.nones = array("I", compress(range(len(names)), map(is_, names, repeat(None))))
        for i in self.nones:
            names[i] = ""
        joined = "\0".join(names)
        # a name holding a NUL stays a list: split could not give it back
        self.names = joined if joined.count("\0") == len(names) - 1 else names
        # file, owner, class: few distinct values, each stored once
        self.indexed = []
        for values in columns[1:4]:
            index = {value: n for n, value in enumerate(dict.fromkeys(values))}
            # itemgetter looks them all up in one call (one value: not a tuple)
            at = itemgetter(*values)(index) if len(values) > 1 else [index[v] for v in values]
            self.indexed.append((list(index), array(_index_type(len(index)), at)))
        try:
            self.sizes = array("Q", columns[4])
        except (OverflowError, TypeError):
            self.sizes = list(columns[4])

    def columns(self):
        """The rows as five lists: names, files, owners, classes, sizes."""
        if not self.sizes:
            return [], [], [], [], []
        names = self.names.split("\0") if isinstance(self.names, str) else list(self.names)
        for i in self.nones:
            names[i] = None
        files, owners, classes = (itemgetter(*at)(values) if len(at) > 1 else
                                  [values[i] for i in at] for values, at in self.indexed)
        return [names, files, owners, classes, list(self.sizes)]

    def rows(self):
        """The rows as (name, file, owner, class, size) tuples, in order."""
        return list(zip(*self.columns()))


def compilers(image):
    """The distinct strings of the image's .comment section, in order."""
    found = []
    for sec in image.sections:
        if sec.name != ".comment" or not sec.size:
            continue
        data = image.data[sec.offset:sec.offset + sec.size]
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
