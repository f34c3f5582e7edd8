"""Issue 14, done-when: the practice room on the desk, played headless through the real App.

- A trainee who makes one privacy mistake: the desk shows the risk point and a lower
  predicted CSAT at that decision; the results screen shows the trainee's own KPIs first and
  "no data" on the radar for dimensions without evidence.
- The trigger banner appears only once the trigger line is visible, with the words
  highlighted in the transcript, and lasts until the trainee acts.
- Contact end: a scorecard with the customer's last lines until the trainee moves on; the
  "continue" key skips the customer's speaking time."""

from __future__ import annotations

from typing import Any

import pygame

from tests.ui.conftest import key
from tests.ui.test_play import waiting_contact
from ui import i18n


def _desk(make_app: Any, lang: str = "en") -> Any:
    app = make_app(trainee="Ann", skip_start=True, lang=lang)
    app.step_frame(0.0)
    app.step_frame(0.0)
    assert app.screen is app.desk
    return app


def _press(app: Any, number: int) -> None:
    key(app, getattr(pygame, f"K_{number}"))


def test_one_privacy_mistake_shows_at_once_and_results_are_about_the_trainee(make_app) -> None:
    app = _desk(make_app)
    mistake_effect = None
    for _ in range(3000):
        app.step_frame(2.0)
        contact = waiting_contact(app)
        if contact is None:
            continue
        choices = [c for c in contact["choices"] if c["available"]]
        skip = next((c for c in choices if c["id"] == "skip"), None)
        if skip is not None and mistake_effect is None:
            _press(app, skip["number"])  # skip identity verification: a privacy breach
            app.step_frame(0.0)
            shown = app.desk.state()["effect"]
            last = human_last(app)
            mistake_effect = last["effect"]
            break
        _press(app, choices[0]["number"])  # otherwise the reply offered first (by the book)
    assert mistake_effect is not None, "the trainee reached an identity check"
    # the desk shows, at that decision: a lower predicted CSAT and the risk point to come
    assert mistake_effect["now"]["csat"] < 0 and mistake_effect["versus_best"]["csat"] < 0
    text = " ".join(shown)  # the lines as wrapped on the desk
    assert "This reply, now: CSAT -" in text
    assert "Cost later:" in text and "Risk point +5" in text
    assert "vs the best reply -" in text
    assert not any("skip_verification" in line or "privacy_breach" in line for line in shown)
    # the contact played to its end by the book, then the results screen: the trainee first
    cid = app.desk.contact_id
    for _ in range(3000):
        if app.desk.contact_id != cid:
            break
        app.step_frame(2.0)
        contact = waiting_contact(app)
        if contact is not None:
            _press(app, next(c for c in contact["choices"] if c["available"])["number"])
    key(app, pygame.K_r, frames=2)
    assert app.screen is app.results
    state = app.results.state()
    tiles = state["trainee_tiles"]
    assert [t["key"] for t in tiles][:3] == ["handled", "hung_up", "csat_mean"]
    risk = next(t for t in tiles if t["key"] == "risk_points")
    assert risk["value"] >= 5 and risk["met"] is not None
    assert any(n.startswith("colleagues") for t in tiles for n in t["notes"])
    # the radar is the trainee's rubric: a dimension without evidence says "no data"
    from ui.trainee_results import trainee_rubric

    rubric = trainee_rubric(app.results.results)
    assert rubric["sales"] is None  # nothing was offered
    for k, label in zip(i18n.RUBRIC_KEYS, state["radar"], strict=True):
        assert label.endswith("no data") == (rubric[k] is None)
    assert rubric["compliance"] is not None  # the breach is evidence


def human_last(app: Any) -> dict[str, Any]:
    from ui.screens.desk import human_contact

    contact = human_contact(app.snapshot)
    assert contact is not None
    return dict(contact["last_decision"] or {})


def test_trigger_banner_only_once_the_line_is_visible(make_app) -> None:
    app = _desk(make_app)
    banner_seen = False
    for _ in range(600):
        app.step_frame(0.5)
        state = app.desk.state()
        from ui.screens.desk import human_contact

        contact = human_contact(app.snapshot)
        visible = " ".join(
            i18n.pick(line["text"], "en").lower()
            for line in (contact or {}).get("transcript") or ()
            if line["speaker"] == "customer"
        )
        said = "scam" in visible or "complain all the way" in visible
        trigger_banners = [b for b in state["banners"] if "scam" in b.lower()]
        if trigger_banners:
            assert said, "the banner came before the customer's words"
            assert state["highlighted"], "the words are highlighted in the transcript"
            banner_seen = True
        elif said and contact and contact.get("trigger_alert"):
            raise AssertionError("the words are on screen and the rule is armed, no banner")
        if banner_seen:
            # the banner lasts while the rule waits on the trainee (no timeout)
            for _ in range(20):
                app.step_frame(1.0)
                c = human_contact(app.snapshot)
                if c and c.get("awaiting_decision"):
                    break
            assert any("scam" in b.lower() for b in app.desk.state()["banners"])
            break
        contact = waiting_contact(app)
        if contact is not None:
            _press(app, contact["choices"][0]["number"])
    assert banner_seen


def test_scorecard_keeps_the_last_lines_and_continue_skips_speaking(make_app) -> None:
    app = _desk(make_app)
    skipped = 0.0
    first = None
    for _ in range(3000):
        app.step_frame(2.0)
        if app.desk.state()["scorecard"]:
            break
        contact = waiting_contact(app)
        if contact is None:
            from ui.screens.desk import human_contact

            c = human_contact(app.snapshot)
            if c is not None and not skipped:
                before = app.session.now
                key(app, pygame.K_c)
                skipped = app.session.now - before
                if skipped:
                    assert waiting_contact(app) is not None or human_contact(app.snapshot) is None
            continue
        first = first or contact["contact_id"]
        _press(app, contact["choices"][0]["number"])
    assert skipped > 0
    card = app.desk.state()["scorecard"]
    assert card and "Predicted CSAT" in card[0]
    record = next(c for c in app.session.results()["contacts"] if c["contact_id"] == first)
    last = i18n.pick(record["transcript"][-1]["text"], "en")
    assert any(last in line for line in card)  # the customer's last words stay on screen
    app.step_frame(1.0)
    assert app.desk.state()["scorecard"]  # still there: the trainee has not moved on
    key(app, pygame.K_RETURN)
    assert app.desk.state()["scorecard"] is None


def test_knowledge_articles_scroll_and_the_card_says_the_mood_now(make_app) -> None:
    app = _desk(make_app)
    for _ in range(3000):
        app.step_frame(1.0)
        state = app.desk.state()
        if state["kb_more"]:
            break
        contact = waiting_contact(app)
        if contact is not None:
            _press(app, contact["choices"][0]["number"])
    state = app.desk.state()
    assert state["kb_more"], "some article is longer than its panel"
    assert state["card"][0].startswith("Mood now: ")
    assert any(line.startswith("temperament: ") for line in state["card"])
    seen = list(state["kb_lines"])
    for _ in range(40):  # J scrolls the article to its end
        key(app, pygame.K_j)
        lines = app.desk.state()["kb_lines"]
        seen += [line for line in lines if line not in seen]
        if not app.desk.state()["kb_more"]:
            break
    assert not app.desk.state()["kb_more"]
    assert seen[-1].rstrip()[-1] in '.。!！?？)）"”'  # the article ends on screen, whole
