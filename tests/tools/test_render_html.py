"""render_html: the page's data adds up, is safely embedded, and stays small."""

import html.parser
import json
import random

import report_sample as sample
from membudget.analysis import summary
from membudget.analysis.pipeline import Report
from membudget.render import diff as render_diff, html as render_html
from membudget.model import CLASSES, Attribution, Image, Piece


class _Page(html.parser.HTMLParser):
    """Collect what the tests look at: the data block, tags with src/href, bars."""

    def __init__(self):
        super().__init__()
        self.data_blocks = []
        self.scripts = 0
        self.external = []
        self.bars = []
        self._in_data = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
            self._in_data = attrs.get("type") == "application/json"
            if self._in_data:
                self.data_blocks.append("")
        for name in ("src", "href"):
            if name in attrs:
                self.external.append((tag, attrs[name]))
        if tag == "div" and "bar" in attrs.get("class", "").split():
            self.bars.append(attrs)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_data = False

    def handle_data(self, data):
        if self._in_data:
            self.data_blocks[-1] += data


def _parse(text):
    page = _Page()
    page.feed(text)
    page.close()
    assert len(page.data_blocks) == 1
    return page, json.loads(page.data_blocks[0])


def _sample(heap_code=1024):
    attribution = sample.attribution()
    return summary.summarize(attribution, sample.budgets(heap_code)), attribution


def _leaf_sums(owner):
    sums = [0, 0, 0, 0]
    for file in owner["files"]:
        for leaf in file["symbols"]:
            for i in range(4):
                sums[i] += leaf[1 + i]
    return sums


def test_leaves_add_up_to_every_owner_and_the_total():
    result, attribution = _sample()
    _, data = _parse(render_html.render(Report(result, pieces=attribution.pieces)))
    rows = {r.name: r for r in result.components + result.buckets}
    assert [o["name"] for o in data["owners"]] == list(rows)
    total = [0, 0, 0, 0]
    for owner in data["owners"]:
        sums = _leaf_sums(owner)
        assert sums == [rows[owner["name"]].sizes.get(c) for c in CLASSES], owner["name"]
        total = [a + b for a, b in zip(total, sums)]
    assert total == data["total"] == [result.total.sizes.get(c) for c in CLASSES]


def test_tree_is_component_file_symbol():
    result, attribution = _sample()
    _, data = _parse(render_html.render(Report(result, pieces=attribution.pieces)))
    heap = next(o for o in data["owners"] if o["name"] == "heap")
    assert [f["name"] for f in heap["files"]] == ["firmware/heap.c"]
    leaves = {leaf[0]: leaf[1:] for leaf in heap["files"][0]["symbols"]}
    assert leaves == {"heap_area": [0, 0, 0, 131072], "malloc": [700, 0, 0, 0],
                      "free": [404, 0, 0, 0], "heap_names": [0, 24, 0, 0]}
    other = next(o for o in data["owners"] if o["name"] == "other")
    # The glob-placed banner has no file: it still shows, under "(no file)"
    assert {f["name"] for f in other["files"]} == {"firmware/main.c", "(no file)"}


def test_without_pieces_one_leaf_per_owner():
    result, _ = _sample()
    _, data = _parse(render_html.render(Report(result)))
    for owner in data["owners"]:
        assert len(owner["files"]) == 1 and len(owner["files"][0]["symbols"]) == 1
        assert _leaf_sums(owner) == owner["sizes"]


def test_budget_bars_red_when_over():
    result, attribution = _sample(heap_code=1024)
    page, _ = _parse(render_html.render(Report(result, pieces=attribution.pieces)))
    assert len(page.bars) == len(result.budget_lines())
    over = [(b["data-owner"], b["data-class"]) for b in page.bars if "over" in b["class"]]
    assert over == [("heap", "code")]
    result, attribution = _sample(heap_code=2048)
    page, _ = _parse(render_html.render(Report(result, pieces=attribution.pieces)))
    assert not [b for b in page.bars if "over" in b["class"]]


