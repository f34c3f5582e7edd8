"""The exam store on SQLite and PostgreSQL: attempts, journals, grading by replay, tampering.

Time is the store's own clock (`sandbox.server.clock.wall_now`), moved by the tests through a
fake wall clock so that time limits and stale decisions can be reached in milliseconds.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from sandbox.exam import grade, load_exam
from sandbox.exam import journal as chain
from sandbox.exam.replay import form_session, policy_chooser
from sandbox.exam.signing import load_public_key, verify_document
from sandbox.server import clock
from sandbox.server.store import (
    AttemptClosed,
    ExamStore,
    NotYet,
    Rejected,
    StoreError,
    UnknownCode,
)

EXAM = "cs-cert-en"


class FakeWall:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def wall(monkeypatch: pytest.MonkeyPatch) -> FakeWall:
    fake = FakeWall()
    monkeypatch.setattr(clock, "wall_now", fake)
    return fake


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Any:
    st = ExamStore.open(db_url, tmp_path / "keys")
    yield st
    st.close()


def take(store: ExamStore, wall: FakeWall, code: str, policy: str = "competent",
         *, stop_after: int | None = None, seed: int = 1) -> tuple[int, list[list[Any]]]:  # fmt: skip
    """A scripted candidate: decides with a bot policy `think` seconds after each decision
    appears, the fake wall clock following the simulated time (clock speed 1)."""
    opened = store.open_attempt(code)
    attempt, answer = opened.attempt_pk, opened.answer
    exam = load_exam(EXAM)
    session = form_session(exam, answer["attempt"]["form_index"])
    for e in answer["journal"]:
        session.run_until(e["t"])
        session.decide(e["contact_id"], e["choice_id"])
    started = wall.now - answer["attempt"]["server_now_s"]
    session.run_until(answer["attempt"]["server_now_s"])
    chooser, rng = policy_chooser(policy), random.Random(seed)
    seq = len(answer["journal"])
    made = 0
    while not session.finished and session.now < exam.exam_limit_s - 1:
        pending = session.pending_decisions()
        if pending:
            p = pending[0]
            run = session.center.active[p["contact_id"]].play.run
            choice = chooser(dict(p), run, rng)
            wall.now = started + session.now
            store.append_decision(attempt, seq + 1, session.now, p["contact_id"], choice)
            session.decide(p["contact_id"], choice)
            seq += 1
            made += 1
            if stop_after is not None and made >= stop_after:
                break
        else:
            session.run_until(min(session.env.peek(), session.now + 5.0, exam.exam_limit_s))
    wall.now = started + session.now
    return attempt, [list(d) for d in session.decision_log]


def published(store: ExamStore, names: list[str]) -> tuple[int, list[Any]]:
    exam = store.publish(EXAM)
    return exam.pk, store.issue_codes(exam.pk, names)


def test_forms_rotate_in_issue_order_and_codes_are_stored_only_as_hashes(
    store: ExamStore, db_url: str
) -> None:
    pk, codes = published(store, ["Ann", "Bob", "Cai", "Dee"])
    forms = len(load_exam(EXAM).forms)
    assert [c.form_index for c in codes] == [i % forms for i in range(4)]
    assert len({c.code for c in codes}) == 4
    with store.engine.connect() as conn:
        dump = json.dumps([list(map(str, r)) for r in conn.exec_driver_sql("SELECT * FROM codes")])
    for c in codes:
        assert c.code not in dump and c.code.replace("-", "") not in dump
    rows = store.codes(pk)
    assert [r.candidate for r in rows] == ["Ann", "Bob", "Cai", "Dee"]
    with pytest.raises(StoreError, match="twice"):
        store.issue_codes(pk, ["Eve", "Eve"])
    with pytest.raises(UnknownCode):
        store.open_attempt("AAAA-BBBB-CCCC")


def test_a_store_graded_attempt_is_exactly_the_offline_replay_of_its_journal(
    store: ExamStore, wall: FakeWall, tmp_path: Path
) -> None:
    pk, codes = published(store, ["Ann"])
    attempt, log = take(store, wall, codes[0].code)
    entries = store.journal(attempt)
    assert chain.decisions(entries) == log and chain.audit(entries) == []
    signed = store.finish(attempt)
    assert store.finish(attempt) == signed  # idempotent
    offline = grade(load_exam(EXAM), codes[0].form_index, log).to_json()
    for key in ("score", "passed", "contacts", "critical_errors", "reasons", "form", "exam"):
        assert signed[key] == offline[key], key
    assert signed["proctoring"] == "proctored"
    assert signed["journal"]["sha256"] == offline["journal"]["sha256"]
    key = load_public_key(tmp_path / "keys" / "public.pem")
    assert verify_document(signed, key).ok
    assert store.audit() == []
    with pytest.raises(AttemptClosed) as closed:
        store.open_attempt(codes[0].code)
    assert closed.value.extra["result"] == signed
    row = store.progress(pk)[0]
    assert row.status == "finished" and row.score == signed["score"]


def test_decisions_out_of_order_time_or_replay_are_refused_and_nothing_is_written(
    store: ExamStore, wall: FakeWall
) -> None:
    _, codes = published(store, ["Ann"])
    attempt, log = take(store, wall, codes[0].code, stop_after=2)
    t, contact, choice = log[-1]
    before = store.journal(attempt)
    # an exact repeat (a lost acknowledgement) is the same entry
    assert store.append_decision(attempt, 2, t, contact, choice)["hash"] == before[1]["hash"]
    cases = [
        (2, t, contact, "something_else"),  # seq taken by another decision
        (4, t, contact, choice),  # a gap
        (3, t - 1.0, contact, choice),  # earlier than the last decision
        (3, t + 60.0, contact, choice),  # ahead of the server clock
        (3, t, "trainee-999", choice),  # a contact the seat never had
        (3, t, "bot-1-001", choice),  # another seat's contact
        (3, t, contact, "no_such_choice"),  # not offered
    ]
    for case in cases:
        with pytest.raises(Rejected) as err:
            store.append_decision(attempt, *case)
        assert err.value.extra["head_seq"] == 2
    wall.now += 25.0  # more than clock.BEHIND_S later
    with pytest.raises(Rejected, match="stale"):
        store.append_decision(attempt, 3, t, contact, choice)
    assert store.journal(attempt) == before
    assert store.audit() == []


def test_resuming_gives_a_new_token_and_the_old_desk_is_locked_out(
    store: ExamStore, wall: FakeWall
) -> None:
    _, codes = published(store, ["Ann"])
    first = store.open_attempt(codes[0].code)
    assert store.attempt_for_token(first.token) == first.attempt_pk
    wall.now += 30.0
    again = store.open_attempt(codes[0].code.lower().replace("-", " "))
    assert again.attempt_pk == first.attempt_pk
    assert again.answer["attempt"]["server_now_s"] == pytest.approx(30.0)
    with pytest.raises(UnknownCode):
        store.attempt_for_token(first.token)
    assert store.attempt_for_token(again.token) == first.attempt_pk


def test_time_runs_on_the_server_and_an_overdue_attempt_is_graded(
    store: ExamStore, wall: FakeWall
) -> None:
    pk, codes = published(store, ["Ann", "Bob"])
    attempt, _ = take(store, wall, codes[0].code, stop_after=3)
    other = store.open_attempt(codes[1].code).attempt_pk
    wall.now += load_exam(EXAM).exam_limit_s + 1
    assert store.close_overdue() == 2
    for a in (attempt, other):
        result = store.result(a)
        assert result is not None and result["attempt"]["closed"] == "time_up"
    with pytest.raises(AttemptClosed):
        store.append_decision(attempt, 4, 10.0, "x", "y")
    assert {r.status for r in store.progress(pk)} == {"finished"}


def test_retake_policy_limits_attempts_and_waits(store: ExamStore, wall: FakeWall) -> None:
    exam = load_exam(EXAM)
    pk, first = published(store, ["Ann"])
    if exam.retake.attempts < 2:
        with pytest.raises(StoreError, match="retake"):
            store.issue_codes(pk, ["Ann"])
        return
    (second,) = store.issue_codes(pk, ["Ann"])
    assert second.attempt_no == 2
    if exam.retake.rotate_forms and len(exam.forms) > 1:
        assert second.form_index != first[0].form_index
    with pytest.raises(NotYet):
        store.open_attempt(second.code)  # the first attempt is not finished
    attempt = store.open_attempt(first[0].code).attempt_pk
    store.finish(attempt)
    if exam.retake.wait_s > 0:
        with pytest.raises(NotYet):
            store.open_attempt(second.code)
        wall.now += exam.retake.wait_s + 1
    assert store.open_attempt(second.code).answer["attempt"]["form_index"] == second.form_index


def test_admin_secret_and_sessions(store: ExamStore, wall: FakeWall) -> None:
    assert not store.admin_secret_is_set()
    with pytest.raises(StoreError):
        store.set_admin_secret("short")
    store.set_admin_secret("correct horse battery")
    with pytest.raises(StoreError):
        store.set_admin_secret("another long secret")
    assert store.check_admin_secret("correct horse battery")
    assert not store.check_admin_secret("correct horse batterY")
    token = store.new_admin_session()
    assert store.admin_session_ok(token) and not store.admin_session_ok(token + "x")
    wall.now += 13 * 3600
    assert not store.admin_session_ok(token)
    token = store.new_admin_session()
    store.end_admin_session(token)
    assert not store.admin_session_ok(token)


# -- tampering ---------------------------------------------------------------------------------
def _graded(store: ExamStore, wall: FakeWall) -> int:
    _, codes = published(store, ["Ann"])
    attempt, _ = take(store, wall, codes[0].code)
    store.finish(attempt)
    assert store.audit() == []
    return attempt


def _sql(store: ExamStore, statement: str, **params: Any) -> None:
    from sqlalchemy import text

    with store.engine.begin() as conn:
        conn.execute(text(statement), params)


JOURNAL_EDITS = [
    ("t", "UPDATE journal SET t = t + 0.5 WHERE attempt_pk = :a AND seq = :s"),
    ("choice", "UPDATE journal SET choice_id = 'x' || choice_id WHERE attempt_pk = :a AND seq = :s"),
    ("contact", "UPDATE journal SET contact_id = contact_id || 'x' WHERE attempt_pk = :a AND seq = :s"),
    ("stamp", "UPDATE journal SET received_at = '2020-01-01T00:00:00.000000Z' WHERE attempt_pk = :a AND seq = :s"),
    ("delete", "DELETE FROM journal WHERE attempt_pk = :a AND seq = :s"),
]  # fmt: skip


def test_every_edit_of_a_journal_row_or_a_grade_in_the_database_is_found(
    db_url: str, tmp_path: Path, wall: FakeWall
) -> None:
    cases = 0
    found = 0
    store = ExamStore.open(db_url, tmp_path / "keys")
    try:
        attempt = _graded(store, wall)
        n = len(store.journal(attempt))
        assert n >= 3
        original = {e["seq"]: e for e in store.journal(attempt)}
        for seq in sorted({1, n // 2, n}):
            for _name, statement in JOURNAL_EDITS:
                _sql(store, statement, a=attempt, s=seq)
                cases += 1
                found += any(f.attempt_pk == attempt for f in store.audit())
                # put the row back exactly as it was
                _sql(store, "DELETE FROM journal WHERE attempt_pk = :a AND seq = :s",
                     a=attempt, s=seq)  # fmt: skip
                e = original[seq]
                _sql(store, "INSERT INTO journal (attempt_pk, seq, t, contact_id, choice_id, "
                     "received_at, prev_hash, hash) VALUES (:a, :seq, :t, :contact_id, :choice_id, "
                     ":received_at, :prev_hash, :hash)", a=attempt, **e)  # fmt: skip
                assert store.audit() == []
        # swap two entries' positions (reordering)
        _sql(store, "UPDATE journal SET seq = -1 WHERE attempt_pk = :a AND seq = 1", a=attempt)
        _sql(store, "UPDATE journal SET seq = 1 WHERE attempt_pk = :a AND seq = 2", a=attempt)
        _sql(store, "UPDATE journal SET seq = 2 WHERE attempt_pk = :a AND seq = -1", a=attempt)
        cases += 1
        found += bool(store.audit())
        _sql(store, "UPDATE journal SET seq = -1 WHERE attempt_pk = :a AND seq = 1", a=attempt)
        _sql(store, "UPDATE journal SET seq = 1 WHERE attempt_pk = :a AND seq = 2", a=attempt)
        _sql(store, "UPDATE journal SET seq = 2 WHERE attempt_pk = :a AND seq = -1", a=attempt)
        assert store.audit() == []
        # the grade: its columns and the signed result
        from sqlalchemy import text

        with store.engine.connect() as conn:
            stored = conn.execute(text("SELECT result FROM grades WHERE attempt_pk = :a"),
                                  {"a": attempt}).scalar_one()  # fmt: skip
        doc = json.loads(stored)
        edits = [
            ("UPDATE grades SET passed = NOT passed WHERE attempt_pk = :a", {}),
            ("UPDATE grades SET score = score + 1 WHERE attempt_pk = :a", {}),
        ]
        for field, value in [("score", doc["score"] + 5), ("passed", not doc["passed"]),
                             ("proctoring", "unproctored")]:  # fmt: skip
            altered = json.dumps({**doc, field: value})
            edits.append(("UPDATE grades SET result = :r WHERE attempt_pk = :a", {"r": altered}))
        contacts = [dict(c) for c in doc["contacts"]]
        contacts[0]["score"] = 100.0
        edits.append(("UPDATE grades SET result = :r WHERE attempt_pk = :a",
                      {"r": json.dumps({**doc, "contacts": contacts})}))  # fmt: skip
        for statement, params in edits:
            with store.engine.begin() as conn:
                before = conn.execute(text("SELECT score, passed, result FROM grades "
                                           "WHERE attempt_pk = :a"), {"a": attempt}).first()  # fmt: skip
                conn.execute(text(statement), {"a": attempt, **params})
            cases += 1
            found += bool(store.audit())
            with store.engine.begin() as conn:
                conn.execute(text("UPDATE grades SET score = :s, passed = :p, result = :r "
                                  "WHERE attempt_pk = :a"),
                             {"s": before.score, "p": before.passed, "r": before.result,
                              "a": attempt})  # fmt: skip
            assert store.audit() == []
        # a journal with its tail re-hashed consistently is still caught by the anchor
        entries = store.journal(attempt)
        forged = chain.chain([[e["t"], e["contact_id"], e["choice_id"]] for e in entries[:-1]]
                             + [[entries[-1]["t"], entries[-1]["contact_id"], "forged"]])  # fmt: skip
        _sql(store, "DELETE FROM journal WHERE attempt_pk = :a", a=attempt)
        for e in forged:
            _sql(store, "INSERT INTO journal (attempt_pk, seq, t, contact_id, choice_id, "
                 "received_at, prev_hash, hash) VALUES (:a, :seq, :t, :contact_id, :choice_id, "
                 ":received_at, :prev_hash, :hash)", a=attempt, **e)  # fmt: skip
        cases += 1
        found += bool(store.audit())
    finally:
        store.close()
    assert found == cases, f"{cases - found} of {cases} tamperings went unnoticed"


def test_the_schema_is_migrated_once_and_reopening_keeps_everything(
    db_url: str, tmp_path: Path, wall: FakeWall
) -> None:
    from sqlalchemy import text

    first = ExamStore.open(db_url, tmp_path / "keys")
    _, codes = published(first, ["Ann"])
    key = first.key_id
    first.close()
    again = ExamStore.open(db_url, tmp_path / "keys")
    try:
        with again.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == (
                _head_revision()
            )
        assert again.key_id == key
        assert again.open_attempt(codes[0].code).answer["attempt"]["candidate"] == "Ann"
    finally:
        again.close()


def test_exam_audit_db_command_reports_a_tampered_database(
    sqlite_url: str, tmp_path: Path, wall: FakeWall, capsys: pytest.CaptureFixture[str]
) -> None:
    from sandbox.cli import main

    store = ExamStore.open(sqlite_url, tmp_path / "keys")
    attempt = _graded(store, wall)
    store.close()
    args = ["exam", "audit", "--db", sqlite_url, "--keys", str(tmp_path / "keys")]
    assert main(args) == 0
    assert "INTACT: 1 attempt" in capsys.readouterr().out
    store = ExamStore.open(sqlite_url, tmp_path / "keys")
    _sql(store, "UPDATE journal SET choice_id = 'forged' WHERE attempt_pk = :a AND seq = 2",
         a=attempt)  # fmt: skip
    store.close()
    assert main([*args, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert not report["ok"] and report["findings"][0]["attempt_pk"] == attempt
    assert "seq 2" in report["findings"][0]["message"]
    assert main(["exam", "audit", "--db", sqlite_url, "--keys", str(tmp_path / "none")]) != 0
    assert "no server key" in capsys.readouterr().err


CALLER = ("contact_id", "journey_id", "channel", "persona_id", "persona_card", "age_band",
          "segment", "temperament", "contract", "tenure_years", "products", "prior_contacts",
          "churn_risk", "cross_sell_offer", "cross_sell_fit")  # fmt: skip


def test_two_candidates_on_one_form_meet_the_same_customers_in_the_same_order(
    store: ExamStore, wall: FakeWall
) -> None:
    from sandbox.exam.replay import replay

    exam = load_exam(EXAM)
    forms = len(exam.forms)
    _, codes = published(store, [f"C{i}" for i in range(forms + 1)])
    first, second = codes[0], codes[forms]  # issue order rotates forms: same form again
    assert first.form_index == second.form_index
    callers = []
    for code, policy in ((first, "expert"), (second, "novice")):
        attempt, _ = take(store, wall, code.code, policy)
        store.finish(attempt)
        session = replay(exam, code.form_index, chain.decisions(store.journal(attempt)))
        seat = [r for r in session.results()["contacts"] if r.get("seat") == exam.seat]
        callers.append([tuple(str(r.get(k)) for k in CALLER) for r in seat])
    k = min(len(c) for c in callers)
    assert k == exam.customers  # each met every customer of the form
    assert callers[0][:k] == callers[1][:k]
    # and the two candidates really played differently
    journals = {r["journal"]["sha256"] for r in store.results(store.exams()[0].pk)}
    assert len(journals) == 2


def test_exam_replay_reads_an_attempt_from_the_database(
    sqlite_url: str, tmp_path: Path, wall: FakeWall, capsys: pytest.CaptureFixture[str]
) -> None:
    from sandbox.cli import main

    store = ExamStore.open(sqlite_url, tmp_path / "keys")
    attempt = _graded(store, wall)
    n = len(store.journal(attempt))
    store.close()
    html = tmp_path / "attempt.html"
    args = ["exam", "replay", "--db", sqlite_url, "--keys", str(tmp_path / "keys"),
            "--attempt", str(attempt), "--lang", "en", "--html", str(html)]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.count("\n") > n and "Customer" in out
    assert html.is_file() and "Ann" in html.read_text(encoding="utf-8")
    assert main([*args[:-4], "--attempt", "999"]) == 1
    assert "999" in capsys.readouterr().err


def _head_revision() -> str:
    """The newest revision of the server's migrations (what every start migrates to)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from sandbox.server.db import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return str(ScriptDirectory.from_config(cfg).get_current_head())
