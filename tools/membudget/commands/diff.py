"""`membudget diff BASE HEAD`: what a change costs; exit 1 over a creep cap,
or over a budget the --gate policy fails."""

import json
import os

from ..analysis import diff, gate as gate_mod, snapshot as snapshot_rows
from ..model import SCHEMA, InputError
from ..read import baseref, budgets as budgets_mod, override, snapshot as snapshot_file
from ..render import diff as render_diff, ratchet as render_ratchet
from . import check as check_cmd, output, snapshot

EXIT_OK = 0
EXIT_CREEP = 1
FORMATS = tuple(render_diff.RENDERERS)
GATES = gate_mod.POLICIES
MARKDOWN_LIMIT = render_diff.LIMIT


def default_map(path):
    """The link map beside an ELF (build/firmware.map for build/firmware.elf)."""
    candidate = os.path.splitext(path)[0] + ".map"
    return candidate if os.path.isfile(candidate) else None


def _budgets_named_by(docs):
    """The budgets file a snapshot was made with, if it is still there."""
    for doc in docs:
        path = (doc.get("budgets") or {}).get("path")
        if isinstance(path, str) and os.path.isfile(path):
            return path
    return None


def _regions(doc):
    """{region name: bytes used} of a snapshot document (none in older ones)."""
    rows = doc.get("regions")
    if not isinstance(rows, list):
        return {}
    return {r["name"]: r["used"] for r in rows if isinstance(r, dict)
            and isinstance(r.get("name"), str) and isinstance(r.get("used"), int)}


def compare(base, head, budgets=None, base_map=None, head_map=None, objects=(),
            min_delta=0, min_percent=0.0, gate=None, overrides=()):
    """Both sides as snapshot documents, compared: a diff.Diff, judged.

    An ELF side is analysed with the budgets file (by default the one a
    snapshot side names) and its map (by default the .map beside it).
    gate is a gate.POLICIES entry or None (creep caps alone); overrides are
    override.Override lines.
    """
    sides = {"base": (base, base_map), "head": (head, head_map)}
    docs = {key: snapshot_file.load(path, rows=True) for key, (path, _) in sides.items()
            if not snapshot_file.is_elf(path)}
    if budgets is None:
        # Attribute an ELF the way the snapshot it is compared with was
        budgets = _budgets_named_by(docs.values())
    if gate is not None and budgets is None:
        raise InputError(head, f"--gate {gate}: needs a budgets file (-b FILE)")
    loaded = budgets_mod.load(budgets) if budgets else None
    for key, (path, map_path) in sides.items():
        if key not in docs:
            # what is kept of the other side, packed while this one is analysed
            for doc in docs.values():
                if not isinstance(doc["symbols"], snapshot_rows.PackedRows):
                    doc["symbols"] = snapshot_rows.PackedRows(doc["symbols"])
            docs[key] = snapshot.build(path, budgets, map_path or default_map(path),
                                       objects, loaded_budgets=loaded)
    result = diff.compare(docs["base"], docs["head"], loaded, min_delta, min_percent,
                          base_label=base, head_label=head)
    result.budgets_path = budgets
    owners = result.owners + ([result.padding] if result.padding else [])
    result.gate = gate_mod.judge(gate, loaded, owners, result.base_total,
                                 result.head_total, result.creep, overrides,
                                 (_regions(docs["base"]), _regions(docs["head"])))
    return result


def base_snapshot(base_dir, base_ref=baseref.AUTO):
    """The snapshot in base_dir made at HEAD's merge-base (read/baseref.py)."""
    path, commit, upstream = baseref.snapshot_path(base_dir, base_ref)
    output.note(path, f"base: merge-base {commit[:12]} of HEAD and {upstream}")
    return path


