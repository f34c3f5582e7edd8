"""Exams with stations (docs/exam-format.md#stations): every form meets the same fixed contacts
(journey, channel, persona constraints) in the same order, each form's seed picks the callers;
validation draws as the engine does, so a station that cannot be filled is an error, not a
hang; grading, replay and calibration work on station forms unchanged."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import sandbox.exam.replay as replay_mod
from customer_models.personas import PersonaMix
from sandbox.cli import main
from sandbox.engine.customers import STATION_DRAWS, station_persona
from sandbox.exam import ExamError, check_exam, grade, load_exam, play, policy_chooser
from sandbox.exam.errors import render
from sandbox.exam.model import Exam
from sandbox.exam.replay import form_scenario, form_session, replay
from sandbox.scenario import StationSpec
from sandbox.session import Session

EXAM = Path(__file__).parent / "stations_exam.yaml"
TEXT = EXAM.read_text(encoding="utf-8")
STATIONS = [  # what the test exam's five stations say: journey, channel, constraints
    ("elderly_frozen_funds", "phone"),
    ("privacy_trap", "phone"),
    ("auto_renewal_scam_accusation", "chat"),
    ("policy_terms_explanation", "phone"),
    ("broadband_cross_sell", "phone"),
]

Met = tuple[str, int, str, str, dict[str, Any], int]  # id, seq, journey, channel, persona, seed


@cache
def _exam() -> Exam:
    return load_exam(EXAM)


@contextmanager
def _watch(met: list[Met], arrivals: list[float]) -> Iterator[None]:
    """Record every customer put through to the seat (its whole persona, its contact seed)
    in every form session `play` and `replay` build, by wrapping the feed's `deliver`."""
    real = replay_mod.form_session

    def watched(exam: Exam, form_index: int) -> Session:
        session = real(exam, form_index)
        feed = session.center.seats[exam.seat].feed
        assert feed is not None
        deliver = feed.deliver

        def spy(agent: Any, c: Any) -> None:
            persona = c.people.persona(c.row)
            met.append(
                (
                    c.id,
                    c.seq,
                    c.journey.id,
                    c.channel,
                    {"persona_id": persona.persona_id, **persona.journey_fields()},
                    c.seed,
                )
            )
            arrivals.append(c.arrived)
            deliver(agent, c)

        feed.deliver = spy
        return session

    replay_mod.form_session = watched
    try:
        yield
    finally:
        replay_mod.form_session = real


def _take(
    form: int, policy: str, think_s: float, seed: int
) -> tuple[list[Any], list[Met], list[float]]:
    met: list[Met] = []
    arrivals: list[float] = []
    with _watch(met, arrivals):
        journal = play(_exam(), form, policy_chooser(policy), think_s=think_s, seed=seed)
    return journal, met, arrivals


def _meets(station: StationSpec, persona: dict[str, Any]) -> bool:
    return all(persona[f] in values for f, values in station.values) and all(
        (lo is None or persona[f] >= lo) and (hi is None or persona[f] <= hi)
        for f, lo, hi in station.ranges
    )


# ----------------------------------------------------------------------------- the file
def test_the_stations_exam_validates_clean(capsys: pytest.CaptureFixture[str]) -> None:
    exam, diags = check_exam(EXAM)
    assert diags == [] and exam is not None, [render(d) for d in diags]
    assert [(s.journey, s.channel) for s in exam.stations] == STATIONS
    assert exam.stations[0].values == (("age_band", ("elderly",)),)
    assert exam.stations[0].ranges == (("anger", 3, None),)
    assert exam.stations[2].values == (("temperament", ("irritable", "anxious")),)
    assert [(f.id, f.seed, f.customers) for f in exam.forms] == [("A", 5101, 5), ("B", 6202, 5)]
    assert exam.customers == 5
    spec = form_scenario(exam, 1).seats[0].form
    assert (spec.seed, spec.customers, spec.stations) == (6202, 5, exam.stations)
    assert main(["exam", "validate", str(EXAM)]) == 0
    assert "0 error(s)" in capsys.readouterr().out


