"""The smaller on-screen defects of issue 14, checked on what the desk and the drill-down draw:
no doubled labels, no "stage: None", no raw journey or knowledge ids, feedback coloured by how
the decision went, "1 product"."""

from __future__ import annotations

from typing import Any

import pygame

from customer_models.personas import Persona
from tests.ui.conftest import key
from tests.ui.test_play import waiting_contact
from ui import i18n, theme
from ui.screens.results import feedback_color

WORST = ("rushed", "argue", "blame", "robotic")


def test_without_label_drops_a_label_already_shown() -> None:
    assert i18n.without_label("风险点：泄露隐私", "风险点") == "泄露隐私"
    assert i18n.without_label("System: no ticket found", "System") == "no ticket found"
    assert i18n.without_label("Risk point: privacy", "Rule triggered") == "Risk point: privacy"


def test_feedback_colour_follows_the_decision() -> None:
    assert feedback_color({"score": -2.0, "risks": []}) == theme.BAD
    assert feedback_color({"score": 3.0, "risks": [{"type": "privacy_breach"}]}) == theme.BAD
    assert feedback_color({"score": 3.0, "risks": []}) == theme.GOOD
    assert feedback_color({"score": 0, "risks": []}) == theme.MUTED


def test_persona_card_counts_products_in_words() -> None:
    base = dict(persona_id="p", segment="mass", age_band="young", temperament="calm",
                tenure_years=1.0, contract="month_to_month", value=100.0, prior_contacts=0,
                churn_risk=0.1, anger=2, trust=5, patience=5)  # fmt: skip
    assert Persona(products=1, **base).card("en")["products"] == "1 product"
    assert Persona(products=3, **base).card("en")["products"] == "3 products"


def test_desk_and_drill_down_show_words_not_ids(make_app: Any) -> None:
    app = make_app(trainee="Ann", skip_start=True, lang="en")
    app.step_frame(0.0)
    app.step_frame(0.0)
    made, first = 0, None
    for _ in range(3000):
        if app.screen is not app.desk or (made and app.desk.contact_id != first):
            break  # the first contact played has ended
        app.step_frame(2.0)
        state = app.desk.state()
        assert "None" not in state["subtitle"]
        for line in state["banner_lines"]:
            head = line[2:].split(":")[0]
            assert f"{head}: {head}" not in line
        contact = waiting_contact(app)
        if contact is None:
            continue
        assert "None" not in state["subtitle"] and state["subtitle"]
        choices = [c for c in contact["choices"] if c["available"]]
        choice = next((c for c in choices if c["id"] in WORST), choices[0])
        key(app, getattr(pygame, f"K_{choice['number']}"))
        made, first = made + 1, first or contact["contact_id"]
    assert made >= 2
    key(app, pygame.K_r)
    assert app.screen is app.results
    results = app.results.results
    mine = [c for c in results["contacts"] if c.get("decisions")]
    assert mine
    key(app, pygame.K_RETURN)
    view = app.results.state()["drill_view"]
    first = next(c for c in results["contacts"] if c["contact_id"] == view["contact_id"])
    assert first["journey_id"] not in view["head"] or "_" not in first["journey_id"]
    assert i18n.pick(first["journey_title"], "en") in view["head"]
    for line in view["transcript"]:
        for speaker in ("System", "Agent", "Customer"):
            assert not line.startswith(f"{speaker}: {speaker}:")
    assert view["knowledge"] and not any("[kb." in line for line in view["knowledge"])
    colors = [color for _, color in view["feedback"]]
    expected = [feedback_color(d) for d in first["decisions"] if d.get("feedback")]
    assert colors == expected
    assert theme.BAD in colors  # the rushed greeting's feedback is not praise green


def test_no_data_is_said_not_drawn_as_zero(make_app: Any) -> None:
    from ui.widgets import charts

    assert charts.funnel_text("offered", 0, 21, 1) == "offered 0"
    assert charts.funnel_text("offered", 7, 21, 1) == "offered 7 33%"
    assert charts.radar_label("Sales", None, "no data") == "Sales no data"
    app = make_app(trainee="Ann", skip_start=True, lang="en")
    app.step_frame(0.0)
    app.step_frame(5.0)
    key(app, pygame.K_r)
    from ui.trainee_results import trainee_rubric

    rubric = trainee_rubric(app.results.results)  # the radar is the trainee's
    assert all(v is None for v in rubric.values())  # no decision yet: no evidence anywhere
    radar = app.results.state()["radar"]
    for k, text in zip(i18n.RUBRIC_KEYS, radar, strict=True):
        if rubric.get(k) is None:
            assert text.endswith("no data")
        else:
            assert text.endswith(str(round(rubric[k])))
    surface = pygame.Surface((300, 300))
    values = {k: (None if k == "sales" else 80.0) for k in i18n.RUBRIC_KEYS}
    labels = {k: k for k in i18n.RUBRIC_KEYS}
    poly = charts.radar(surface, app.fonts, surface.get_rect(), values, labels)
    assert len(poly) == len(i18n.RUBRIC_KEYS) - 1  # the no-data axis is left out
    assert all(abs(x - 150) + abs(y - 150) > 10 for x, y in poly)  # none collapsed to 0


