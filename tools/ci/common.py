"""What the CI posters share: run membudget into a directory, and keep one
sticky comment on a pull/merge request up to date.  Standard library only.

compute() runs the membudget commands a CI job needs and writes their
results into one directory (the job's artifact):

    check.md, check.annotations   check's roll-up (markdown) and ::error lines
    junit.xml, metrics.txt        with junit/metrics: check --format junit,
                                  report --format openmetrics (GitLab)
    snapshots/<image>.json        HEAD's snapshot per image: the next run's base
    report-<image>.html           report --format html per image
    diff-<image>.md, .json        with a base: diff --format markdown and json
    tightened-<image>.toml        with --gate ratchet: the budgets file, lowered
    overrides.txt                 the text override lines are read from
    comment.md                    the sticky comment (marker first), with a base
    summary.md                    the job summary
    result.json                   status, verdict, changed, the pull request

sync_comment() finds the comment holding MARKER among a request's
comments and updates it, or creates one: only when sizes changed, so an
unchanged run posts nothing new but corrects a comment that said
otherwise.  Errors the user must fix raise Failure (one line, exit 2);
an API error raises ApiError, which the posters report in one line
without touching the size verdict.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

#: The hidden marker that finds our comment among the others
MARKER = "<!-- membudget -->"
#: GitHub refuses comments over 65,536 characters; the diff renderer stays
#: under its own limit, this is the last line of defence
COMMENT_LIMIT = 65_536
#: Markdown left for the diffs of all images together
DIFF_CHARS = 64_000
#: GitHub's job summary limit is 1 MiB per step
SUMMARY_LIMIT = 1_000_000
#: ::error annotations shown; GitHub shows at most 10 per step
MAX_ERRORS = 10
EXIT_USAGE = 2
GATES = ("absolute", "new-only", "ratchet")

HERE = Path(__file__).resolve().parent
LAUNCHER = HERE.parent / "membudget"


class Failure(Exception):
    """Bad input to the CI script: `membudget: <file>: <what>`, exit 2."""

    def __init__(self, where, message):
        super().__init__(message)
        self.where = where


class Reported(Failure):
    """membudget itself refused its input: its one line, passed on as it is."""

    def __init__(self, line):
        super().__init__("membudget", line)
        self.line = line


def failure_line(err):
    """The one line a Failure prints."""
    if isinstance(err, Reported):
        return err.line
    return f"membudget: {err.where}: {' '.join(str(err).split())}"


class ApiError(Exception):
    """The forge's API refused or failed: reported, never fatal to the verdict."""


def membudget_command():
    """How to run membudget: $MEMBUDGET, the checkout's launcher, or PATH's."""
    if os.environ.get("MEMBUDGET"):
        return shlex.split(os.environ["MEMBUDGET"])
    if (LAUNCHER / "__main__.py").is_file():
        return [sys.executable, str(LAUNCHER)]
    found = shutil.which("membudget")
    if found:
        return [found]
    raise Failure("membudget", "not found: install it (pip install .) or set MEMBUDGET")


@dataclass
class Image:
    name: str
    budgets: str
    head: str               # ELF, or a snapshot made by an earlier step
    map: str | None
    is_snapshot: bool = False


@dataclass
class Run:
    """What compute() found; result.json holds it for the posting job."""

    out: Path
    status: int = 0
    verdict: str = ""
    changed: bool | None = None     # None: no base to compare with
    comment: str | None = None
    summary: str = ""
    errors: list = field(default_factory=list)      # ::error lines
    notices: list = field(default_factory=list)     # ::notice lines

    def result(self, **extra):
        return dict(status=self.status, verdict=self.verdict, changed=self.changed,
                    **extra)


def _is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError as err:
        raise Failure(path, err.strerror or str(err)) from None


def images(budgets, elf=None, map_path=None):
    """The images to check: one ELF (or snapshot) with one budgets file, or
    the [image] elf and map each budgets file names."""
    if not budgets:
        raise Failure("budgets", "no budgets file given")
    found = []
    for path in budgets:
        try:
            doc = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as err:
            raise Failure(path, err.strerror or str(err)) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise Failure(path, f"not a budgets file: {err}") from None
        image = doc.get("image") if isinstance(doc.get("image"), dict) else {}
        name = image.get("name") if isinstance(image.get("name"), str) else Path(path).stem
        if elf and len(budgets) == 1:
            head, head_map = elf, map_path
        elif elf:
            raise Failure("elf", "one ELF goes with one budgets file; with several, "
                          "each names its own in [image] elf")
        else:
            if not isinstance(image.get("elf"), str):
                raise Failure(path, "image.elf: not set (no elf input either)")
            head = str(Path(path).parent / image["elf"])
            head_map = (str(Path(path).parent / image["map"])
                        if isinstance(image.get("map"), str) else None)
        if not os.path.isfile(head):
            raise Failure(path if not elf else head, f"{head}: no such file")
        found.append(Image(name, path, head, head_map, is_snapshot=not _is_elf(head)))
    return found