def test_self_contained_no_network():
    result, attribution = _sample()
    text = render_html.render(Report(result, pieces=attribution.pieces))
    page, _ = _parse(text)
    assert page.external == []
    for needle in ("http://", "https://", "@import", "url(", "@font-face", "//cdn"):
        assert needle not in text, needle


def test_hostile_names_cannot_end_the_script():
    attribution = sample.attribution()
    evil = "</script><script>alert(1)</script><!--"
    attribution.pieces[0] = Piece(".text", "code", 0, 700, "heap", None, None,
                                  "firmware/heap.c", evil)
    result = summary.summarize(attribution, sample.budgets())
    text = render_html.render(Report(result, pieces=attribution.pieces))
    page, data = _parse(text)
    # Only the page's own three scripts: the name did not open a fourth
    assert page.scripts == 3
    assert text.lower().count("</script") == 3
    names = [leaf[0] for o in data["owners"] for f in o["files"] for leaf in f["symbols"]]
    assert evil in names


def test_folds_symbols_beyond_top_per_file():
    pieces = [Piece(".text", "code", i * 16, 100 + i, "all", None, None, "a.c", f"f{i}")
              for i in range(30)]
    groups = render_html.tree(pieces, top=25)
    (file,) = groups["all"]
    assert len(file["symbols"]) == 26 and file["folded"] == 5
    assert [leaf[0] for leaf in file["symbols"][:2]] == ["f29", "f28"]
    assert file["symbols"][-1] == ["(5 more symbols)", sum(range(100, 105)), 0, 0, 0]
    assert render_html.tree(pieces, top=None)["all"][0]["folded"] == 0


def _large_attribution(symbols=100_000, files=2_000, components=30, seed=7):
    """A synthetic image the size of the benchmark's: 100k symbols in 2k files."""
    rng = random.Random(seed)
    pieces = []
    offsets = dict.fromkeys(CLASSES, 0)
    for i in range(symbols):
        f = i % files
        cls = CLASSES[rng.randrange(4)]
        size = rng.randrange(4, 600)
        pieces.append(Piece(f".{cls}", cls, offsets[cls], size, f"comp{f % components}",
                            None, "dwarf", f"src/area{f % 37}/unit_{f:04d}.c",
                            f"area{f % 37}_function_name_{i}"))
        offsets[cls] += size
    image = Image("synthetic.elf", 32, "little", "EM_386", "ET_EXEC", [], [], None,
                  "00" * 32, True)
    return Attribution(image, pieces, {"dwarf": sum(offsets.values())}, {})


def test_large_image_stays_under_5_mib():
    attribution = _large_attribution()
    text = render_html.render(Report(summary.summarize(attribution), pieces=attribution.pieces))
    size = len(text.encode("utf-8"))
    assert size < 5 * 1024 * 1024, size
    _, data = _parse(text)
    leaves = sum(len(f["symbols"]) for o in data["owners"] for f in o["files"]
                 if o["kind"] == "component")
    # 50 symbols per file: the largest 25 and one folded leaf each
    assert leaves == 2_000 * (render_html.TOP_PER_FILE + 1)
    assert sum(_leaf_sums(o)[i] for o in data["owners"] for i in range(4)) == \
        sum(p.size for p in attribution.pieces)


# The diff page

def _snapshot(rows, path="fw.elf"):
    """A minimal snapshot document: rows of (name, file, owner, class, size)."""
    owners = {}
    totals = dict.fromkeys(CLASSES, 0)
    for _, _, owner, cls, size in rows:
        owners.setdefault(owner, dict.fromkeys(CLASSES, 0))[cls] += size
        totals[cls] += size

    def sized(name, sizes):
        row = {"name": name, **sizes}
        row["rom"] = sizes["code"] + sizes["rodata"] + sizes["data"]
        row["ram"] = row["rom"] + sizes["bss"]
        return row

    return {"schema": 1, "kind": "snapshot", "elf": {"path": path, "build_id": None,
                                                     "sha256": "00" * 32},
            "provenance": {"git": None, "compilers": [], "budgets_sha256": None},
            "budgets": None, "totals": sized("total", totals),
            "components": [sized(n, s) for n, s in owners.items()], "buckets": [],
            "symbols": [{"name": n, "file": f, "owner": o, "class": c, "size": s}
                        for n, f, o, c, s in rows]}


