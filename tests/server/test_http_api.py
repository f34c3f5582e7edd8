"""The candidate API over real HTTP: a real `shapan serve` (uvicorn) per test, on SQLite and
PostgreSQL, driven by the desk's own ExamClient and by raw urllib for what a desk never sends."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from sandbox.server.client import (
    AttemptClosed,
    ClientError,
    ConnectionLost,
    ExamClient,
    Rejected,
    UnknownCode,
)
from tests.server.live_server import (
    ROOT,
    Admin,
    offline_journal,
    post_json,
    request,
    take_exam,
)

SECRET = "correct horse battery"
EXAM = "cs-cert-en"
#: Grading fields of a result: everything the replay decides (not who, when or the signature).
GRADED = ("exam", "form", "passed", "score", "cut", "contacts_passed", "contacts_required",
          "critical_errors", "reasons", "contacts")  # fmt: skip


def _admin_with_codes(url: str, names: list[str]) -> tuple[Admin, int, list[tuple[str, str, str]]]:
    admin = Admin(url)
    assert admin.login(SECRET).status == 303
    pk = admin.publish(EXAM)
    return admin, pk, admin.issue(pk, names)


def _one_line_error(answer: Any) -> dict[str, str]:
    doc = answer.json()
    err = doc["error"]
    assert set(err) == {"zh-CN", "en"}, doc
    for text in err.values():
        assert text and "\n" not in text and "Traceback" not in text
    return dict(err)


def test_a_full_exam_over_http_grades_exactly_like_an_offline_replay(serve, db_url):
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    from sandbox.exam import grade, load_exam
    from sandbox.exam.signing import verify_document

    server = serve(db_url, clock_speed=200, secret=SECRET)
    _, _, cards = _admin_with_codes(server.url, ["Ada Lovelace", "Grace Hopper"])
    (name, code, form), _ = cards
    client = ExamClient(server.url, code)
    opened = client.open()
    assert opened["attempt"]["status"] == "active" and opened["journal"] == []
    form_index = opened["attempt"]["form_index"]
    exam = load_exam(EXAM)
    assert exam.forms[form_index].id == form
    journal = offline_journal(EXAM, form_index)
    take_exam(client, journal)
    result = client.finish()

    offline = grade(exam, form_index, journal).to_json()
    assert {k: result[k] for k in GRADED} == {k: offline[k] for k in GRADED}
    assert result["proctoring"] == "proctored" and result["attempt"]["candidate"] == name
    key = load_pem_public_key(client.public_key_pem().encode())
    assert verify_document(result, key).ok
    assert client.finish() == result == client.result()  # idempotent, stored
    # a finished attempt: re-opening gives the result, a decision is refused as closed
    with pytest.raises(AttemptClosed) as closed:
        ExamClient(server.url, code).open()
    assert closed.value.result == result
    with pytest.raises(AttemptClosed):
        client.decide(len(journal) + 1, journal[-1][0] + 1, journal[-1][1], journal[-1][2])


def test_a_crashed_desk_resumes_from_the_servers_journal(serve, db_url):
    server = serve(db_url, clock_speed=200, secret=SECRET)
    _, _, [(_, code, _)] = _admin_with_codes(server.url, ["Ada"])
    first = ExamClient(server.url, code)
    form_index = first.open()["attempt"]["form_index"]
    journal = offline_journal(EXAM, form_index)
    take_exam(first, journal[:5])
    # the desk dies; a new one opens with the same code and gets the acknowledged entries
    second = ExamClient(server.url, code)
    opened = second.open()
    got = [[e["t"], e["contact_id"], e["choice_id"]] for e in opened["journal"]]
    assert got == journal[:5]
    assert [e["seq"] for e in opened["journal"]] == [1, 2, 3, 4, 5]
    # the old desk's token no longer works: only one desk writes an attempt
    with pytest.raises(ClientError) as stale:
        first.heartbeat(None)
    assert stale.value.status == 401
    # an acknowledged decision sent again (a lost ack) is the same entry, not a new one
    again = second.decide(5, *journal[4])
    assert again["hash"] == opened["journal"][4]["hash"]
    with pytest.raises(Rejected) as wrong:
        second.decide(7, *journal[6])
    assert wrong.value.head_seq == 5 and wrong.value.server_now_s is not None


def test_a_token_reaches_its_own_attempt_only(serve, db_url):
    server = serve(db_url, clock_speed=50, secret=SECRET)
    _, _, [(_, code_a, _), (_, code_b, _)] = _admin_with_codes(server.url, ["A", "B"])
    a, b = ExamClient(server.url, code_a), ExamClient(server.url, code_b)
    a.open()
    b.open()
    ja = offline_journal(EXAM, 0)
    time.sleep(ja[0][0] / 50)
    a.decide(1, *ja[0])
    # every candidate route takes the attempt from the token alone: no id in a path, query or
    # body can point it elsewhere
    base = server.url + "/api/v1/attempts"
    answer = request(f"{base}/result?attempt=1&attempt_id=1",
                     headers={"Authorization": f"Bearer {b.token}"})  # fmt: skip
    assert answer.status == 409  # B's own attempt, still active; never A's
    extra = post_json(f"{base}/heartbeat", {"contact_id": None, "attempt_id": 1}, b.token)
    assert extra.status == 400 and "attempt_id" in _one_line_error(extra)["en"]
    # B finishing ends B only; A keeps its journal and goes on
    result_b = b.finish()
    assert result_b["attempt"]["candidate"] == "B" and result_b["journal"]["entries"] == 0
    assert a.heartbeat(ja[0][1])["status"] == "active"
    a.decide(2, *ja[1])
    reopened = ExamClient(server.url, code_a).open()
    assert [e["seq"] for e in reopened["journal"]] == [1, 2]
    # no token, a made-up token, another scheme: 401, one line
    for headers in (
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": f"Basic {a.token}"},
    ):
        r = request(f"{base}/result", headers=headers)
        assert r.status == 401 and r.headers.get("www-authenticate") == "Bearer"
        _one_line_error(r)


def test_no_endpoint_accepts_a_result(serve, sqlite_url):
    server = serve(sqlite_url, clock_speed=50, secret=SECRET)
    _, _, [(_, code, _)] = _admin_with_codes(server.url, ["A"])
    client = ExamClient(server.url, code)
    client.open()
    forged = {"result": {"passed": True, "score": 100.0}}
    base = server.url + "/api/v1"
    for path in ("/attempts/result", "/attempts/results", "/results", "/attempts/grade",
                 "/attempts/upload", "/result"):  # fmt: skip
        answer = post_json(base + path, forged, client.token)
        assert answer.status in (404, 405), (path, answer.status)
        _one_line_error(answer)
    # finish takes an empty body: a result in it is refused, not read
    answer = post_json(base + "/attempts/finish", forged, client.token)
    assert answer.status == 400 and "result" in _one_line_error(answer)["en"]
    assert client.finish()["passed"] is False  # the server's own grade of an empty journal


def test_bad_bodies_get_one_line_bilingual_errors(serve, sqlite_url):
    server = serve(sqlite_url, clock_speed=50, secret=SECRET)
    _, _, [(_, code, _)] = _admin_with_codes(server.url, ["A"])
    client = ExamClient(server.url, code)
    client.open()
    url = server.url + "/api/v1/attempts/decisions"
    auth = {"Authorization": f"Bearer {client.token}", "Content-Type": "application/json"}

    def send(raw: bytes) -> Any:
        return request(url, "POST", raw, auth)

    cases = {
        b"x" * (17 * 1024): 413,
        b"not json": 400,
        b"[1, 2]": 400,
        b'{"seq": 1, "t": NaN, "contact_id": "trainee-001", "choice_id": "warm"}': 400,
        b'{"seq": 1, "t": 1e999, "contact_id": "trainee-001", "choice_id": "warm"}': 400,
        b'{"seq": "1", "t": 10, "contact_id": "trainee-001", "choice_id": "warm"}': 400,
        b'{"seq": true, "t": 10, "contact_id": "trainee-001", "choice_id": "warm"}': 400,
        b'{"seq": 1, "t": 10, "contact_id": 5, "choice_id": "warm"}': 400,
        b'{"seq": 1, "t": 10, "contact_id": "trainee-001"}': 400,
        b'{"seq": 1, "t": -1, "contact_id": "trainee-001", "choice_id": "warm"}': 400,
        b'{"seq": 1, "t": 10, "contact_id": "trainee-001", "choice_id": "'
        + b"w" * 300
        + b'"}': 400,
        b"\xff\xfe": 400,
    }
    for raw, status in cases.items():
        answer = send(raw)
        assert answer.status == status, (raw[:60], answer.status, answer.text)
        _one_line_error(answer)
    # a body past the limit is refused from its Content-Length, before it is read
    answer = request(url, "POST", b"{}", {**auth, "Content-Length": str(10**9)})
    assert answer.status == 413
    # a decision in the future (beyond the server clock) is refused with where the journal is
    answer = send(json.dumps({"seq": 1, "t": 2000, "contact_id": "trainee-001",
                              "choice_id": "warm"}).encode())  # fmt: skip
    assert answer.status == 409 and answer.json()["head_seq"] == 0
    assert answer.json()["server_now_s"] < 2000
    _one_line_error(answer)
    # unknown code, unknown path, wrong method
    with pytest.raises(UnknownCode):
        ExamClient(server.url, "AAAA-BBBB-CCCC").open()
    assert request(server.url + "/api/v1/nothing").status == 404
    assert request(server.url + "/api/v1/attempts/open").status == 405


def test_the_server_closes_and_grades_attempts_whose_time_ran_out(serve, db_url):
    # 2700 simulated seconds at 1000x: the limit passes in under 3 s of wall time
    server = serve(db_url, clock_speed=1000, secret=SECRET)
    admin, pk, [(_, code, _)] = _admin_with_codes(server.url, ["Late Larry"])
    client = ExamClient(server.url, code)
    client.open()
    deadline = time.monotonic() + 20
    row: dict[str, Any] = {}
    while time.monotonic() < deadline:
        row = admin.progress(pk)[0]
        if row["status"] == "finished":
            break
        time.sleep(0.3)
    assert row["status"] == "finished" and row["status_text"] == "time ran out"
    result = client.result()  # graded by the server's own background task: no finish call
    assert result["attempt"]["closed"] == "time_up" and result["passed"] is False


def test_client_errors_are_typed(serve, sqlite_url):
    with pytest.raises(ClientError):
        ExamClient("ftp://example.org", "X")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(ConnectionLost):
        ExamClient(dead, "X", timeout=1).open()
    server = serve(sqlite_url, secret=SECRET)
    with pytest.raises(UnknownCode) as unknown:
        ExamClient(server.url, "NOPE-NOPE-NOPE").open()
    assert unknown.value.status == 404 and unknown.value.message("zh-CN") != unknown.value.message(
        "en"
    )
    assert "BEGIN PUBLIC KEY" in ExamClient(server.url, "X").public_key_pem()


# --- `shapan serve` refuses to start with one clear line ----------------------------------------


def _serve_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SHAPAN_ADMIN_SECRET"}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-c", "import sys; from sandbox.cli import main; sys.exit(main())",
         "serve", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_serve_checks_before_starting(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = str(taken.getsockname()[1])
        cases = [
            (["--db", "not a url"], "is not a database URL"),
            (["--db", "postgresql+psycopg://u:secretpw@127.0.0.1:1/x", "--port", "0"],
             "cannot open the database"),
            (["--port", port, "--db", f"sqlite:///{tmp_path / 'a.db'}"], "already in use"),
            (["--admin-secret-file", str(tmp_path / "missing"), "--port", "0"],
             "cannot read the admin secret file"),
            (["--db", f"sqlite:///{tmp_path / 'no' / 'dir' / 'a.db'}", "--port", "0"],
             "does not exist"),
        ]  # fmt: skip
        for args, words in cases:
            done = _serve_cli(*args, cwd=tmp_path)
            assert done.returncode == 1, (args, done.stderr)
            assert words in done.stderr and "Traceback" not in done.stderr, done.stderr
            assert len(done.stderr.strip().splitlines()) == 1, done.stderr
            assert "secretpw" not in done.stderr
    # a secret file that disagrees with the database's secret
    db = f"sqlite:///{tmp_path / 's.db'}"
    first = tmp_path / "first"
    first.write_text("the first secret\n")
    other = tmp_path / "other"
    other.write_text("another secret\n")
    from sandbox.server.store import ExamStore

    store = ExamStore.open(db, tmp_path / "keys")
    store.set_admin_secret("the first secret")
    store.close()
    done = _serve_cli("--db", db, "--admin-secret-file", str(other), "--port", "0",
                      "--keys", str(tmp_path / "keys"), cwd=tmp_path)  # fmt: skip
    assert done.returncode == 1 and "does not match" in done.stderr
    assert "Traceback" not in done.stderr


def test_serve_prints_the_admin_url_and_key_and_stops_on_ctrl_c(serve, sqlite_url):
    server = serve(sqlite_url)
    assert server.stop() == 0
    out = server.output()
    assert f"{server.url}/admin" in out and f"{server.url}/admin/setup" in out
    assert "signed with key" in out and "Traceback" not in out