def _run(args):
    """Run membudget; its status (0 or 1).  Warnings go to our stderr; bad
    input (exit 2) stops the run with membudget's one line."""
    proc = subprocess.run(membudget_command() + [str(a) for a in args],
                          capture_output=True, text=True)
    if proc.returncode >= 2:
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        raise Reported(lines[-1] if lines else f"membudget: {args[0]}: exit status "
                       f"{proc.returncode}")
    if proc.stderr:
        sys.stderr.write(proc.stderr)
    if proc.stdout:
        sys.stdout.write(proc.stdout)
    return proc.returncode


def base_for(base, image, count):
    """diff's BASE arguments for image: a snapshot file, or from a directory
    <image>.json or snapshots/<image>.json (a base run's artifact), else with
    one image, --base-dir DIR (the merge-base's <commit>.json)."""
    if base is None:
        return None
    if os.path.isfile(base):
        if count > 1:
            raise Failure(base, "one base snapshot for several images: give a "
                          "directory holding <image>.json each")
        return [base]
    if not os.path.isdir(base):
        raise Failure(base, "base: no such file or directory")
    for candidate in (Path(base) / f"{image.name}.json",
                      Path(base) / "snapshots" / f"{image.name}.json"):
        if candidate.is_file():
            return [str(candidate)]
    if count > 1:
        raise Failure(base, f"no {image.name}.json (nor snapshots/{image.name}.json)")
    return ["--base-dir", base]


def _read(path):
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def _annotation_errors(doc, image):
    """::error lines for what the diff fails (gated budgets, creep caps)."""
    lines = []
    for line in (doc.get("gate") or {}).get("budgets", []):
        if line.get("failing"):
            lines.append(f"{image}: {line['owner']} {line['class']} {line['head']:,} B > "
                         f"budget {line['budget']:,} B ({line['status']})")
    for line in doc.get("creep", []):
        if line.get("over") and not line.get("override"):
            lines.append(f"{image}: {line['owner']} {line['class']} grew "
                         f"{line['delta']:+,} B > creep cap {line['cap']:,} B")
    return [f"::error title=membudget%3A {_escape(text.split(':')[0])}::{_escape(text)}"
            for text in lines]