def test_an_exam_without_stations_keeps_its_forms_as_they_were() -> None:
    exam = load_exam("cs-cert-en")
    assert exam.stations == ()
    assert form_scenario(exam, 0).seats[0].form.stations == ()


def _variant(tmp_path: Path, old: str, new: str) -> list[Any] | None:
    assert old in TEXT, old
    path = tmp_path / "variant.yaml"
    path.write_text(TEXT.replace(old, new, 1), encoding="utf-8")
    try:
        load_exam(path)
    except ExamError as err:
        return list(err.diagnostics)
    return None


@pytest.mark.parametrize(
    ("old", "new", "code", "words"),
    [
        ("{id: A, seed: 5101, gap: 5s}", "{id: A, seed: 5101, customers: 4, gap: 5s}", "EX020",
         "the exam has 5 stations"),
        ("{id: A, seed: 5101, gap: 5s}", "{id: A, seed: 5101, gap: 5s, stations: []}", "EX011",
         "top level of the exam"),
        ("anger: {min: 3}", "anger: {min: 6, max: 4}", "EX020", "below min"),
        ("anger: {min: 3}", "anger: {min: 3, mx: 8}", "EX011", 'did you mean "max"'),
        ("anger: {min: 3}", "anger: {}", "EX012", '"min", "max" or both'),
        ("anger: {min: 3}", "anger: {min: 11}", "EX015", "between 0 and 10"),
        ("anger: {min: 3}", "anger: {min: 2.5}", "EX010", "whole number"),
        ("anger: {min: 3}", "anger: 3", None, ""),  # a whole number: exactly 3
        ("anger: {min: 3}", "angry: {min: 3}", "EX013", 'did you mean "anger"'),
        ("anger: {min: 3}", "value: 5000", "EX010", "{min: ..., max: ...}"),
        ("anger: {min: 3}", "churn_risk: {max: 0.2}", None, ""),
        ("segment: vip}", "segment: vipp}", "EX013", 'did you mean "vip"'),
        ("segment: vip}", "segment: []}", "EX010", "a list of values"),
        ("segment: vip}", "segment: small_business}", "EX023", "only takes callers"),
        ("channel: chat", "channel: email", "EX013", 'no channel "email"'),
        ("channel: chat", "channel: [chat]", "EX010", "channel name"),
        ("- {journey: privacy_trap, channel: phone", "- {journey: privacy_trap, channel: chat",
         "EX022", "use phone"),
        ("- {journey: privacy_trap,", "- {journy: privacy_trap,", "EX011", 'did you mean "journey"'),
        ("- {journey: privacy_trap,", "- {journey: 7,", "EX010", "journey id"),
    ],
)  # fmt: skip
def test_each_station_mistake_is_one_error_at_its_place(
    tmp_path: Path, old: str, new: str, code: str | None, words: str
) -> None:
    diags = _variant(tmp_path, old, new)
    if code is None:
        assert diags is None
        return
    assert diags is not None and len(diags) == 1, diags
    (d,) = diags
    assert d.code == code and words in d.message, render(d)
    line = next(
        i for i, text in enumerate(TEXT.replace(old, new, 1).splitlines(), 1) if new in text
    )
    assert d.line == line, render(d)