def run(base, head, budgets=None, base_map=None, head_map=None, objects=(),
        fmt="text", min_delta=0, min_percent=0.0, out=None, gate=None,
        override_files=(), base_dir=None, base_ref=baseref.AUTO,
        max_chars=MARKDOWN_LIMIT):
    """Write the diff (with --gate ratchet: the tightened budgets file).

    @v base             BASE's ELF or snapshot; None with base_dir
    @v gate             None, or one of GATES
    @v override_files   files whose Membudget-Override lines accept growth
    @v base_dir         directory of <commit>.json snapshots: BASE is the
                        merge-base's (base_ref: its upstream, or "auto")
    @v max_chars        the markdown's length cap (several in one comment)
    @ret 0, or 1 when a creep cap or a gated budget fails
    """
    overrides = override.load(override_files)
    if base_dir is not None:
        base = base_snapshot(base_dir, base_ref)
    result = compare(base, head, budgets, base_map, head_map, objects, min_delta,
                     min_percent, gate, overrides)
    if gate == gate_mod.RATCHET:
        path = result.budgets.path
        text = render_ratchet.render(result.budgets, result.gate.tightened)
        for owner, key, old, new in result.gate.tightened:
            output.note(path, f"ratchet: {owner} {key} budget {old:,} B -> {new:,} B")
        for line in result.budgets_failing():
            output.note(path, f"{render_diff.gate_text(line)}")
        output.write(text, out)
    elif fmt == "markdown":
        output.write(render_diff.render_markdown(result, limit=max_chars), out)
    else:
        output.write(render_diff.RENDERERS[fmt](result), out)
    return EXIT_CREEP if result.failed() else EXIT_OK


def image_base(base_dir, name):
    """BASE of image name in a directory of snapshots: <name>.json, or
    snapshots/<name>.json (the CI scripts' output directory)."""
    if not os.path.isdir(base_dir):
        raise InputError(base_dir, "not a directory (several images take a directory "
                         "of <image>.json snapshots as BASE)")
    for candidate in (os.path.join(base_dir, f"{name}.json"),
                      os.path.join(base_dir, "snapshots", f"{name}.json")):
        if os.path.isfile(candidate):
            return candidate
    raise InputError(base_dir, f"no snapshot of image '{name}' ({name}.json or "
                     f"snapshots/{name}.json)")


def run_images(base_dir, budgets_paths, fmt="text", min_delta=0, min_percent=0.0,
               out=None, gate=None, override_files=(), max_chars=MARKDOWN_LIMIT):
    """Diff every image the budgets files name against base_dir's snapshots.

    One output (each image's diff, in the order given), one exit status:
    1 when any image fails.  Every input is read before anything is written.
    """
    if fmt == "html" or gate == gate_mod.RATCHET:
        raise InputError(f"--format {fmt}" if fmt == "html" else "--gate ratchet",
                         "one image at a time (give BASE HEAD -b BUDGETS)")
    overrides = override.load(override_files)
    results = []
    for path in budgets_paths:
        loaded = budgets_mod.load(path)
        elf, map_path = check_cmd.image_of(loaded)
        base = image_base(base_dir, loaded.name)
        results.append(compare(base, elf, path, None, map_path, (), min_delta, min_percent,
                               gate, overrides))
    failed = [r for r in results if r.failed()]
    if fmt == "json":
        text = json.dumps({"schema": SCHEMA, "kind": "diffs", "failed": bool(failed),
                           "images": [render_diff.document(r) for r in results]},
                          indent=2) + "\n"
    elif fmt == "markdown":
        share = max(2000, max_chars // len(results))
        text = "\n---\n\n".join(render_diff.render_markdown(r, limit=share)
                                   for r in results)
    else:
        text = "\n".join(render_diff.render_text(r) for r in results)
        text += (f"membudget diff: {len(results)} images, {len(failed)} failing"
                 + (f" ({', '.join(r.image for r in failed)})" if failed else "") + "\n")
    output.write(text, out)
    return EXIT_CREEP if failed else EXIT_OK
