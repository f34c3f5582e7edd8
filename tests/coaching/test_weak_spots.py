"""Weak spots and the knowledge push (issue 16): a practice session where the seat keeps
leaking a third party's data gets the privacy learning pack after the configured repetition —
never in a timed session or an exam — and the debrief lists the weak spot with its pack."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from journeys.library import load_all_shipped
from journeys.policies import is_mistake
from sandbox.session import Session
from sandbox.weak_spots import (
    ContactMistakes,
    MistakeTracker,
    RepeatRule,
    choice_violation,
    journey_violations,
    kb_entries,
    learning_pack,
    practice_plan,
    rank_weak_spots,
)

ROOT = Path(__file__).resolve().parents[2]
PRIVACY_PACK = {
    "lesson": "kb.lesson.privacy_knowing_is_not_being",
    "faq": "kb.faq.family_account_access",
    "case": "kb.case.spouse_call_records",
}


@pytest.fixture(scope="module")
def kb() -> dict[str, dict[str, Any]]:
    from journeys.knowledge import load_knowledge_base

    return kb_entries(load_knowledge_base())


@pytest.fixture(scope="module")
def privacy_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The practice scenario with only the privacy trap in the mix (phone only)."""
    text = (ROOT / "sandbox" / "scenarios" / "practice.yaml").read_text(encoding="utf-8")
    text = re.sub(r"journeys:\n(  .*\n)+", "journeys:\n  privacy_trap: 1\n", text)
    text = re.sub(r"  chat:\n(    .*\n)+", "", text)
    text = "\n".join(line for line in text.splitlines() if "chatbot" not in line) + "\n"
    text = text.replace("channels: [phone, chat], form", "channels: [phone], form")
    path = tmp_path_factory.mktemp("scenario") / "privacy-drill.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def play(session: Session, *, leak_in: set[int], until: float = 900.0) -> list[dict[str, Any]]:
    """Play the seat: leak the caller's data in the contacts numbered `leak_in` (1-based, in
    the order they reach the seat), otherwise take the best-scoring safe choice. Returns one
    row per decision: contact number, whether it leaked, the outcome."""
    order: list[str] = []
    rows = []
    while not session.finished and session.now < until:
        session.advance(5)
        for p in session.pending_decisions():
            if p["contact_id"] not in order:
                order.append(p["contact_id"])
            number = order.index(p["contact_id"]) + 1
            views = [c for c in p["choices"] if c["available"]]
            leaks = [c for c in views if "disclose_private" in c["behaviours"]]
            safe = [c for c in views if "disclose_private" not in c["behaviours"]]
            pick = leaks[0] if leaks and number in leak_in else (safe or views)[0]
            out = session.decide(p["contact_id"], pick["id"])
            rows.append({"contact": number, "leaked": pick in leaks, "out": out})
    return rows


def test_the_push_comes_after_the_repetition_with_the_privacy_pack(privacy_scenario: Path) -> None:
    rule = RepeatRule(times=2, window=3)
    session = Session(privacy_scenario, 7, mode="practice", trainee="ann", repeat_rule=rule)
    rows = play(session, leak_in={1, 3})
    leaks = [r for r in rows if r["leaked"]]
    assert len({r["contact"] for r in leaks}) == 2
    pushed = [r for r in rows if "learning_pack" in r["out"]]
    first_leak_contact = leaks[0]["contact"]
    # nothing before the second leak: one leak is no repetition
    before = [r for r in rows if r["out"] is leaks[0]["out"] or r["contact"] < first_leak_contact]
    assert not any("learning_pack" in r["out"] for r in before)
    assert pushed, "a repeated privacy leak earns a push"
    push = pushed[0]["out"]["learning_pack"]
    second = next(r for r in leaks if "learning_pack" in r["out"])
    assert pushed[0] is second  # the push comes with the leak that repeats it
    assert push["kind"] == "risk.privacy_breach" and push["risk"] == "privacy_breach"
    assert push["count"] == 2 and push["rule"] == {"times": 2, "window": 3}
    assert push["label"] == {"zh-CN": "隐私泄露", "en": "privacy breach"}
    parts = {e["kind"]: e["id"] for e in push["pack"]}
    assert {k: parts.get(k) for k in PRIVACY_PACK} == PRIVACY_PACK
    assert parts["compliance"] in ("kb.compliance.third_party_privacy",
                                   "kb.compliance.law_enforcement_requests")  # fmt: skip
    assert all(e["title"]["zh-CN"] and e["title"]["en"] and e["body"]["en"] for e in push["pack"])
    assert session.snapshot()["learning_pack"] == push
    # the debrief: the top weak spot is the privacy breach, with its pack
    results = session.results()
    top = results["weak_spots"]["top"]
    assert top[0]["kind"] == "risk.privacy_breach" and top[0]["count"] >= 2
    assert top[0]["journeys"][0]["id"] == "privacy_trap"
    assert {e["kind"] for e in top[0]["pack"]} == {"lesson", "faq", "case", "compliance"}
    assert results["weak_spots"]["pushes"] >= 1
    assert results["weak_spots"]["rule"] == {"times": 2, "window": 3}


def test_leaks_further_apart_than_the_window_are_no_repetition(privacy_scenario: Path) -> None:
    session = Session(privacy_scenario, 7, mode="practice", trainee="ann",
                      repeat_rule=RepeatRule(times=2, window=2))  # fmt: skip
    rows = play(session, leak_in={1, 4})
    assert len({r["contact"] for r in rows if r["leaked"]}) == 2
    pushed = [r["out"]["learning_pack"] for r in rows if "learning_pack" in r["out"]]
    # contacts 1 and 4 are 3 contacts apart: only a leak repeated within one contact could push
    assert all(len(set(p["contacts"])) == 1 for p in pushed)


