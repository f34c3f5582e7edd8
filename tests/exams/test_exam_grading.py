"""Grading by replay on the real engine: deterministic, fair across candidates, strict about
critical errors and about journals that do not replay."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from journeys.policies import choose
from sandbox.cli import main
from sandbox.exam import JournalError, grade, load_exam, play, policy_chooser
from sandbox.exam.model import Exam
from sandbox.exam.replay import form_session


@cache
def _exam(name: str = "cs-cert-zh") -> Exam:
    return load_exam(name)


@cache
def _journal(policy: str, form: int, name: str = "cs-cert-zh") -> tuple[tuple[Any, ...], ...]:
    return tuple(tuple(e) for e in play(_exam(name), form, policy_chooser(policy)))


def _as_list(journal: tuple[tuple[Any, ...], ...]) -> list[list[Any]]:
    return [list(e) for e in journal]


def _customers(exam: Exam, form: int, journal: list[list[Any]]) -> list[tuple[str, ...]]:
    """The seat's k-th customers as (contact, journey, persona, channel), in order."""
    from sandbox.exam.replay import replay

    session = replay(exam, form, journal)
    recs = [r for r in session.results()["contacts"] if r["seat"] == exam.seat]
    return sorted((r["contact_id"], r["journey_id"], r["persona_id"], r["channel"]) for r in recs)


def test_a_bot_journal_grades_deterministically_and_identically_twice() -> None:
    exam = _exam()
    journal = _as_list(_journal("competent", 0))
    assert len(journal) > 10
    first = grade(exam, 0, journal).to_json()
    second = grade(exam, 0, json.loads(json.dumps(journal))).to_json()
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert first["proctoring"] == "unproctored"
    assert first["journal"]["entries"] == len(journal)
    assert len(first["contacts"]) == exam.customers
    assert first["passed"] is True  # the competent bot passes the shipped exam
    for reason in first["reasons"]:
        assert reason["zh-CN"] and reason["en"]


def test_two_candidates_with_the_same_decisions_get_the_same_result() -> None:
    """Candidate B sits at another desk (a fresh session, the exam loaded afresh) and clicks
    the same choices as candidate A, one after the other: B's journal is A's, bit for bit, and
    so is the result."""
    exam = _exam()
    journal_a = _as_list(_journal("novice", 1))
    clicks = iter(e[2] for e in journal_a)
    journal_b = play(load_exam(exam.path), 1, lambda pending, run, rng: next(clicks))
    assert journal_b == journal_a
    assert (
        grade(exam, 1, journal_a).to_json() == grade(load_exam(exam.path), 1, journal_b).to_json()
    )


def test_the_same_form_gives_the_same_kth_customer_to_every_policy() -> None:
    exam = _exam()
    seen = {
        p: _customers(exam, 0, _as_list(_journal(p, 0))) for p in ("expert", "novice", "random")
    }
    ref = seen["expert"]
    assert len(ref) == exam.customers
    for policy, customers in seen.items():
        k = min(len(customers), len(ref))
        assert k >= 3 and customers[:k] == ref[:k], policy


def test_two_forms_give_different_customers() -> None:
    exam = _exam()
    a = _customers(exam, 0, _as_list(_journal("expert", 0)))
    b = _customers(exam, 1, _as_list(_journal("expert", 1)))
    assert [c[1:] for c in a] != [c[1:] for c in b]
    assert [c[2] for c in a] != [c[2] for c in b]  # other personas, not only other journeys


def _leaky(pending: dict[str, Any], run: Any, rng: random.Random) -> str:
    """A candidate who takes a choice tagged with the privacy_breach risk whenever one is on
    offer, and plays competently otherwise."""
    for view in run.choices():
        risk = getattr(view, "risk", None)
        if risk == "privacy_breach" or (
            isinstance(risk, (list, tuple)) and "privacy_breach" in risk
        ):
            return str(view.id)
    return choose("competent", run, rng)


def test_a_privacy_leak_fails_the_exam_as_the_rule_says() -> None:
    exam = _exam()  # privacy_breach fails the exam; compliance_breach fails the contact
    journal = play(exam, 0, _leaky)
    result = grade(exam, 0, journal)
    leaked = [c for c in result.contacts if any(h["risk"] == "privacy_breach" for h in c.critical)]
    assert leaked, "the leaky candidate found no privacy_breach choice on form A"
    for c in leaked:
        assert not c.passed and c.score == 0.0 and c.raw_score > 0.0
    assert result.passed is False
    assert {h["contact_id"] for h in result.critical} == {c.contact_id for c in leaked}
    assert any("privacy breach" in r["en"] and "fails the exam" in r["en"] for r in result.reasons)
    assert any("隐私泄露" in r["zh-CN"] for r in result.reasons)
    # the same leak where the rule only fails the contact: the exam can still pass
    lenient = replace(exam, critical=tuple(replace(c, fails="contact") for c in exam.critical))
    soft = grade(lenient, 0, journal)
    assert soft.critical == () and all(not c.passed for c in soft.contacts if c.critical)
    assert soft.score == result.score
    assert soft.passed == (
        soft.score >= exam.pass_rule.cut and soft.contacts_passed >= exam.pass_rule.contacts_passed
    )


