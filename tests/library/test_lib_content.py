"""The shipped library: every journey valid, lint-clean, explore-clean, replayable, complete."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeys.explore import explore
from journeys.knowledge import load_knowledge_base
from journeys.library import library_dir, shipped_journey_paths
from journeys.lint import lint_journey
from journeys.loader import check_file
from journeys.transcripts import find_transcripts, journey_for, load_transcript, replay
from journeys.vocabulary import BEHAVIOURS, LANGUAGES, RISK_TYPES

PATHS = shipped_journey_paths()
IDS = [p.stem for p in PATHS]
REQUIRED = {
    "insurance_claim_dispute",
    "policy_terms_explanation",
    "elderly_frozen_funds",
    "airline_baggage_rule",
    "package_downgrade_refund",
    "cross_border_payment_rules",
    "privacy_trap",
    "broadband_cross_sell",
    "hardship_no_cross_sell",
    "auto_renewal_scam_accusation",
    "chat_parcel_delay",
}


def test_library_has_every_scenario_of_the_method():
    assert set(IDS) >= REQUIRED
    assert len(IDS) >= 11


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_journey_validates_and_is_lint_clean(path: Path):
    journey, diags = check_file(path)
    assert journey is not None, [d.render() for d in diags]
    findings = list(diags) + lint_journey(journey, load_knowledge_base())
    assert findings == [], [d.render() for d in findings]


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_journey_is_explore_clean(path: Path, shipped):
    report = explore(shipped[path.stem])
    assert report.ok, report.problems
    assert report.choices_never_offered == []
    assert len(report.endings_reached) >= 3, "several endings with distinct outcomes"
    assert len(set(report.endings_reached.values())) >= 3


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_journey_content_follows_the_brief(path: Path, shipped):
    j = shipped[path.stem]
    aliases = {inc.use for inc in j.includes}
    # every journey opens, verifies and closes with the shared fragments; a chat journey
    # opens with the chat greeting (a phone script in a chat window reads wrong)
    greeting = "common/chat_greeting.yaml" if j.channels == ("chat",) else "common/greeting.yaml"
    assert {greeting, "common/verify_identity.yaml", "common/closing.yaml"} <= aliases
    assert {"anger", "trust"} <= set(j.state)
    assert j.state["anger"].from_persona
    routes = [e for n in j.nodes.values() for e in n.route]
    assert any(e.kind == "random" for e in routes), "a seeded random branch"
    assert any(e.kind == "if" for e in routes), "a route conditioned on state/persona"
    for lang in LANGUAGES:
        assert j.title[lang] and lang not in j.title.missing
    risks = set()
    for node in j.nodes.values():
        for line in node.say:
            assert not line.text.missing, f"{node.id}.{line.id} lacks a translation"
        for c in node.choices:
            assert not c.text.missing, c.qid
            assert c.feedback is not None and not c.feedback.missing, f"{c.qid} needs feedback"
            assert c.knowledge, f"{c.qid} needs a knowledge link"
            assert set(c.behaviours) <= set(BEHAVIOURS)
            risks |= set(c.risk)
    assert risks and risks <= set(RISK_TYPES)


def test_every_knowledge_link_exists_and_the_base_is_rich():
    kb = load_knowledge_base()
    assert len(kb) >= 25
    kinds = {e.kind for e in kb.values()}
    assert kinds == {"lesson", "faq", "compliance", "case"}
    for needed in (
        "kb.lesson.calm_three_step",
        "kb.lesson.empathy_first",
        "kb.lesson.apology_remedy",
        "kb.faq.baggage_rule_2026",
        "kb.faq.cross_border_payment_2026",
        "kb.faq.waiting_period",
        "kb.compliance.third_party_privacy",
        "kb.compliance.identity_verification",
        "kb.compliance.suitability_selling",
    ):
        assert needed in kb
    from journeys.library import load_all_shipped

    for j in load_all_shipped().values():
        missing = set(j.knowledge_ids()) - set(kb)
        assert not missing, (j.id, missing)


def test_cross_sell_fits_where_it_should(shipped):
    def offers(j):
        return [c.cross_sell for n in j.nodes.values() for c in n.choices if c.cross_sell]

    fitting = offers(shipped["broadband_cross_sell"])
    assert any(o.fit == "high" for o in fitting)
    wrong = offers(shipped["hardship_no_cross_sell"])
    assert wrong and all(o.fit == "low" for o in wrong)
    for n in shipped["hardship_no_cross_sell"].nodes.values():
        for c in n.choices:
            if c.cross_sell:
                assert "mis_selling" in c.risk, c.qid


def test_scam_journey_arms_the_calm_three_step(shipped):
    j = shipped["auto_renewal_scam_accusation"]
    trig = j.triggers[0]
    assert set(trig.require_next) == {"calm", "restate", "offer_solution"}
    assert {"骗子", "投诉到底"} <= set(trig.keywords)


def test_chat_journey_is_chat_only(shipped):
    assert shipped["chat_parcel_delay"].channels == ("chat",)


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_journey_has_a_replaying_golden_transcript(path: Path):
    files = find_transcripts([library_dir() / "transcripts" / path.stem])
    assert files, f"no golden transcript for {path.stem}"
    for f in files:
        t = load_transcript(f)
        result = replay(t, journey_for(t))
        assert result.ok, result.divergence
