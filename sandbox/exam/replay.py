"""One form's session, a journal replayed into it, and a bot that takes an exam headless.

Why here and not in `Session.resume`: grading has no save file to trust — only the exam, the
form and the journal. The session is rebuilt from the exam alone (the seat's form set from the
exam, the horizon at the exam's time limit, the form's seed as the master seed), then every
journal entry is applied exactly as `Session.resume` applies a decision log: run_until(t),
decide. An entry that does not replay is a `JournalError` naming it.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from sandbox.exam.errors import JournalError
from sandbox.exam.model import Exam
from sandbox.scenario import FormSpec

#: A chooser picks a choice id for a pending decision: (pending, journey run, rng) -> id.
Chooser = Callable[[dict[str, Any], Any, random.Random], str]


def form_scenario(exam: Exam, form_index: int) -> Any:
    """The exam's scenario with the seat's form from the exam (its stations, if any) and the
    horizon at its limit."""
    if not (0 <= form_index < len(exam.forms)):
        raise JournalError(
            f"form {form_index} does not exist; exam {exam.id} has forms 0..{len(exam.forms) - 1}"
        )
    form = exam.forms[form_index]
    sc = exam.scenario
    spec = FormSpec(
        seed=form.seed, customers=form.customers, gap_s=form.gap_s, stations=exam.stations
    )
    seats = tuple(replace(s, form=spec) if s.id == exam.seat else s for s in sc.seats)
    sc = replace(sc, seats=seats)
    if not math.isclose(sc.duration_s, exam.exam_limit_s):
        sc = sc.with_overrides(hours=exam.exam_limit_s / 3600.0)
    return sc


def form_session(exam: Exam, form_index: int) -> Any:
    """A fresh session of one form: the master seed is the form's seed (scenery included)."""
    from sandbox.session import Session

    return Session(form_scenario(exam, form_index), seed=exam.forms[form_index].seed)


def read_journal(path: str | Path) -> list[list[Any]]:
    """A journal file: `[[t, contact_id, choice_id], ...]`, or a document holding one under
    `decision_log` (a results.json or a saved session)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise JournalError(f"cannot read the journal: {err}") from None
    if isinstance(doc, dict):
        doc = doc.get("decision_log")
    if not isinstance(doc, list):
        raise JournalError("a journal is a JSON list [[t, contact_id, choice_id], ...]")
    return doc


def check_entries(journal: Any, exam: Exam) -> list[tuple[float, str, str]]:
    """Shape and time checks before anything is replayed."""
    if not isinstance(journal, list):
        raise JournalError("a journal is a list [[t, contact_id, choice_id], ...]")
    out: list[tuple[float, str, str]] = []
    last = 0.0
    for i, entry in enumerate(journal, start=1):
        ok = (
            isinstance(entry, (list, tuple))
            and len(entry) == 3
            and isinstance(entry[0], (int, float))
            and not isinstance(entry[0], bool)
            and math.isfinite(entry[0])
            and isinstance(entry[1], str)
            and isinstance(entry[2], str)
        )
        if not ok:
            raise JournalError(f"journal entry {i} {entry!r}: not [t, contact_id, choice_id]")
        t = float(entry[0])
        if t < last:
            raise JournalError(
                f"journal entry {i} {entry!r}: time {t:g} runs backwards (after {last:g})"
            )
        if t > exam.exam_limit_s:
            raise JournalError(
                f"journal entry {i} {entry!r}: at {t:g} s, after the exam's time limit "
                f"({exam.exam_limit_s:g} s)"
            )
        last = t
        out.append((t, entry[1], entry[2]))
    return out


def replay(exam: Exam, form_index: int, journal: Any) -> Any:
    """The form's session with the journal applied, run to its end."""
    from sandbox.session import SessionError

    entries = check_entries(journal, exam)
    session = form_session(exam, form_index)
    prefix = f"{exam.seat}-"
    for i, (t, contact_id, choice_id) in enumerate(entries, start=1):
        if not contact_id.startswith(prefix):
            raise JournalError(
                f"journal entry {i} {[t, contact_id, choice_id]!r}: contact {contact_id!r} is "
                f"not one of seat {exam.seat!r}"
            )
        session.run_until(t)
        try:
            session.decide(contact_id, choice_id)
        except SessionError as err:
            raise JournalError(
                f"journal entry {i} {[t, contact_id, choice_id]!r} does not replay: {err}"
            ) from None
    session.run_to_end()
    return session


def policy_chooser(policy: str) -> Chooser:
    from journeys.policies import POLICIES, choose

    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; one of: {', '.join(POLICIES)}")
    return lambda pending, run, rng: choose(policy, run, rng)


def play(
    exam: Exam,
    form_index: int,
    chooser: Chooser,
    *,
    think_s: float = 5.0,
    seed: int = 1,
) -> list[list[Any]]:
    """Take the exam headless: `chooser` decides for the seat, `think_s` after each decision
    appears (a candidate reads before clicking). Returns the journal (`decision_log`)."""
    session = form_session(exam, form_index)
    rng = random.Random(seed)
    limit = exam.exam_limit_s
    made: dict[str, int] = {}  # decisions taken per contact
    due: dict[tuple[str, int], float] = {}  # (contact, its decision number) -> time to decide
    while not session.finished:
        now = session.now
        pending = session.pending_decisions() if now <= limit else []
        next_due = math.inf
        for p in pending:
            cid = p["contact_id"]
            at = due.setdefault((cid, made.get(cid, 0)), now + think_s)
            if at <= now:
                run = session.center.active[cid].play.run
                session.decide(cid, chooser(dict(p), run, rng))
                made[cid] = made.get(cid, 0) + 1
                break
            next_due = min(next_due, at)
        else:
            target = min(session.env.peek(), next_due)
            if target == math.inf:
                session.run_to_end()
                break
            session.run_until(target)
    return [list(d) for d in session.decision_log]