def test_the_seed_field_shows_the_seed_that_will_be_played(make_app: Any) -> None:
    from tests.ui.test_play import start_session

    app = make_app(seed=None)
    placeholder = app.start_screen.state()["seed_placeholder"]
    assert placeholder == app.start_screen.elements["seed"].placeholder_text
    start_session(app)
    assert str(app.session.seed) == placeholder  # what the field showed is what runs


def test_no_orphan_bullet_in_the_alerts_list(make_app: Any) -> None:
    app = make_app(trainee="Ann", skip_start=True, lang="en")
    app.step_frame(0.0)
    app.step_frame(1.0)
    desk = app.desk
    rect = desk.layout["alerts"]
    line = app.fonts.line_height(theme.SMALL)
    text = {"en": "A customer hung up after a long wait in the queue.", "zh-CN": "客户挂断"}
    alerts = [{"t": float(i), "contact_id": "c", "kind": "hangup", "text": text} for i in range(12)]
    desk.contact_id = "c"  # the contact on the desk: its alerts in colour
    surface = pygame.Surface(app.size)
    for height in range(rect.height - 3 * line, rect.height + 1):  # every cut-off point
        desk.layout["alerts"] = pygame.Rect(rect.left, rect.top, rect.width, height)
        surface.fill(theme.BG)
        desk._draw_alerts(surface, {**app.snapshot, "alerts": alerts}, "en")
        inner_bottom = desk.layout["alerts"].bottom - theme.PAD
        rows = [
            y for y in range(rect.top, rect.top + height)
            if tuple(surface.get_at((rect.left + theme.PAD + 4, y)))[:3] == theme.BAD
        ]  # fmt: skip
        assert desk.shown_alerts  # something is listed
        starts = [y for y in rows if y - 1 not in rows]  # the top pixel row of each bullet
        assert len(starts) == len(desk.shown_alerts)
        # the last bullet has room for its line of text (its row starts 5 px above the dot)
        assert starts[-1] - 5 + line <= inner_bottom + 1
    desk.layout["alerts"] = rect


def test_required_steps_are_named_in_words() -> None:
    from sandbox.engine.coaching import _trigger_text

    for status in ("armed", "missed"):
        text = _trigger_text(status, ["calm", "restate", "offer_solution"])
        assert "calm the customer" in text["en"] and "冷静安抚" in text["zh-CN"]
        assert "offer_solution" not in text["en"] + text["zh-CN"]


def test_the_scenario_list_shows_titles_of_playable_scenarios(make_app: Any) -> None:
    from sandbox.scenario import shipped_scenarios
    from ui.cli import playable_scenarios

    playable = playable_scenarios(shipped_scenarios())
    assert "practice" in playable and "full-day" not in playable  # full-day has no seat
    app = make_app(lang="en", scenarios=["practice", "erlang"], seed=None)
    state = app.start_screen.state()
    assert state["scenario"] == "practice"
    assert state["scenario_shown"] == "Practice: thirty minutes of the morning shift"
    key(app, pygame.K_DOWN)
    assert app.start_screen.state()["scenario_shown"] == "Erlang queue validation"


def test_alerts_of_the_contact_on_the_desk_come_first(make_app: Any) -> None:
    app = make_app(trainee="Ann", skip_start=True, lang="en")
    app.step_frame(0.0)
    app.step_frame(1.0)
    desk = app.desk
    desk.contact_id = "now"
    alerts = [
        {"t": 10.0, "contact_id": "now", "kind": "trigger", "text": {"en": "calm now"}},
        {"t": 20.0, "contact_id": "old", "kind": "risk", "text": {"en": "old risk"}},
    ]
    desk._draw_alerts(pygame.Surface(app.size), {**app.snapshot, "alerts": alerts}, "en")
    assert desk.shown_alerts == ["calm now", "#old old risk"]