def test_a_seat_that_does_not_take_the_journeys_kind_is_ex022(tmp_path: Path) -> None:
    scenario = Path(__file__).resolve().parents[2] / "sandbox" / "scenarios" / "exam-desk.yaml"
    text = scenario.read_text(encoding="utf-8")
    seat = "channels: [phone, chat], form: {gap: 5s}}"
    assert seat in text
    (tmp_path / "sc.yaml").write_text(
        text.replace(seat, "channels: [phone, chat], kinds: [complaint], form: {gap: 5s}}"),
        encoding="utf-8",
    )
    exam = tmp_path / "exam.yaml"
    exam.write_text(TEXT.replace("scenario: practice", "scenario: sc.yaml"), encoding="utf-8")
    with pytest.raises(ExamError) as info:
        load_exam(exam)
    # privacy_trap, policy_terms_explanation and broadband_cross_sell are not complaints
    assert [(d.code, d.line) for d in info.value.diagnostics] == [
        ("EX022", 14), ("EX022", 18), ("EX022", 19)
    ]  # fmt: skip
    assert 'seat "trainee" takes only complaint journeys and "privacy_trap" is of kind' in render(
        info.value.diagnostics[0]
    )


# ----------------------------------------------------------------------------- the engine
def test_two_candidates_on_a_form_meet_identical_customers_in_identical_order() -> None:
    exam = _exam()
    for form in range(len(exam.forms)):
        _, fast, fast_at = _take(form, "competent", 3.0, seed=1)
        _, slow, slow_at = _take(form, "novice", 8.0, seed=2)
        assert len(fast) == len(slow) == 5, (len(fast), len(slow))
        # same k-th customer: journey, channel, every persona value, its own random numbers
        assert fast == slow
        assert [m[1] for m in fast] == [1, 2, 3, 4, 5]
        assert [(m[2], m[3]) for m in fast] == STATIONS
        for station, m in zip(exam.stations, fast, strict=True):
            assert _meets(station, m[4]), (station, m[4])
        # the first rings at the same time; later ones when each candidate is free
        assert fast_at[0] == slow_at[0] == exam.forms[form].gap_s
        assert fast_at != slow_at
        assert fast_at == sorted(fast_at)


def test_the_same_journal_meets_the_same_customers_at_the_same_times() -> None:
    journal, met, arrivals = _take(0, "competent", 5.0, seed=4)
    again: list[Met] = []
    again_at: list[float] = []
    with _watch(again, again_at):
        replay(_exam(), 0, journal)
    assert again == met and again_at == arrivals


def test_parallel_forms_differ_in_callers_not_in_stations() -> None:
    _, a, _ = _take(0, "expert", 5.0, seed=1)
    _, b, _ = _take(1, "expert", 5.0, seed=1)
    assert [(m[2], m[3]) for m in a] == [(m[2], m[3]) for m in b] == STATIONS
    for station, ma, mb in zip(_exam().stations, a, b, strict=True):
        assert _meets(station, ma[4]) and _meets(station, mb[4])
        assert ma[4]["persona_id"] != mb[4]["persona_id"]  # another caller ...
        assert ma[5] != mb[5]  # ... with other random numbers
    assert sum(ma[4] != mb[4] for ma, mb in zip(a, b, strict=True)) == 5


def test_a_stations_caller_depends_on_its_form_and_position_only(tmp_path: Path) -> None:
    """Tightening station 1 changes station 1's caller and no other."""
    path = tmp_path / "tight.yaml"
    path.write_text(TEXT.replace("anger: {min: 3}", "anger: {min: 6}"), encoding="utf-8")
    tight = load_exam(path)

    def callers(exam: Exam) -> list[str]:
        feed = form_session(exam, 0).center.seats[exam.seat].feed
        assert feed is not None
        return [str(p.columns["persona_id"][row]) for p, row in feed.station_people]

    before, after = callers(_exam()), callers(tight)
    assert before[0] != after[0] and before[1:] == after[1:]


