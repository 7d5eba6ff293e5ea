"""A simulated GitHub for tools/ci/github.py: the REST API on 127.0.0.1 and
the runner's environment (event JSON, GITHUB_STEP_SUMMARY, GITHUB_OUTPUT).

    with FakeGitHub() as api:
        env = runner_env(tmp_path, api, pr_event(7))
        proc = run_poster(["run", ...], env)
        api.requests        # [(method, path, json body or None)]
        api.comments        # {id: {"id", "body", "html_url"}}

The server keeps issue comments (list with ?per_page=&page=, create,
update), answers GET /repos/O/R/pulls/N from `pulls`, and fails the
requests whose method is in `fail` with that HTTP status.  A GitLab mode
serves merge request notes the same way (list, POST, PUT).
"""

import json
import os
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[2]
POSTER = ROOT / "tools" / "ci" / "github.py"
GITLAB_POSTER = ROOT / "tools" / "ci" / "gitlab.py"
REPOSITORY = "org/fw"


class FakeGitHub:
    def __init__(self, comments=(), pulls=None, fail=None):
        self.requests = []
        self.comments = {}
        self.next_id = 1
        self.pulls = pulls or {}
        self.fail = fail or {}
        for body in comments:
            self._add(body)
        self.lock = threading.Lock()

    def _add(self, body):
        cid = self.next_id
        self.next_id += 1
        self.comments[cid] = {"id": cid, "body": body,
                              "html_url": f"https://github.example/org/fw/c/{cid}"}
        return self.comments[cid]

    # the server

    def __enter__(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status, doc):
                data = json.dumps(doc).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                with fake.lock:
                    fake.requests.append((self.command, self.path, body,
                                          dict(self.headers)))
                    if self.command in fake.fail:
                        return self._reply(fake.fail[self.command],
                                           {"message": "Simulated failure"})
                    status, doc = fake.route(self.command, self.path, body)
                return self._reply(status, doc)

            do_GET = do_POST = do_PATCH = do_PUT = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def route(self, method, path, body):
        url = urlsplit(path)
        query = parse_qs(url.query)
        # GitHub: issue comments, pulls
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues/(\d+)/comments", url.path)
        if match and method == "GET":
            return 200, self._page(query)
        if match and method == "POST":
            return 201, self._add(body["body"])
        match = re.fullmatch(r"/repos/[^/]+/[^/]+/issues/comments/(\d+)", url.path)
        if match and method == "PATCH":
            return self._update(int(match.group(1)), body)
        match = re.fullmatch(r"/repos/[^/]+/[^/]+/pulls/(\d+)", url.path)
        if match and method == "GET":
            pull = self.pulls.get(int(match.group(1)))
            return (200, pull) if pull else (404, {"message": "Not Found"})
        # GitLab: merge request notes
        match = re.fullmatch(r"/api/v4/projects/([^/]+)/merge_requests/(\d+)/notes", url.path)
        if match and method == "GET":
            return 200, self._page(query)
        if match and method == "POST":
            return 201, self._add(body["body"])
        match = re.fullmatch(r"/api/v4/projects/[^/]+/merge_requests/\d+/notes/(\d+)",
                             url.path)
        if match and method == "PUT":
            return self._update(int(match.group(1)), body)
        return 404, {"message": f"no route {method} {url.path}"}

    def _page(self, query):
        per = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        items = list(self.comments.values())
        return items[(page - 1) * per:page * per]

    def _update(self, cid, body):
        if cid not in self.comments:
            return 404, {"message": "Not Found"}
        self.comments[cid]["body"] = body["body"]
        return 200, self.comments[cid]

    # what tests ask

    def writes(self):
        return [(m, p) for m, p, _, _ in self.requests if m != "GET"]

    def ours(self):
        return [c for c in self.comments.values() if "<!-- membudget -->" in c["body"]]


#: The budgets both CI suites check: heap with a code cap (fields: {root},
#: {heap_code}) and a catch-all
CI_BUDGETS = """
[image]
name = "fixture"
root = "{root}"
rom = "64 KiB"

[components.heap]
paths = ["tests/tools/fixtures/heap.c"]
budget = {{ code = "{heap_code}" }}

[components.other]
catch_all = true
"""


def pr_event(number=7, fork=False, body="", sha="c0ffee" * 7):
    head_repo = "someone/fw" if fork else REPOSITORY
    return {"action": "synchronize", "number": number,
            "pull_request": {"number": number, "body": body,
                             "head": {"sha": sha, "repo": {"full_name": head_repo}},
                             "base": {"repo": {"full_name": REPOSITORY}}},
            "repository": {"full_name": REPOSITORY}}


def runner_env(tmp_path, api, event, name="pull_request", token="t0k3n", extra=None):
    """The environment of a GitHub Actions step, pointing at api."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    event_path = tmp_path / "event.json"
    event_path.write_text(event if isinstance(event, str) else json.dumps(event))
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(event_path),
           "GITHUB_EVENT_NAME": name, "GITHUB_REPOSITORY": REPOSITORY,
           "GITHUB_API_URL": api.url if api else "http://127.0.0.1:9",
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
           "GITHUB_OUTPUT": str(tmp_path / "output.txt")}
    if token:
        env["GITHUB_TOKEN"] = token
    env.update(extra or {})
    return env


def run_poster(args, env, cwd, poster=POSTER):
    return subprocess.run([sys.executable, str(poster), *map(str, args)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def outputs(tmp_path):
    """GITHUB_OUTPUT as a dict (name=value lines and heredocs)."""
    path = tmp_path / "output.txt"
    found, lines = {}, path.read_text().splitlines() if path.exists() else []
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and "=" not in line.split("<<")[0]:
            name, mark = line.split("<<", 1)
            end = lines.index(mark, i + 1)
            found[name] = "\n".join(lines[i + 1:end])
            i = end + 1
            continue
        name, _, value = line.partition("=")
        found[name] = value
        i += 1
    return found