BASE = [("grow", "a.c", "core", "code", 100), ("shrink", "a.c", "core", "rodata", 50),
        ("gone", "b.c", "core", "code", 30), ("same", "b.c", "net", "code", 8)]
HEAD = [("grow", "a.c", "core", "code", 120), ("shrink", "a.c", "core", "rodata", 40),
        ("fresh", "c.c", "net", "data", 16), ("same", "b.c", "net", "code", 8)]


def _diff_page(base=BASE, head=HEAD):
    from membudget.analysis import diff

    result = diff.compare(_snapshot(base), _snapshot(head), base_label="base.json",
                          head_label="head.json")
    return result, render_diff.render_html(result)


def test_diff_leaves_carry_status_and_change():
    result, text = _diff_page()
    page, data = _parse(text)
    assert data["kind"] == "diff"
    leaves = {leaf[0]: leaf[1:] for o in data["owners"] for f in o["files"]
              for leaf in f["symbols"]}
    assert leaves == {"grow": ["grown", 20, 0, 0, 0], "shrink": ["shrunk", 0, -10, 0, 0],
                      "gone": ["removed", -30, 0, 0, 0], "fresh": ["added", 0, 0, 16, 0]}
    # Per owner, the leaves add up to the owner's change
    for owner in data["owners"]:
        change = [h - b for b, h in zip(owner["base"], owner["head"])]
        sums = [sum(leaf[2 + i] for f in owner["files"] for leaf in f["symbols"])
                for i in range(4)]
        assert sums == change, owner["name"]
    assert data["head_total"] == [120 + 8, 40, 16, 0]
    assert page.external == []


def test_diff_tree_folds_per_file_by_size_of_change():
    from membudget.analysis.diff import SymbolDelta

    rows = [SymbolDelta(f"s{i}", None, "a.c", "core", "code", 100, 100 + i - 15)
            for i in range(30) if i != 15]
    (file,) = render_diff.diff_tree(rows, top=5)["core"]
    # |change| 15, then 14 twice (ties by name)
    assert [leaf[0] for leaf in file["symbols"][:3]] == ["s0", "s1", "s29"]
    assert file["folded"] == 24
    assert sum(leaf[2] for leaf in file["symbols"]) == sum(r.delta for r in rows)


def test_diff_page_hostile_names():
    evil = "</script><img src=x onerror=alert(1)>"
    base = BASE + [(evil, "a.c", "core", "code", 4)]
    _, text = _diff_page(base=base)
    page, data = _parse(text)
    assert page.scripts == 3 and page.external == []
    assert evil in [leaf[0] for o in data["owners"] for f in o["files"] for leaf in f["symbols"]]


def test_cli_page_of_a_compiled_fixture_names_the_compiler(build_elf, tmp_path, capsys):
    from membudget import cli

    built = build_elf("html-page")
    out = tmp_path / "page.html"
    assert cli.main(["report", str(built.elf), "--map", str(built.map),
                     "--format", "html", "-o", str(out)]) == 0
    _, data = _parse(out.read_text(encoding="utf-8"))
    provenance = dict(data["provenance"])
    assert provenance["compiler"].startswith("GCC: ")
    assert provenance["ELF"] == str(built.elf)
    # Without a budgets file one catch-all component holds every symbol
    assert [o["name"] for o in data["owners"] if o["kind"] == "component"] == ["all"]
    files = {f["name"] for o in data["owners"] for f in o["files"]}
    assert set(built.sources) <= files


def test_diff_page_of_identical_builds_says_no_change():
    result, text = _diff_page(base=BASE, head=BASE)
    assert result.same
    page, data = _parse(text)
    assert data["verdict"] == "no change" and ">no change</p>" in text
    assert all(not f["symbols"] for o in data["owners"] for f in o["files"])
