"""The GitHub Action's script (tools/ci/github.py) under a simulated GitHub
(ghsim.py): an HTTP server on 127.0.0.1 recording the API requests, and
the runner's event JSON, step summary and outputs.  action.yml and the
example workflows are validated by @action-validator/cli (make test-deps)."""

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from cli_helpers import ROOT, run, write_budgets
from ghsim import CI_BUDGETS as BUDGETS, FakeGitHub, outputs, pr_event, run_poster, runner_env

sys.path.insert(0, str(ROOT / "tools" / "ci"))
import common  # noqa: E402 - the poster's shared module


@pytest.fixture(scope="module")
def inputs(fw, tmp_path_factory):
    """The fixture ELF, its budgets, and base snapshots: the same build, and
    builds whose heap code was 16 or 32 bytes smaller (so HEAD grew)."""
    top = tmp_path_factory.mktemp("gh-inputs")
    budgets = write_budgets(top, BUDGETS, "fixture.toml", heap_code="8 KiB")
    same = top / "base-same.json"
    proc = run("snapshot", fw.elf, "-b", budgets, "--map", fw.map, "-o", same)
    assert proc.returncode == 0, proc.stderr
    bases = {"same": same}
    for smaller in (16, 32):
        doc = json.loads(same.read_text())
        _shrink(doc, "heap", smaller)
        path = top / f"base-minus{smaller}.json"
        path.write_text(json.dumps(doc))
        bases[smaller] = path
    return {"elf": fw.elf, "map": fw.map, "budgets": budgets, "bases": bases, "top": top}


def _shrink(doc, component, by):
    """Make a snapshot's component's code `by` bytes smaller (its largest symbol)."""
    rows = [s for s in doc["symbols"] if s["owner"] == component and s["class"] == "code"]
    biggest = max(rows, key=lambda s: s["size"])
    biggest["size"] -= by
    for row in doc["components"]:
        if row["name"] == component:
            row["code"] -= by
            row["rom"] -= by
            row["ram"] -= by
    for key in ("code", "rom", "ram"):
        doc["totals"][key] -= by


def poster_run(inputs, tmp_path, api, event, base, *extra, name="pull_request",
               token="t0k3n", budgets=None, out=None):
    """One step of a job whose runner files are in tmp_path; out: the output
    directory (the same path every run, as a workspace's would be)."""
    env = runner_env(tmp_path, api, event, name=name, token=token)
    args = ["run", "--budgets", budgets or inputs["budgets"], "--elf", inputs["elf"],
            "--map", inputs["map"], "--out", out or tmp_path / "out", "--gate", "new-only"]
    if base is not None:
        args += ["--base", base]
    return run_poster(args + list(extra), env, cwd=tmp_path)


def test_first_run_creates_then_updates_the_same_comment(inputs, tmp_path):
    others = [f"unrelated comment {i}" for i in range(120)]   # ours lands on page 2
    with FakeGitHub(comments=others) as api:
        proc = poster_run(inputs, tmp_path / "1", api, pr_event(), inputs["bases"][16])
        assert proc.returncode == 0, proc.stderr
        assert api.writes() == [("POST", "/repos/org/fw/issues/7/comments")]
        (mine,) = api.ours()
        assert mine["body"].startswith("<!-- membudget -->\n## membudget: fixture\n")
        assert "+16" in mine["body"]
        out = outputs(tmp_path / "1")
        assert out["status"] == "0" and out["changed"] == "true"
        assert out["comment-url"] == mine["html_url"]
        assert "rom +16 B" in out["verdict"]
        summary = (tmp_path / "1" / "summary.md").read_text()
        assert summary.startswith("## membudget\n") and "### membudget check" in summary
        # Authenticated, versioned requests
        headers = api.requests[-1][3]
        assert headers["Authorization"] == "Bearer t0k3n"
        assert headers["Accept"] == "application/vnd.github+json"

        # A second push grows it further: the same comment, edited
        proc = poster_run(inputs, tmp_path / "2", api, pr_event(), inputs["bases"][32])
        assert proc.returncode == 0, proc.stderr
        assert api.writes()[1:] == [("PATCH", f"/repos/org/fw/issues/comments/{mine['id']}")]
        (mine,) = api.ours()
        assert "+32" in mine["body"]
        # Pages were walked to find it: per_page=100, page 2
        assert any(p.endswith("per_page=100&page=2") for m, p, _, _ in api.requests)