def test_never_in_a_timed_session_or_an_exam(privacy_scenario: Path) -> None:
    timed = Session(privacy_scenario, 7, mode="timed", trainee="ann")
    rows = play(timed, leak_in={1, 2, 3})
    assert sum(r["leaked"] for r in rows) >= 2
    assert not any("learning_pack" in r["out"] for r in rows)
    assert timed.snapshot()["learning_pack"] is None
    # the timed debrief still names the weak spot
    assert timed.results()["weak_spots"]["top"][0]["kind"] == "risk.privacy_breach"

    from sandbox.exam import load_exam
    from sandbox.exam.replay import form_session

    exam = load_exam(ROOT / "sandbox" / "exams" / "cs-cert-en.yaml")
    session = form_session(exam, 0)
    outs = []
    while not session.finished and session.now < 1800:
        session.advance(5)
        for p in session.pending_decisions():
            views = [c for c in p["choices"] if c["available"]]
            bad = [c for c in views if is_mistake(_View(c))]
            outs.append(session.decide(p["contact_id"], (bad or views)[0]["id"]))
    assert sum(bool(o["risks"]) or bool(o["behaviours"]) for o in outs) >= 2
    assert not any("learning_pack" in o for o in outs)
    assert session.snapshot()["learning_pack"] is None
    assert "weak_spots" not in session.results()


class _View:
    def __init__(self, choice: dict[str, Any]) -> None:
        self.behaviours = choice["behaviours"]
        self.risk = None
        self.cross_sell = None


def test_every_mistaken_choice_of_the_library_names_what_it_violated(
    kb: dict[str, dict[str, Any]],
) -> None:
    journeys = load_all_shipped()
    seen = 0
    for journey in journeys.values():
        for (_node, _choice), v in journey_violations(journey).items():
            seen += 1
            assert v.kinds and (v.rubric or v.risks)
            assert v.knowledge and all(k in kb for k in v.knowledge)
            for kind in v.kinds:
                assert learning_pack(kind, v.knowledge, kb), kind
    assert seen > 100
    trap = journeys["privacy_trap"]
    node = trap.nodes["spouse"]
    leak = next(c for c in node.choices if c.id == "read_records")
    v = choice_violation(leak)
    assert v is not None and v.kinds == ("risk.privacy_breach",)
    assert v.rubric == ("compliance",) and v.knowledge == ("kb.compliance.third_party_privacy",)
    assert choice_violation(next(c for c in node.choices if c.id == "holder_only")) is None


def test_the_tracker_counts_again_after_a_push(kb: dict[str, dict[str, Any]]) -> None:
    t = MistakeTracker(kb, RepeatRule(times=2, window=5))
    leak = {"behaviours": ["disclose_private"], "risks": ["privacy_breach"],
            "knowledge": [{"id": "kb.compliance.third_party_privacy"}]}  # fmt: skip
    good = {"behaviours": ["empathy"], "risks": [], "knowledge": []}
    assert t.observe("c1", leak) is None
    assert t.observe("c2", good) is None
    assert t.observe("c3", leak)["n"] == 1  # type: ignore[index]
    assert t.observe("c4", leak) is None  # counted again from the push
    assert t.observe("c5", leak)["n"] == 2  # type: ignore[index]
    with pytest.raises(ValueError):
        RepeatRule(times=0)


def test_weak_spots_over_a_history_and_the_practice_plan(kb: dict[str, dict[str, Any]]) -> None:
    from sandbox.weak_spots import journey_links

    journeys = load_all_shipped()
    contacts = [
        ContactMistakes(0, "privacy_trap", {"risk.privacy_breach": 1}),
        ContactMistakes(1, "chat_parcel_delay", {"behaviour.interrupt": 1}),
        ContactMistakes(2, "privacy_trap", {"risk.privacy_breach": 2}),
        ContactMistakes(3, "chat_parcel_delay", {}),
    ]
    spots = rank_weak_spots(contacts, kb, RepeatRule(2, 5), linked=journey_links(journeys))
    assert [s["kind"] for s in spots] == ["risk.privacy_breach", "behaviour.interrupt"]
    assert spots[0]["repeated_now"] and not spots[1]["repeated_now"]
    assert spots[0]["count"] == 3 and spots[0]["contacts"] == 2
    plan = practice_plan(spots, journeys)
    assert plan[0]["journey"] == "privacy_trap" and plan[0]["why"] == "repeat"
    assert plan[0]["trains"][0]["label"]["en"] == "privacy breach"
    assert all(p["title"]["zh-CN"] for p in plan)


def test_the_session_report_lists_the_weak_spots_by_name(privacy_scenario: Path) -> None:
    from sandbox.report import render_report

    session = Session(privacy_scenario, 7, mode="practice", trainee="ann")
    play(session, leak_in={1, 2, 3})
    for lang, words in (("en", ("Weak spots and learning packs", "privacy breach",
                                "Knowing the details is not being the person")),
                        ("zh-CN", ("薄弱点与学习包", "隐私泄露", "知道信息不等于是本人"))):  # fmt: skip
        page = render_report(session.results(), lang)
        assert all(w in page for w in words)
        section = page[page.index(words[0]) :]
        section = section[: section.index("</section>")]
        assert "kb." not in section and "privacy_breach" not in section
