"""GitLab: tools/ci/gitlab.py under a simulated merge request pipeline (the
notes API on 127.0.0.1, ghsim.py), its reports, and the template in
docs/ci/gitlab-ci.yml."""

import json
import xml.etree.ElementTree as ET

import pytest

from cli_helpers import ROOT, run, write_budgets
from ghsim import CI_BUDGETS as BUDGETS, GITLAB_POSTER, FakeGitHub, run_poster


def gitlab_env(tmp_path, api, iid="12", token="glpat-x", extra=None):
    env = {"PATH": __import__("os").environ["PATH"], "HOME": str(tmp_path),
           "GITLAB_CI": "true", "CI_API_V4_URL": f"{api.url}/api/v4",
           "CI_PROJECT_ID": "42", "CI_COMMIT_MESSAGE": "heap: bigger\n",
           "CI_MERGE_REQUEST_DESCRIPTION": "More heap.\n"}
    if iid:
        env["CI_MERGE_REQUEST_IID"] = iid
    if token:
        env["MEMBUDGET_GITLAB_TOKEN"] = token
    env.update(extra or {})
    return env


@pytest.fixture(scope="module")
def inputs(fw, tmp_path_factory):
    top = tmp_path_factory.mktemp("gl-inputs")
    budgets = write_budgets(top, BUDGETS, "fixture.toml", heap_code="8 KiB")
    base = top / "base.json"
    assert run("snapshot", fw.elf, "-b", budgets, "--map", fw.map, "-o", base).returncode == 0
    doc = json.loads(base.read_text())
    row = next(r for r in doc["components"] if r["name"] == "heap")
    sym = max((s for s in doc["symbols"] if s["owner"] == "heap" and s["class"] == "code"),
              key=lambda s: s["size"])
    for target in (row, doc["totals"]):
        for key in ("code", "rom", "ram"):
            target[key] -= 24
    sym["size"] -= 24
    grown = top / "base-grown.json"
    grown.write_text(json.dumps(doc))
    return {"fw": fw, "budgets": budgets, "same": base, "grown": grown}


def gitlab_run(inputs, tmp_path, env, base, *extra, budgets=None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    return run_poster(["run", "--budgets", budgets or inputs["budgets"], "--elf",
                       inputs["fw"].elf, "--map", inputs["fw"].map, "--base", base,
                       "--gate", "new-only", "--out", tmp_path / "out", *extra],
                      env, cwd=tmp_path, poster=GITLAB_POSTER)


def test_merge_request_note_created_then_updated(inputs, tmp_path):
    with FakeGitHub() as api:
        proc = gitlab_run(inputs, tmp_path, gitlab_env(tmp_path, api), inputs["grown"])
        assert proc.returncode == 0, proc.stderr
        assert api.writes() == [("POST", "/api/v4/projects/42/merge_requests/12/notes")]
        assert api.requests[-1][3]["Private-Token"] == "glpat-x"
        (mine,) = api.ours()
        assert "+24" in mine["body"]
        # Back to no change: the same note says so, nothing new
        proc = gitlab_run(inputs, tmp_path, gitlab_env(tmp_path, api), inputs["same"])
        assert proc.returncode == 0, proc.stderr
        assert api.writes()[1:] == [
            ("PUT", f"/api/v4/projects/42/merge_requests/12/notes/{mine['id']}")]
        assert ":heavy_minus_sign: **no change" in api.ours()[0]["body"]
    # The reports GitLab reads
    out = tmp_path / "out"
    suites = ET.parse(out / "junit.xml").getroot()
    assert suites.find("testsuite").get("name") == "membudget.fixture"
    metrics = (out / "metrics.txt").read_text()
    assert metrics.endswith("# EOF\n") and "membudget_image_bytes{" in metrics
    assert "membudget: " in proc.stdout and "## membudget" in proc.stdout


def test_no_token_or_no_merge_request_no_note(inputs, tmp_path):
    with FakeGitHub() as api:
        proc = gitlab_run(inputs, tmp_path / "a", gitlab_env(tmp_path, api, token=None),
                          inputs["grown"])
        assert proc.returncode == 0 and "no MEMBUDGET_GITLAB_TOKEN" in proc.stderr
        proc = gitlab_run(inputs, tmp_path / "b", gitlab_env(tmp_path, api, iid=None),
                          inputs["grown"])
        assert proc.returncode == 0 and "not a merge request pipeline" in proc.stderr
        assert api.requests == []


def test_api_error_keeps_the_verdict(inputs, tmp_path):
    over = write_budgets(tmp_path, BUDGETS, "over.toml", heap_code="1 B")
    with FakeGitHub(fail={"POST": 500}) as api:
        proc = gitlab_run(inputs, tmp_path, gitlab_env(tmp_path, api), inputs["grown"],
                          budgets=over)
    assert proc.returncode == 1
    lines = [l for l in proc.stderr.splitlines() if "not posted" in l]
    assert lines == [lines[0]] and "HTTP 500 from POST /api/v4/projects/42/" in lines[0]
    assert "membudget: over budget (new-only): heap code" in proc.stdout


def test_metrics_of_several_images_parse(inputs, tmp_path):
    parser = pytest.importorskip("prometheus_client.openmetrics.parser")
    paths = []
    for name in ("board_a", "board_b"):
        text = inputs["budgets"].read_text().replace('name = "fixture"', f'name = "{name}"')
        text = text.replace("[image]\n", f'[image]\nelf = "{inputs["fw"].elf}"\n')
        path = tmp_path / f"{name}.toml"
        path.write_text(text)
        paths.append(path)
    with FakeGitHub() as api:
        proc = run_poster(["run", "--budgets", *paths, "--out", tmp_path / "out"],
                          gitlab_env(tmp_path, api), cwd=tmp_path, poster=GITLAB_POSTER)
    assert proc.returncode == 0, proc.stderr
    families = {f.name: f for f in parser.text_string_to_metric_families(
        (tmp_path / "out" / "metrics.txt").read_text())}
    images = {s.labels["image"] for s in families["membudget_image_bytes"].samples}
    assert images == {"board_a", "board_b"}


def test_template_runs_the_poster_with_its_reports():
    yaml = pytest.importorskip("yaml", reason="python3-yaml (make test-deps)")
    doc = yaml.safe_load((ROOT / "docs" / "ci" / "gitlab-ci.yml").read_text())
    base = doc[".membudget"]
    script = " ".join(base["script"])
    assert "tools/ci/gitlab.py run" in script
    # A fresh clone has no compiled part: the job builds it first
    assert any("make" in line and "native" in line for line in base["before_script"])
    assert base["artifacts"]["reports"] == {"junit": "membudget-out/junit.xml",
                                            "metrics": "membudget-out/metrics.txt"}
    for job in ("membudget:mr", "membudget:main"):
        assert doc[job]["extends"] == ".membudget" and doc[job]["rules"]
    # The merge request restores what the default branch saved: by commit
    assert doc["membudget:mr"]["cache"]["key"] == "membudget-$CI_MERGE_REQUEST_DIFF_BASE_SHA"
    assert doc["membudget:main"]["cache"]["key"] == "membudget-$CI_COMMIT_SHA"
