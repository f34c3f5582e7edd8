"""Done-when: a 30-minute practice session played end to end through `Session` as the human
seat, then replayed from its decision log to identical results."""

from __future__ import annotations

import json
import random

import pytest

from sandbox.session import Session, SessionError


def _play(session: Session, rng: random.Random, step: float = 7.0) -> int:
    """Act as the trainee: every `step` sim seconds take a decision on every pending contact."""
    decisions = 0
    while not session.finished:
        session.advance(step)
        for pending in session.pending_decisions():
            available = [c["id"] for c in pending["choices"] if c["available"]]
            session.decide(pending["contact_id"], rng.choice(available))
            decisions += 1
        json.dumps(session.snapshot())  # the screen's view is plain data every frame
    return decisions


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    out = tmp_path_factory.mktemp("practice")
    session = Session("practice", 11, out_dir=out / "run")
    decisions = _play(session, random.Random(5))
    results = session.results()
    session.save(out / "session.json")
    session.close()
    return session, results, decisions, out


def test_practice_session_end_to_end(played) -> None:
    session, results, decisions, _ = played
    assert session.finished and session.now >= session.end
    assert decisions >= 3 and len(session.decision_log) == decisions
    seat_contacts = results["contacts"]
    assert seat_contacts, "the trainee seat handled contacts"
    contact = seat_contacts[0]
    assert contact["seat"] == "trainee" and contact["transcript"] and contact["decisions"]
    for d in contact["decisions"]:
        assert {"t", "node_id", "choice_id", "text", "behaviours", "feedback", "knowledge", "score",
                "risks", "csat_after"} <= set(d)  # fmt: skip
        assert d["csat_after"] is None or 1.0 <= d["csat_after"] <= 5.0
    assert set(contact["explanation"]) == {"zh-CN", "en"}
    kpis = results["kpis"]
    assert kpis["contacts"] == kpis["handled"] + kpis["abandoned"]
    assert 1.0 <= kpis["csat_mean"] <= 5.0
    logged = [d[2] for d in results["decision_log"] if d[1] == contact["contact_id"]]
    assert logged == [d["choice_id"] for d in contact["decisions"]]


def test_replay_from_decision_log_is_identical(played) -> None:
    _, results, _, out = played
    again = Session.resume(out / "session.json")
    assert again.finished
    assert json.dumps(again.results(), sort_keys=True) == json.dumps(results, sort_keys=True)


def test_human_choices_do_not_change_who_arrives(tmp_path) -> None:
    """Different trainees meet the same customers: the centre's arrivals (ids, times,
    journeys, personas) are the same, and so is the seat's k-th customer from its form (when
    it rings depends on how fast the trainee is; who it is does not)."""

    def arrivals(seed_choices: int) -> tuple[list[tuple], list[tuple]]:
        s = Session("practice", 11)
        records: list[dict] = []
        s.recorder.sinks.append(records.append)
        rng = random.Random(seed_choices)
        while not s.finished:
            s.advance(11.0)
            for p in s.pending_decisions():
                avail = [c["id"] for c in p["choices"] if c["available"]]
                s.decide(p["contact_id"], rng.choice(avail))
        centre = sorted(
            (r["contact_id"], r["arrived_at"], r["journey_id"], r["persona_id"])
            for r in records
            if r.get("seat") is None
        )
        seat = sorted(
            (r["contact_id"], r["journey_id"], r["persona_id"], r["channel"])
            for r in records
            if r.get("seat") == "trainee"
        )
        return centre, seat

    centre1, seat1 = arrivals(1)
    centre2, seat2 = arrivals(2)
    assert centre1 == centre2
    # the seat's customer k is the same person whatever was chosen (with a queue in front
    # of the seat, choices change which customers hang up before their turn, not who they are)
    one, two = {c[0]: c for c in seat1}, {c[0]: c for c in seat2}
    both = set(one) & set(two)
    assert len(both) >= 3 and all(one[k] == two[k] for k in both)


def test_decide_errors_are_clear() -> None:
    s = Session("practice", 11)
    with pytest.raises(SessionError, match="not waiting for a decision"):
        s.decide("P999999", "anything")
    while not s.pending_decisions():
        s.advance(5.0)
    pending = s.pending_decisions()[0]
    with pytest.raises(SessionError, match="not available"):
        s.decide(pending["contact_id"], "no_such_choice")
    assert s.decision_log == []


def test_advance_frame_never_overshoots_and_snapshot_shape() -> None:
    s = Session("practice", 11)
    target = s.now + 120.0
    while s.now < target:
        reached = s.advance_frame(target - s.now, wall_budget_s=0.0005)
        assert reached <= target
    assert s.now == target
    snap = s.snapshot()
    for key in ("now", "end", "finished", "clock", "queue", "abandoned_recent", "agents", "seats",
                "kpis", "targets", "alerts", "events"):  # fmt: skip
        assert key in snap
    assert snap["clock"] == "09:02:00"
    assert len(snap["kpis"]) == 17
    assert {a["kind"] for a in snap["agents"]} == {"bot", "human"}


def test_resume_refuses_a_changed_scenario(tmp_path, played) -> None:
    _, _, _, out = played
    doc = json.loads((out / "session.json").read_text())
    doc["scenario"]["hash"] = "0" * 64
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(SessionError, match="changed since this session was saved"):
        Session.resume(bad)


def test_frame_driven_session_replays_identically(tmp_path) -> None:
    """The game loop's path: tiny wall budgets stop mid-way through sim time; decisions taken
    there still replay bit for bit (each is applied after all events at times <= t)."""
    s = Session("practice", 21)
    rng = random.Random(9)
    frames = short = 0
    while not s.finished and frames < 20000:
        target = s.now + 30.0
        reached = s.advance_frame(30.0, wall_budget_s=0.0)  # stop as early as allowed
        assert reached <= target
        short += reached < target
        frames += 1
        for pending in s.pending_decisions():
            if rng.random() < 0.2:  # a trainee who takes a few frames to decide
                available = [c["id"] for c in pending["choices"] if c["available"]]
                s.decide(pending["contact_id"], rng.choice(available))
    while not s.finished:
        s.advance(60.0)
        for pending in s.pending_decisions():
            s.decide(pending["contact_id"], pending["choices"][0]["id"] if pending["choices"][0]["available"]
                     else next(c["id"] for c in pending["choices"] if c["available"]))  # fmt: skip
    assert s.decision_log and short > 0
    s.save(tmp_path / "s.json")
    again = Session.resume(tmp_path / "s.json")
    assert json.dumps(again.results(), sort_keys=True) == json.dumps(s.results(), sort_keys=True)


def test_resume_refuses_a_changed_journey(tmp_path, played) -> None:
    _, _, _, out = played
    doc = json.loads((out / "session.json").read_text())
    jid = next(iter(doc["journeys"]))
    doc["journeys"][jid] = "f" * 64
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(SessionError, match=f"journey '{jid}' changed"):
        Session.resume(bad)


def test_a_save_made_with_other_model_files_refuses_to_resume_naming_the_file(tmp_path) -> None:
    s = Session("practice", 5)
    s.advance(120.0)
    path = s.save(tmp_path / "session.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert set(doc["model_files"]) >= {"params.json", "csat.skops"}
    assert Session.resume(path).now == s.now
    doc["model_files"]["params.json"] = "0" * 64  # saved with another params.json
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(SessionError, match=r"params\.json"):
        Session.resume(path)
