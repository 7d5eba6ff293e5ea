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

read/snapshot.py reads one back; `diff` turns an ELF into the same
document first, so it only ever compares documents.
"""

import hashlib
import os
import subprocess
from operator import itemgetter

from ..model import InputError
from ..read.snapshot import KIND


def document(report_doc, analysis):
    """The snapshot of an analysed image.

    @v report_doc   the report's JSON document (render/json.py document())
    @v analysis     pipeline.Analysis of the image
    @ret doc        the snapshot document (plain JSON-ready data)
    """
    doc = dict(report_doc)
    doc["kind"] = KIND
    doc["provenance"] = provenance(analysis.image, analysis.budgets_path)
    doc["symbols"] = symbols(analysis.attribution.pieces)
    return doc


def symbols(pieces):
    """Sum pieces per (owner, file, symbol, class), in a stable order."""
    sums = {}
    for piece in pieces:
        # fields by place: component, bucket, file, symbol, class; size
        key = (piece[4] if piece[4] is not None else piece[5], piece[7], piece[8], piece[1])
        sums[key] = sums.get(key, 0) + piece[3]
    # sorted (stably: in the order of the sums) by owner, file, name, class
    order = [((owner, file or "", name or "", cls), owner, file, name, cls, size)
             for (owner, file, name, cls), size in sums.items()]
    order.sort(key=itemgetter(0))
    return [{"name": name, "file": file, "owner": owner, "class": cls, "size": size}
            for _, owner, file, name, cls, size in order]


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