def test_unchanged_run_posts_nothing_new(inputs, tmp_path):
    out = tmp_path / "out"
    with FakeGitHub() as api:
        # No change and no comment yet: nothing written at all
        proc = poster_run(inputs, tmp_path / "1", api, pr_event(), inputs["bases"]["same"],
                          out=out)
        assert proc.returncode == 0, proc.stderr
        assert api.writes() == []
        assert outputs(tmp_path / "1")["changed"] == "false"
        assert "no size change: no comment on #7" in proc.stderr
        # A change comments; going back to no change edits it to say so
        poster_run(inputs, tmp_path / "2", api, pr_event(), inputs["bases"][16], out=out)
        proc = poster_run(inputs, tmp_path / "3", api, pr_event(), inputs["bases"]["same"],
                          out=out)
        assert proc.returncode == 0, proc.stderr
        assert [m for m, _ in api.writes()] == ["POST", "PATCH"]
        (mine,) = api.ours()
        assert ":heavy_minus_sign: **no change" in mine["body"]
        # The same again: the comment already says so, nothing is written
        poster_run(inputs, tmp_path / "4", api, pr_event(), inputs["bases"]["same"], out=out)
        assert [m for m, _ in api.writes()] == ["POST", "PATCH"]


def test_fork_or_no_token_writes_only_the_summary(inputs, tmp_path):
    with FakeGitHub() as api:
        proc = poster_run(inputs, tmp_path / "fork", api, pr_event(fork=True),
                          inputs["bases"][16])
        assert proc.returncode == 0, proc.stderr
        assert "comes from a fork: summary only" in proc.stderr
        proc = poster_run(inputs, tmp_path / "notoken", api, pr_event(),
                          inputs["bases"][16], token=None)
        assert proc.returncode == 0, proc.stderr
        assert "no token: summary only" in proc.stderr
        assert api.requests == []
    for case in ("fork", "notoken"):
        assert "## membudget" in (tmp_path / case / "summary.md").read_text()
        assert outputs(tmp_path / case)["status"] == "0"
        assert (tmp_path / case / "out" / "comment.md").read_text().startswith(
            "<!-- membudget -->\n")