def test_filling_a_station_is_bounded_and_the_engine_refuses_what_validation_would() -> None:
    exam = _exam()
    journey = exam.scenario.journeys["elderly_frozen_funds"]
    mix = PersonaMix.from_mapping(exam.scenario.persona_mix)
    impossible = StationSpec("elderly_frozen_funds", None, (("segment", ("vip",)),),
                             (("prior_contacts", 6, None), ("anger", None, 1)))  # fmt: skip
    assert station_persona(5101, "trainee", 1, impossible, journey, mix) is None
    easy = StationSpec("elderly_frozen_funds")
    batch, row = station_persona(5101, "trainee", 1, easy, journey, mix) or (None, 0)
    assert batch is not None and batch.columns["age_band"][row] in ("senior", "elderly")
    assert STATION_DRAWS == 4096
    # bypassing validation, the engine stops at the same bound instead of hanging
    stations = (*exam.stations[:1], impossible)
    broken = replace(exam, stations=stations)
    with pytest.raises(ValueError, match="no persona meets station 2"):
        form_session(broken, 0)


# ----------------------------------------------------------------------------- grading
def test_grading_a_bot_journal_on_a_station_form() -> None:
    exam = _exam()
    journal, met, _ = _take(0, "competent", 5.0, seed=1)
    result = grade(exam, 0, journal).to_json()
    again = grade(exam, 0, json.loads(json.dumps(journal))).to_json()
    assert json.dumps(result, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert [c["journey_id"] for c in result["contacts"]] == [j for j, _ in STATIONS]
    assert [c["contact_id"] for c in result["contacts"]] == [m[0] for m in met]
    assert all(c["status"] == "graded" for c in result["contacts"])
    assert result["form"] == {"index": 0, "id": "A", "seed": 5101, "customers": 5}
    assert result["passed"] is True and result["score"] >= 65
    assert result["exam"]["hash"] == exam.content_hash
    # a random bot on the same form meets the same stations and scores lower
    weak = grade(exam, 0, _take(0, "random", 5.0, seed=1)[0]).to_json()
    assert [c["journey_id"] for c in weak["contacts"] if c["journey_id"]] == [
        j for j, _ in STATIONS
    ][: sum(1 for c in weak["contacts"] if c["journey_id"])]
    assert weak["score"] < result["score"]


def test_shapan_exam_calibrate_runs_on_a_station_exam(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["exam", "calibrate", str(EXAM), "--runs", "2", "--seed", "3",
                 "--workers", "1", "--json"])  # fmt: skip
    assert code in (0, 1)
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "shapan.exam-calibration/1" and doc["runs"] == 2
    rows = {(d["policy"], d["form"]): d for d in doc["distributions"]}
    assert rows[("competent", "all")]["mean"] > rows[("random", "all")]["mean"]
    assert [r["items"] for r in doc["reliability"]["forms"]] == [5, 5]
    (pair,) = doc["equivalence"]["pairs"]
    assert pair["forms"] == ["A", "B"]
    assert (code == 0) == doc["ok"]


_WRONG = ["x", "[]", "{}", "-1", "null", "1.5", "true", "[1, {a: b}]", "{min: []}", "200"]


def test_no_traceback_for_any_bad_station_value(tmp_path: Path) -> None:
    """Every scalar value of the stations and forms, one at a time, replaced by a wrong one,
    and every line dropped: errors with EX codes, never a traceback."""
    lines = TEXT.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("stations:"))
    last = next(i for i, line in enumerate(lines) if line.startswith("time_limits:"))
    mutants = []
    for i in range(first, last):
        for m in re.finditer(r"(?<=: )[^,{}\[\]\n]+|\[[^\]\n]*\]|\{[^{}\n]*\}", lines[i]):
            for wrong in _WRONG:
                line = lines[i][: m.start()] + wrong + lines[i][m.end() :]
                mutants.append([*lines[:i], line, *lines[i + 1 :]])
        mutants.append(lines[:i] + lines[i + 1 :])
    errors = 0
    for n, mutant in enumerate(mutants):
        path = tmp_path / f"m{n}.yaml"
        path.write_text("\n".join(mutant), encoding="utf-8")
        exam, diags = check_exam(path)
        assert (exam is None) == bool(diags)
        assert all(d.code.startswith("EX") and d.line >= 1 for d in diags)
        errors += bool(diags)
    assert errors > 150, errors