def _escape(text):
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def compute(out, budgets, elf=None, map_path=None, base=None, base_ref="auto",
            gate="absolute", override_files=(), override_text="", junit=False,
            metrics=False, html=True):
    """Run membudget for one CI job; results in out (see the module docstring).

    @v override_text    PR body and commit message: Membudget-Override lines
    @ret Run
    """
    if gate not in GATES:
        raise Failure("gate", f"'{gate}': not one of {', '.join(GATES)}")
    out = Path(out)
    (out / "snapshots").mkdir(parents=True, exist_ok=True)
    run = Run(out)
    found = images(budgets, elf, map_path)
    several = len(found) > 1
    elves = [i for i in found if not i.is_snapshot]

    # check: every image, one roll-up (not possible for a snapshot HEAD)
    check_status = 0
    if elves:
        check_args = ([i.budgets for i in elves] if several else
                      [elves[0].head, "-b", elves[0].budgets]
                      + (["--map", elves[0].map] if elves[0].map else []))
        check_status = _run(["check", *check_args, "--format", "markdown",
                             "-o", out / "check.md"])
        _run(["check", *check_args, "--format", "github", "-o", out / "check.annotations"])
        if junit:
            _run(["check", *check_args, "--format", "junit", "-o", out / "junit.xml"])
    overrides = out / "overrides.txt"
    overrides.write_text(override_text + "".join(_read(f) + "\n" for f in override_files),
                         encoding="utf-8")

    diff_status, verdicts, same, diffs, failing = 0, [], [], [], []
    for image in found:
        maps = ["--map", image.map] if image.map else []
        inputs = [image.head, "-b", image.budgets, *maps]
        snap = out / "snapshots" / f"{image.name}.json"
        if image.is_snapshot:
            shutil.copyfile(image.head, snap)
        else:
            _run(["snapshot", *inputs, "-o", snap])
            if html:
                _run(["report", *inputs, "--format", "html",
                      "-o", out / f"report-{image.name}.html"])
            if metrics:
                _run(["report", *inputs, "--format", "openmetrics",
                      "-o", out / f"metrics-{image.name}.txt"])
        base_args = base_for(base, image, len(found))
        if base_args is None:
            continue
        args = [*base_args, snap, "-b", image.budgets, "--override-from", overrides]
        if base_args[0] == "--base-dir":
            args += ["--base-ref", base_ref]
        judged = "new-only" if gate == "ratchet" else gate
        status = _run(["diff", *args, "--gate", judged, "--format", "json",
                       "-o", out / f"diff-{image.name}.json"])
        _run(["diff", *args, "--gate", judged, "--format", "markdown",
              "--max-chars", str(max(2000, DIFF_CHARS // len(found))),
              "-o", out / f"diff-{image.name}.md"])
        if gate == "ratchet":
            _run(["diff", *args, "--gate", "ratchet",
                  "-o", out / f"tightened-{image.name}.toml"])
        diff_status = max(diff_status, status)
        doc = json.loads(_read(out / f"diff-{image.name}.json"))
        verdicts.append(f"{image.name}: {doc.get('verdict')}" if several
                        else doc.get("verdict"))
        same.append(bool(doc.get("same")))
        diffs.append(_read(out / f"diff-{image.name}.md"))
        failing += _annotation_errors(doc, image.name)
    if metrics:
        parts = [_read(out / f"metrics-{i.name}.txt").replace("# EOF\n", "") for i in elves]
        (out / "metrics.txt").write_text(_merge_metrics("".join(parts)) + "# EOF\n")

    # The verdict: without a base, check's; under absolute both; under
    # new-only and ratchet, the diff's alone
    if not diffs or gate == "absolute":
        run.status = max(check_status, diff_status)
    else:
        run.status = diff_status
    check_md = _read(out / "check.md")
    check_tally = next((l for l in check_md.splitlines() if l.startswith(":")), "")
    if verdicts:
        run.verdict = "; ".join(verdicts)
    else:
        run.verdict = check_tally.split(" ", 1)[-1] if check_tally else "no check ran"
    if diffs:
        run.changed = not all(same)
        run.comment = comment_body(diffs)
    annotations = _read(out / "check.annotations").splitlines()
    check_errors = [l for l in annotations if l.startswith("::error")]
    run.notices = [l for l in annotations if l.startswith("::notice")]
    run.errors = (check_errors if not diffs or gate == "absolute" else []) + failing
    run.summary = summary_text(run, check_md, diffs)
    (out / "summary.md").write_text(run.summary, encoding="utf-8")
    if run.comment is not None:
        (out / "comment.md").write_text(run.comment, encoding="utf-8")
    return run


def _merge_metrics(text):
    """Several images' OpenMetrics: each family's TYPE/UNIT/HELP once, samples together."""
    families, order = {}, []
    current = None
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            current = line.split()[2]
            if current not in families:
                families[current] = {"meta": [], "samples": []}
                order.append(current)
        if current is None:
            continue
        if line.startswith("#"):
            if line not in families[current]["meta"]:
                families[current]["meta"].append(line)
        else:
            families[current]["samples"].append(line)
    return "".join("\n".join(families[n]["meta"] + families[n]["samples"]) + "\n"
                   for n in order)


def comment_body(diffs):
    """MARKER, then each image's diff markdown; under COMMENT_LIMIT whatever happens."""
    body = MARKER + "\n" + "\n---\n\n".join(d.rstrip("\n") + "\n" for d in diffs)
    if len(body) >= COMMENT_LIMIT:
        note = "\n\n**Truncated** to fit one comment; the job summary has it all.\n"
        body = body[:body.rfind("\n", 0, COMMENT_LIMIT - len(note) - 1)] + note
    return body


def summary_text(run, check_md, diffs):
    """The job summary: verdict, check's roll-up, each diff; under SUMMARY_LIMIT bytes."""
    mark = {0: ":white_check_mark:", 1: ":x:"}.get(run.status, ":warning:")
    parts = [f"## membudget\n\n{mark} **{run.verdict}**\n"]
    if check_md:
        parts.append(check_md)
    parts += diffs
    text = "\n".join(p.rstrip("\n") + "\n" for p in parts)
    data = text.encode("utf-8")
    if len(data) > SUMMARY_LIMIT:
        note = "\n**Truncated** to stay under GitHub's 1 MiB job summary.\n"
        cut = data[:SUMMARY_LIMIT - len(note.encode())].decode("utf-8", "ignore")
        text = cut[:cut.rfind("\n") + 1] + note
    return text


def cap_annotations(errors, notices, limit=MAX_ERRORS):
    """At most limit ::error lines; the rest in one ::notice saying how many."""
    shown = list(errors[:limit])
    rest = len(errors) - len(shown)
    out = shown + list(notices)
    if rest > 0:
        out.append(f"::notice title=membudget::{rest} more budget error"
                   f"{'s' if rest != 1 else ''} not annotated (GitHub shows {limit}); "
                   "the job summary lists every one")
    return out


# The sticky comment

class Api:
    """A small JSON client: base URL, headers; errors become ApiError."""

    def __init__(self, base, headers, what):
        self.base = base.rstrip("/")
        self.headers = headers
        self.what = what

    def call(self, method, path, body=None):
        """(JSON, response headers) of one request."""
        url = path if path.startswith(("http://", "https://")) else self.base + path
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method,
                                         headers=dict(self.headers, **(
                                             {"Content-Type": "application/json"}
                                             if data is not None else {})))
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read().decode("utf-8", "replace")
                return (json.loads(text) if text.strip() else None), response.headers
        except urllib.error.HTTPError as err:
            detail = err.read().decode("utf-8", "replace")
            try:
                detail = json.loads(detail).get("message", detail)
            except (ValueError, AttributeError):
                pass
            detail = " ".join(str(detail).split())[:200]
            raise ApiError(f"HTTP {err.code} from {method} {_path(url)}"
                           + (f": {detail}" if detail else "")) from None
        except (urllib.error.URLError, OSError, ValueError) as err:
            reason = getattr(err, "reason", err)
            raise ApiError(f"{method} {_path(url)}: {reason}") from None


def _path(url):
    return "/" + url.split("://", 1)[-1].split("/", 1)[-1] if "://" in url else url


@dataclass
class Forge:
    """Where a request's comments live: list, create, update paths of an Api."""

    api: Api
    list_path: str          # GET: the comments, paged with ?per_page=100&page=N
    create_path: str        # POST {"body"}
    update_path: str        # PATCH/PUT {"body"}, with {id}
    update_method: str = "PATCH"


def find_comment(forge):
    """The first comment holding MARKER, or None."""
    page = 1
    while True:
        sep = "&" if "?" in forge.list_path else "?"
        comments, _ = forge.api.call("GET", f"{forge.list_path}{sep}per_page=100&page={page}")
        if not isinstance(comments, list):
            raise ApiError(f"GET {forge.list_path}: not a list of comments")
        for comment in comments:
            if isinstance(comment, dict) and MARKER in (comment.get("body") or ""):
                return comment
        if len(comments) < 100:
            return None
        page += 1


def sync_comment(forge, body, changed):
    """Create or update the sticky comment; (action, comment url or None).

    action: "created", "updated", "unchanged" (same text already there) or
    "skipped" (no size change and no comment to correct: nothing posted).
    """
    existing = find_comment(forge)
    if existing is None:
        if not changed:
            return "skipped", None
        made, _ = forge.api.call("POST", forge.create_path, {"body": body})
        return "created", _url(made)
    if (existing.get("body") or "") == body:
        return "unchanged", _url(existing)
    made, _ = forge.api.call(forge.update_method,
                             forge.update_path.format(id=existing["id"]), {"body": body})
    return "updated", _url(made) or _url(existing)


def _url(comment):
    if not isinstance(comment, dict):
        return None
    return comment.get("html_url") or comment.get("url") or (
        str(comment["id"]) if "id" in comment else None)


def load_json(path, what):
    """A JSON file the CI gave us; Failure naming it if it is not."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as err:
        raise Failure(path, err.strerror or str(err)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise Failure(path, f"not a JSON {what} ({err})") from None


def append(path, text):
    """Append to a file the runner reads (GITHUB_STEP_SUMMARY, GITHUB_OUTPUT)."""
    if not path:
        return
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)
    except OSError as err:
        raise Failure(path, err.strerror or str(err)) from None


def output_lines(values):
    """GITHUB_OUTPUT text: name=value, or a heredoc for multi-line values."""
    out = []
    for name, value in values.items():
        value = "" if value is None else str(value)
        if "\n" in value:
            out.append(f"{name}<<MEMBUDGET_EOF\n{value}\nMEMBUDGET_EOF\n")
        else:
            out.append(f"{name}={value}\n")
    return "".join(out)


def head_message():
    """The HEAD commit's message (override lines), or "" outside a git checkout."""
    try:
        proc = subprocess.run(["git", "log", "-1", "--format=%B"], capture_output=True,
                              text=True)
    except OSError:
        return ""
    return proc.stdout if proc.returncode == 0 else ""
