"""A real `shapan serve` on a free localhost port, an admin over HTTP, and a scripted desk.

Why a subprocess and not Starlette's TestClient: the tests must see what a desk and a browser
see — uvicorn, sockets, the lifespan task, cookies, the commit before the acknowledgement — and
a server that dies does not take the test process with it.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any

from sandbox.server.client import ExamClient, Rejected

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    proc: subprocess.Popen[bytes]
    url: str
    log_path: Path
    out_path: Path

    def output(self) -> str:
        return self.out_path.read_text(errors="replace") + self.log_path.read_text(errors="replace")

    def stop(self, timeout: float = 15.0) -> int:
        """Ctrl-C (graceful), then kill if it does not stop in time; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return int(self.proc.returncode)


def start_server(
    db_url: str,
    workdir: Path,
    *,
    clock_speed: float = 1.0,
    secret: str | None = None,
    extra: list[str] | None = None,
    wait_s: float = 60.0,
    port: int | None = None,
) -> LiveServer:
    """`shapan serve` on a free port (or `port`: a restart); returns once it answers HTTP."""
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    args = [
        sys.executable, "-c", "import sys; from sandbox.cli import main; sys.exit(main())",
        "serve", "--db", db_url, "--host", "127.0.0.1", "--port", str(port),
        "--keys", str(workdir / "keys"), "--clock-speed", str(clock_speed),
    ]  # fmt: skip
    if secret is not None:
        secret_file = workdir / "admin-secret"
        secret_file.write_text(secret + "\n", encoding="utf-8")
        args += ["--admin-secret-file", str(secret_file)]
    args += extra or []
    env = {k: v for k, v in os.environ.items() if k != "SHAPAN_ADMIN_SECRET"}
    env["PYTHONPATH"] = str(ROOT)
    out_path = workdir / f"serve-{port}.out"
    log_path = workdir / f"serve-{port}.err"
    with out_path.open("wb") as out, log_path.open("wb") as err:
        proc = subprocess.Popen(args, cwd=workdir, stdout=out, stderr=err, env=env)
    server = LiveServer(proc, f"http://127.0.0.1:{port}", log_path, out_path)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"shapan serve exited ({proc.returncode}):\n{server.output()}")
        try:
            with urllib.request.urlopen(server.url + "/api/v1/public-key", timeout=2) as r:
                if r.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"shapan serve did not answer in {wait_s:g} s:\n{server.output()}")


# --- plain HTTP -----------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    cookies: list[str] = field(default_factory=list)  # every Set-Cookie header

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def request(
    url: str,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    opener: urllib.request.OpenerDirector | None = None,
) -> Answer:
    """One HTTP exchange; error statuses are answers too (never exceptions); no redirects."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    opener = opener or urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(req, timeout=30) as r:
            return Answer(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read(),
                          r.headers.get_all("set-cookie") or [])  # fmt: skip
    except urllib.error.HTTPError as err:
        with err:
            return Answer(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read(),
                          err.headers.get_all("set-cookie") or [])  # fmt: skip


def post_json(url: str, doc: Any, token: str | None = None) -> Answer:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return request(url, "POST", json.dumps(doc).encode(), headers)


# --- the administrator, over HTTP like a browser -----------------------------------------------


_CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
_CARD_RE = re.compile(
    r'<dd class="candidate">(.*?)</dd>.*?<dd class="code">(.*?)</dd>.*?<dt>[^<]*</dt><dd>(.*?)</dd>',
    re.S,
)


@dataclass
class Admin:
    """A browser-like admin: a cookie jar, CSRF tokens read from the pages it gets."""

    base: str
    lang: str = "en"
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def __post_init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect
        )

    def get(self, path: str) -> Answer:
        return request(self.base + path, headers={"Accept-Language": self.lang}, opener=self.opener)

    def csrf(self, path: str) -> str:
        page = self.get(path)
        m = _CSRF_RE.search(page.text)
        assert m, f"no CSRF token on {path} ({page.status})"
        return m.group(1)

    def post(self, path: str, fields: dict[str, str], *, csrf_from: str | None = None) -> Answer:
        data = dict(fields)
        if "csrf" not in data:
            data["csrf"] = self.csrf(csrf_from or path)
        return request(
            self.base + path,
            "POST",
            urllib.parse.urlencode(data).encode(),
            {"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": self.lang},
            self.opener,
        )

    def setup(self, secret: str) -> Answer:
        return self.post("/admin/setup", {"secret": secret, "secret2": secret})

    def login(self, secret: str) -> Answer:
        return self.post("/admin/login", {"secret": secret})

    def publish(self, shipped: str) -> int:
        answer = self.post("/admin/exams", {"shipped": shipped, "path": ""})
        assert answer.status == 303, answer.text
        m = re.search(r"/admin/exams/(\d+)$", answer.headers["location"])
        assert m, answer.headers
        return int(m.group(1))

    def issue(self, exam_pk: int, names: list[str]) -> list[tuple[str, str, str]]:
        """(candidate, code, form) of each card on the printed code sheet."""
        answer = self.post(
            f"/admin/exams/{exam_pk}/codes",
            {"candidates": "\n".join(names)},
            csrf_from=f"/admin/exams/{exam_pk}",
        )
        assert answer.status == 200, answer.text
        return [
            (unescape(a), unescape(b), unescape(c)) for a, b, c in _CARD_RE.findall(answer.text)
        ]

    def progress(self, exam_pk: int) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.get(f"/admin/exams/{exam_pk}/progress.json").json()[
            "rows"
        ]
        return rows


# --- a scripted desk --------------------------------------------------------------------------


def offline_journal(exam_ref: str, form_index: int, policy: str = "competent") -> list[list[Any]]:
    """The decisions a bot makes on the form, played offline (what the desk will send)."""
    from sandbox.exam import load_exam, play, policy_chooser

    return play(load_exam(exam_ref), form_index, policy_chooser(policy))


def take_exam(
    client: ExamClient,
    journal: list[list[Any]],
    *,
    start_seq: int = 1,
    pause_s: float = 0.0,
    lead_s: float = 1.0,
) -> None:
    """Send `journal[start_seq-1:]` as a desk would: each decision once the server clock has
    reached its time (less `lead_s` wall seconds), a heartbeat with each."""
    opened_at = time.monotonic()
    answer = client.open()
    now0 = float(answer["attempt"]["server_now_s"])
    speed = float(answer["attempt"]["clock_speed"])
    for seq, (t, contact_id, choice_id) in enumerate(journal, start=1):
        if seq < start_seq:
            continue
        wait = (t - now0) / speed - (time.monotonic() - opened_at) - lead_s
        if wait > 0:
            time.sleep(wait)
        try:
            client.decide(seq, t, contact_id, choice_id)
        except Rejected as err:  # a repeat after a lost ack is accepted as the same entry
            raise AssertionError(f"decision {seq} refused: {err} {err.answer}") from None
        client.heartbeat(contact_id)
        if pause_s:
            time.sleep(pause_s)


def first_sse_event(stream: Any, name: str) -> dict[str, Any] | None:
    """The data of the first server-sent event called `name` on an open `text/event-stream`
    response (None if the stream ends first)."""
    event = None
    for raw in stream:
        line = raw.decode("utf-8").rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event == name:
            return dict(json.loads(line[6:]))
    return None