def test_workflow_run_posts_the_forks_comment(inputs, tmp_path):
    sha = "ab" * 20
    with FakeGitHub(pulls={7: {"number": 7, "head": {"sha": sha}}}) as api:
        proc = poster_run(inputs, tmp_path / "pr", api, pr_event(fork=True, sha=sha),
                          inputs["bases"][16])
        assert proc.returncode == 0 and api.requests == []
        # The artifact, downloaded by the workflow_run workflow
        artifact = tmp_path / "artifact"
        shutil.copytree(tmp_path / "pr" / "out", artifact)
        event = {"workflow_run": {"event": "pull_request", "head_sha": sha,
                                  "conclusion": "success"}}
        env = runner_env(tmp_path / "post", api, event, name="workflow_run")
        proc = run_poster(["post", artifact], env, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert api.writes() == [("POST", "/repos/org/fw/issues/7/comments")]
        # An artifact for another commit than the pull request's head: refused
        event["workflow_run"]["head_sha"] = "cd" * 20
        env = runner_env(tmp_path / "post2", api, event, name="workflow_run")
        proc = run_poster(["post", artifact], env, cwd=tmp_path)
        assert proc.returncode == 2
        assert proc.stderr.splitlines()[-1].endswith("not posting")
        assert len(api.writes()) == 1


def synthetic(count, grow):
    symbols = [{"name": f"function_with_a_long_name_{i:06d}", "file": f"src/f{i % 97}.c",
                "owner": "app", "class": "code", "size": 100 + (i * grow) % 50}
               for i in range(count)]
    code = sum(s["size"] for s in symbols)
    sizes = {"code": code, "rodata": 0, "data": 0, "bss": 0, "rom": code, "ram": code}
    return {"schema": 1, "kind": "snapshot",
            "elf": {"path": "big.elf", "sha256": f"{grow:02d}" * 32, "build_id": None},
            "budgets": None, "totals": sizes, "components": [dict(name="app", **sizes)],
            "buckets": [], "provenance": {"git": None, "compilers": [],
                                          "budgets_sha256": None},
            "symbols": symbols}


def test_100k_symbol_diff_fits_one_comment(tmp_path):
    budgets = tmp_path / "big.toml"
    budgets.write_text('[image]\nname = "big"\n[components.app]\ncatch_all = true\n'
                       'budget = { code = "64 MiB" }\n')
    base, head = tmp_path / "base.json", tmp_path / "head.json"
    base.write_text(json.dumps(synthetic(100_000, 0)))
    head.write_text(json.dumps(synthetic(100_000, 3)))
    with FakeGitHub() as api:
        env = runner_env(tmp_path / "run", api, pr_event())
        proc = run_poster(["run", "--budgets", budgets, "--elf", head, "--base", base,
                           "--out", tmp_path / "out"], env, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        (mine,) = api.ours()
    assert len(mine["body"]) < 65_536
    assert "**Truncated**" in mine["body"]
    assert len((tmp_path / "run" / "summary.md").read_bytes()) < 1 << 20


@pytest.mark.parametrize("fail", [{"POST": 500}, {"GET": 403}, {"POST": 422}])
def test_api_error_is_one_line_and_keeps_the_verdict(inputs, tmp_path, fail):
    over = write_budgets(tmp_path, BUDGETS, "over.toml", heap_code="1 B")
    with FakeGitHub(fail=fail) as api:
        proc = poster_run(inputs, tmp_path, api, pr_event(), inputs["bases"][16], "--gate",
                          "absolute", budgets=over)
    # The size verdict: heap is over its budget under absolute
    assert proc.returncode == 1, proc.stderr
    (code,) = fail.values()
    lines = [l for l in proc.stderr.splitlines() if "comment not posted" in l]
    assert len(lines) == 1 and f"HTTP {code} from " in lines[0], proc.stderr
    assert lines[0].startswith("membudget: github: comment not posted: ")
    assert "Traceback" not in proc.stderr
    out = outputs(tmp_path)
    assert out["status"] == "1" and "over budget (absolute): heap code" in out["verdict"]
    assert ":x: **over budget" in (tmp_path / "summary.md").read_text()
    assert any(l.startswith("::error title=") for l in proc.stdout.splitlines())


def test_unreachable_api_is_one_line(inputs, tmp_path):
    env = runner_env(tmp_path, None, pr_event())     # port 9: nothing listens
    proc = run_poster(["run", "--budgets", inputs["budgets"], "--elf", inputs["elf"],
                       "--base", inputs["bases"][16], "--out", tmp_path / "out"], env,
                      cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert len([l for l in proc.stderr.splitlines() if "comment not posted" in l]) == 1


@pytest.mark.parametrize("event, name, mode, message", [
    ({"ref": "refs/heads/main"}, "push", "post", "not a pull request's workflow_run"),
    ({"ref": "refs/heads/main"}, "pull_request", "run", "not a pull request event"),
    ("{ not json", "pull_request", "run", "not a JSON event"),
    ({"workflow_run": {"event": "push", "head_sha": "ab"}}, "workflow_run", "post",
     "run by push"),
])
def test_bad_event_is_one_line_exit_2(inputs, tmp_path, event, name, mode, message):
    with FakeGitHub() as api:
        env = runner_env(tmp_path, api, event, name=name)
        args = (["post", tmp_path] if mode == "post" else
                ["run", "--budgets", inputs["budgets"], "--elf", inputs["elf"],
                 "--out", tmp_path / "out"])
        proc = run_poster(args, env, cwd=tmp_path)
        assert api.requests == []
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("membudget: ") and message in lines[0]
    assert outputs(tmp_path)["status"] == "2"


def test_missing_image_elf_is_one_line_exit_2(inputs, tmp_path):
    budgets = tmp_path / "board.toml"
    budgets.write_text('[image]\nname = "board"\nelf = "build/board.elf"\n'
                       '[components.all]\ncatch_all = true\n')
    with FakeGitHub() as api:
        env = runner_env(tmp_path, api, pr_event())
        proc = run_poster(["run", "--budgets", budgets, inputs["budgets"], "--out",
                           tmp_path / "out"], env, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"membudget: {budgets}: {tmp_path / 'build' / 'board.elf'}: no such file"]


def test_push_run_summarises_and_snapshots(inputs, tmp_path):
    """On the base branch: no pull request, no base: check, snapshot, summary."""
    with FakeGitHub() as api:
        env = runner_env(tmp_path, api, {"ref": "refs/heads/main"}, name="push")
        proc = run_poster(["run", "--budgets", inputs["budgets"], "--elf", inputs["elf"],
                           "--map", inputs["map"], "--out", tmp_path / "out"], env,
                          cwd=tmp_path)
        assert api.requests == []
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "snapshots" / "fixture.json").is_file()
    assert (tmp_path / "out" / "report-fixture.html").is_file()
    assert outputs(tmp_path)["verdict"] == "1 image, 2 budgets checked, 0 exceeded"


def test_several_images_one_comment(inputs, tmp_path):
    boards = tmp_path / "boards"
    boards.mkdir()
    base = tmp_path / "base"
    base.mkdir()
    paths = []
    for name in ("board_a", "board_b"):
        text = inputs["budgets"].read_text().replace('name = "fixture"', f'name = "{name}"')
        text = text.replace("[image]\n", f'[image]\nelf = "{inputs["elf"]}"\n'
                                         f'map = "{inputs["map"]}"\n')
        path = boards / f"{name}.toml"
        path.write_text(text)
        paths.append(path)
        shutil.copy(inputs["bases"][16], base / f"{name}.json")
    with FakeGitHub() as api:
        env = runner_env(tmp_path, api, pr_event())
        proc = run_poster(["run", "--budgets", *paths, "--base", base, "--out",
                           tmp_path / "out"], env, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        (mine,) = api.ours()
    assert "## membudget: board_a" in mine["body"] and "## membudget: board_b" in mine["body"]
    assert outputs(tmp_path)["verdict"].startswith("board_a: rom +16 B")
    assert "| board_a |" in (tmp_path / "summary.md").read_text()


def test_annotations_capped_at_ten():
    errors = [f"::error title=t::budget {i}" for i in range(25)]
    shown = common.cap_annotations(errors, ["::notice title=membudget check::tally"])
    assert shown[:10] == errors[:10]
    assert [l for l in shown if l.startswith("::error")] == errors[:10]
    assert shown[-1].startswith("::notice title=membudget::15 more budget errors")
    assert common.cap_annotations(errors[:3], []) == errors[:3]


# action.yml: its shell step as the runner runs it, then the schemas

def _step_env(action, values):
    """The step's env with ${{ inputs.NAME }} replaced by values (or defaults)."""
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    inputs.update(values)
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "membudget")
    env = {}
    for key, value in step["env"].items():
        env[key] = re.sub(r"\$\{\{\s*inputs\.([a-z-]+)\s*\}\}",
                          lambda m: inputs[m.group(1)], str(value))
    return step["run"], env


def test_action_step_runs_the_poster(inputs, tmp_path):
    yaml = pytest.importorskip("yaml", reason="python3-yaml (make test-deps)")
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    script, step_env = _step_env(action, {
        "budgets": f"  {inputs['budgets']}\n", "elf": str(inputs["elf"]),
        "map": str(inputs["map"]), "base": str(inputs["bases"][16]), "gate": "new-only",
        "output-dir": str(tmp_path / "out"), "token": "t0k3n"})
    with FakeGitHub() as api:
        env = dict(runner_env(tmp_path, api, pr_event(body="Membudget-Override: heap code "
                                                            "+8 B: test\n")),
                   GITHUB_ACTION_PATH=str(ROOT), **step_env)
        proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                               script], env=env, cwd=tmp_path, capture_output=True,
                              text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        assert api.writes() == [("POST", "/repos/org/fw/issues/7/comments")]
    out = outputs(tmp_path)
    assert out["status"] == "0" and out["changed"] == "true"
    # The pull request's body reached diff as override text
    assert "Membudget-Override: heap code +8 B" in (tmp_path / "out" / "overrides.txt").read_text()


def test_action_builds_the_native_loops(inputs, tmp_path):
    """A fresh checkout of the action has no compiled part: the step before
    membudget's builds it, and the launcher then runs from that checkout."""
    yaml = pytest.importorskip("yaml", reason="python3-yaml (make test-deps)")
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    step = next(s for s in action["runs"]["steps"] if "native" in s.get("run", ""))
    assert step["if"] == "inputs.post-from == ''"
    checkout = tmp_path / "action"
    shutil.copytree(ROOT / "mk", checkout / "mk")
    shutil.copy(ROOT / "Makefile", checkout / "Makefile")
    shutil.copytree(ROOT / "tools", checkout / "tools",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    env.update(GITHUB_ACTION_PATH=str(checkout),
               PATH=os.pathsep.join([os.path.dirname(sys.executable), env["PATH"]]))
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                           step["run"]], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = subprocess.run([sys.executable, str(checkout / "tools" / "membudget"), "report",
                           str(inputs["elf"])], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# action.yml and the example workflows, against GitHub's schemas

VALIDATOR = ROOT / "build" / "npm" / "node_modules" / ".bin" / "action-validator"
WORKFLOWS = sorted((ROOT / "docs" / "ci").glob("github-*.yml"))


def _validator():
    found = os.environ.get("MEMBUDGET_ACTION_VALIDATOR") or (
        str(VALIDATOR) if VALIDATOR.exists() else shutil.which("action-validator"))
    if not found or shutil.which("node") is None:
        pytest.skip("@action-validator/cli not installed (make test-deps installs it "
                    "into build/npm with npm)")
    return found


@pytest.mark.parametrize("path", [ROOT / "action.yml"] + WORKFLOWS,
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_action_and_workflows_validate(path):
    proc = subprocess.run([_validator(), str(path)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_validator_rejects_a_broken_action(tmp_path):
    broken = tmp_path / "action.yml"
    broken.write_text((ROOT / "action.yml").read_text().replace("using: composite",
                                                                "using: compost"))
    proc = subprocess.run([_validator(), str(broken)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode != 0


def test_examples_exist():
    assert [p.name for p in WORKFLOWS] == ["github-fork-comment.yml", "github-size.yml"]