def test_a_tampered_journal_entry_is_reported_by_its_number() -> None:
    exam = _exam()
    journal = _as_list(_journal("competent", 0))
    tampered = [list(e) for e in journal]
    tampered[3][2] = "give_refund_twice"
    with pytest.raises(JournalError, match=r"journal entry 4 .*give_refund_twice.*does not replay"):
        grade(exam, 0, tampered)
    for bad, words in [
        ([[1.0, "trainee-001"]], "entry 1"),
        ([[5.0, "trainee-001", "x"], [2.0, "trainee-001", "y"]], "runs backwards"),
        ([[99999.0, "trainee-001", "x"]], "time limit"),
        ([[1.0, "bot-001", "x"]], "not one of seat"),
        ({"not": "a list"}, "a list"),
    ]:
        with pytest.raises(JournalError, match=words):
            grade(exam, 0, bad)


def test_an_empty_journal_grades_every_customer_and_fails() -> None:
    result = grade(_exam(), 0, [])
    assert not result.passed and result.contacts_passed == 0
    assert all(not c.passed and c.reasons for c in result.contacts)
    assert all(c.outcome in (None, "customer_hung_up") for c in result.contacts)
    # a customer left waiting 10 minutes is over the per-contact limit: it counts 0
    assert any(c.status == "over_time" and c.score == 0.0 for c in result.contacts)


def test_a_form_session_sets_the_seat_form_and_the_time_limit() -> None:
    exam = _exam()
    session = form_session(exam, 1)
    (seat,) = session.scenario.seats
    assert seat.form is not None
    assert (seat.form.seed, seat.form.customers) == (exam.forms[1].seed, exam.customers)
    assert session.end == exam.exam_limit_s and session.seed == exam.forms[1].seed


def test_play_and_grade_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "journal.json"
    assert main(["exam", "play", "cs-cert-en", "--form", "B", "--policy", "expert",
                 "--journal-out", str(out), "--json"]) == 0  # fmt: skip
    played = json.loads(capsys.readouterr().out)
    assert (
        main(["exam", "grade", "cs-cert-en", "--form", "1", "--journal", str(out), "--json"]) == 0
    )
    graded = json.loads(capsys.readouterr().out)
    assert played == graded and graded["form"]["id"] == "B"
    assert main(["exam", "grade", "cs-cert-en", "--form", "1", "--journal", str(out)]) == 0
    assert "unproctored" in capsys.readouterr().out
    # the journal of form B does not replay on form A: an error naming the entry, exit 1
    assert main(["exam", "grade", "cs-cert-en", "--form", "A", "--journal", str(out)]) == 1
    assert "journal entry" in capsys.readouterr().err
    assert main(["exam", "grade", "cs-cert-en", "--form", "C", "--journal", str(out)]) == 2


def test_grading_reproduces_what_the_candidate_desk_played() -> None:
    """A desk plays the form frame by frame (1 s frames, deciding at frame boundaries, as the
    pygame loop does); the replay of its decision log gives the seat the very same records."""
    from sandbox.exam.replay import replay

    exam = _exam("cs-cert-en")
    desk = form_session(exam, 0)
    rng = random.Random(7)
    while not desk.finished:
        for p in desk.pending_decisions()[:1]:
            if desk.now <= exam.exam_limit_s:
                run = desk.center.active[p["contact_id"]].play.run
                desk.decide(p["contact_id"], choose("novice", run, rng))
        desk.advance(1.0)
    journal = [list(d) for d in desk.decision_log]
    assert len(journal) > 10
    again = replay(exam, 0, journal)
    mine = [r for r in desk.results()["contacts"] if r["seat"] == exam.seat]
    theirs = [r for r in again.results()["contacts"] if r["seat"] == exam.seat]
    assert json.dumps(mine, sort_keys=True) == json.dumps(theirs, sort_keys=True)


def test_time_up_leaves_contacts_unfinished_or_not_reached_and_they_count_zero() -> None:
    exam = replace(_exam(), exam_limit_s=420.0)  # 7 minutes for 5 customers
    journal = play(exam, 0, policy_chooser("expert"))
    assert journal and all(e[0] <= 420.0 for e in journal)
    result = grade(exam, 0, journal)
    statuses = [c.status for c in result.contacts]
    assert statuses[0] == "graded" and "not_reached" in statuses
    assert {"unfinished", "not_reached"} >= set(statuses[1:])
    assert result.score == round(result.contacts[0].score / exam.customers, 6)
    assert not result.passed
    assert any("not reached" in r["en"] for c in result.contacts for r in c.reasons)


@pytest.mark.parametrize("name", ["cs-cert-zh", "cs-cert-en"])
def test_the_shipped_exams_pass_competent_play_and_fail_novice_play_on_every_form(
    name: str,
) -> None:
    exam = _exam(name)
    for form in range(len(exam.forms)):
        verdicts = {
            p: grade(exam, form, _as_list(_journal(p, form, name))).passed
            for p in ("expert", "competent", "novice", "random")
        }
        assert verdicts == {"expert": True, "competent": True, "novice": False, "random": False}, (
            form,
            verdicts,
        )
