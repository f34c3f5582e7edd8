"""The candidate's result page, on results made by real grading of bot-played journals."""

from __future__ import annotations

import copy
import html
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from journeys.vocabulary import RISK_TYPES
from sandbox.exam import JournalError, grade, load_exam, play, policy_chooser
from sandbox.exam.model import Exam
from sandbox.exam.result_page import (
    render_result_html,
    replay_decisions,
    write_result_html,
)


@cache
def _exam() -> Exam:
    return load_exam("cs-cert-en")


@cache
def _played(policy: str) -> tuple[tuple[tuple[Any, ...], ...], dict[str, Any]]:
    journal = play(_exam(), 0, policy_chooser(policy), think_s=4.0, seed=2)
    return tuple(tuple(e) for e in journal), grade(_exam(), 0, journal).to_json()


def _journal(policy: str) -> list[list[Any]]:
    return [list(e) for e in _played(policy)[0]]


def _visible(page: str) -> str:
    """The page's text outside the small-print evidence block, tags removed."""
    main = page.split('<section class="evidence">')[0]
    return re.sub(r"<[^>]+>", " ", main)


def test_a_failed_attempt_says_why_in_words_with_names_not_ids() -> None:
    result = _played("novice")[1]
    assert result["passed"] is False and result["critical_errors"]
    page = render_result_html(result, "en")
    assert 'data-verdict="fail"' in page
    text = _visible(page)
    for c in result["contacts"]:
        title = _exam().scenario.journeys[c["journey_id"]].title["en"]
        assert html.escape(title) in page
        assert c["journey_id"] not in text  # titles on screen, never journey ids
        for hit in c["critical_errors"]:
            if hit.get("choice_id"):
                assert f"({hit['choice_id']})" not in text  # no raw choice ids
    hit = result["critical_errors"][0]
    assert RISK_TYPES[hit["risk"]]["en"] in text
    assert "fails the exam" in text
    assert f"{result['score']:.1f}" in text


def test_a_passed_attempt_in_chinese_marked_unproctored() -> None:
    result = _played("expert")[1]
    assert result["passed"] is True
    page = render_result_html(result, "zh-CN")
    assert 'data-verdict="pass"' in page and "通过" in page
    assert 'data-proctoring="unproctored"' in page and "未监考" in page
    assert '<html lang="zh-CN">' in page
    assert "@page{size:A4" in page  # printable
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")  # offline
    assert "<svg" in page  # the per-contact and per-measure charts


def test_proctored_and_signed_results_show_it(tmp_path: Path) -> None:
    from sandbox.exam.signing import generate_keypair, load_private_key, sign_document

    private, _public, key_id = generate_keypair(tmp_path / "keys")
    result = dict(_played("competent")[1])
    result["proctoring"] = {"mode": "proctored", "clock_speed": 1}
    signed = sign_document(result, load_private_key(private))
    page = render_result_html(signed, "en", verification="signature valid")
    assert 'data-proctoring="proctored"' in page and 'data-proctoring="unproctored"' not in page
    assert key_id in page and "signature valid" in page
    assert result["exam"]["hash"] in page and result["journal"]["sha256"] in page


def test_candidate_name_and_choice_text_are_inert() -> None:
    journal, result = _played("novice")
    decisions = copy.deepcopy(replay_decisions(_exam(), 0, [list(e) for e in journal]))
    evil = "<script>alert('x')</script>"
    decisions[0]["options"][0]["text"] = {"en": evil, "zh-CN": evil}
    decisions[0]["choice_text"] = {"en": evil, "zh-CN": evil}
    decisions[0]["feedback"] = {"en": f'"><img src=x onerror=alert(1)>{evil}'}
    page = render_result_html(result, "en", candidate=evil, decisions=decisions)
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;" in page


def test_each_decision_is_replayed_with_its_feedback_and_knowledge() -> None:
    journal = _journal("competent")
    decisions = replay_decisions(_exam(), 0, journal)
    assert [[d["t"], d["contact_id"], d["choice_id"]] for d in decisions] == journal
    for d in decisions:
        chosen = [o for o in d["options"] if o["chosen"]]
        assert len(chosen) == 1 and chosen[0]["id"] == d["choice_id"]
        assert d["mood_before"] is not None
    page = render_result_html(_played("competent")[1], "en", decisions=decisions)
    with_feedback = [d for d in decisions if d["feedback"]]
    with_links = [d for d in decisions if d["knowledge"]]
    assert with_feedback and with_links
    for d in with_feedback:
        assert html.escape(d["feedback"]["en"]) in page
    for d in with_links:
        assert html.escape(d["knowledge"][0]["title"]["en"]) in page
    assert page.count('class="decision"') == len(decisions)


def test_a_journal_that_does_not_replay_is_a_journal_error() -> None:
    journal = _journal("competent")
    journal[2] = [journal[2][0], journal[2][1], "no_such_choice"]
    with pytest.raises(JournalError, match="journal entry 3"):
        replay_decisions(_exam(), 0, journal)


def test_write_is_the_rendered_page_and_languages_are_checked(tmp_path: Path) -> None:
    result = _played("competent")[1]
    out = write_result_html(tmp_path / "r" / "result.html", result, "zh-CN", candidate="张三")
    written = out.read_text(encoding="utf-8")
    assert "@font-face" in written  # the CJK glyphs travel with the page
    # byte for byte, embedded font included: the same result gives the same page
    assert written == render_result_html(result, "zh-CN", candidate="张三")
    with pytest.raises(ValueError, match="language"):
        render_result_html(result, "fr")
