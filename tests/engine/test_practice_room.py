"""Issue 14, the practice room through `Session`: pace, nudges, predicted effects at every
decision, the later cost in the contact's outcome, rules that fire when the words appear."""

from __future__ import annotations

from sandbox.session import Session


def test_a_competent_trainee_meets_eight_customers_in_thirty_minutes() -> None:
    """Done-when: in `practice`, a competent bot at the seat handles at least 8 contacts in
    30 sim-minutes and the first arrives within 60 s (several seeds)."""
    for seed in (7, 1, 3):
        s = Session("practice", seed, human_policy="competent")
        s.run_until(1800.0)
        mine = [c for c in s.results()["contacts"] if c.get("seat") == "trainee"]
        assert mine and float(mine[0]["answered_at"]) <= 60.0, seed
        done = [c for c in mine if float(c["ended_at"]) <= 1800.0]
        assert len(done) >= 8, (seed, len(done))


def test_the_exams_keep_their_own_centre() -> None:
    """The exams run on `exam-desk` (today's practice as the exams were calibrated on it):
    no practice room, the journeys' own times."""
    from sandbox.exam.loader import load_exam
    from sandbox.scenario import load_scenario

    for name in ("cs-cert-zh", "cs-cert-en"):
        assert load_exam(name).scenario.name == "exam-desk"
    desk = load_scenario("exam-desk")
    assert not desk.practice.feedback and desk.practice.nudge_s is None
    assert desk.practice.time_scale == 1.0
    practice = load_scenario("practice")
    assert practice.practice.feedback and practice.practice.nudge_s


def test_a_silent_agent_gets_a_nudge_and_the_customer_reacts() -> None:
    s = Session("practice", 7)
    nudge = s.scenario.practice.nudge_s
    assert nudge
    while not s.pending_decisions():
        s.advance(1.0)
    cid = s.pending_decisions()[0]["contact_id"]
    contact = s.snapshot()["seats"][0]["contact"]
    before = dict(contact["mood"])
    s.advance(nudge + 1.0)
    contact = s.snapshot()["seats"][0]["contact"]
    assert contact is not None and contact["contact_id"] == cid
    last = contact["transcript"][-1]
    assert last["speaker"] == "customer" and "still there" in last["text"]["en"]
    assert contact["mood"]["anger"] > before["anger"]
    assert any(a["kind"] == "nudge" for a in s.snapshot()["alerts"])


def _until_node(s: Session, node: str, pick=None) -> dict:
    for _ in range(4000):
        s.advance(1.0)
        for p in s.pending_decisions():
            if p["node_id"] == node:
                return p
            avail = [c for c in p["choices"] if c["available"]]
            s.decide(p["contact_id"], (pick or (lambda a: a[0]))(avail)["id"])
    raise AssertionError(f"never reached {node}")


def test_a_privacy_breach_shows_its_later_cost_and_the_outcome_includes_it() -> None:
    s = Session("practice", 7)
    p = _until_node(s, "verify.ask")
    ids = {c["id"] for c in p["choices"]}
    assert {"skip", "verify_properly"} <= ids
    out = s.decide(p["contact_id"], "skip")
    effect = out["effect"]
    assert effect is not None and not effect["best"]
    assert effect["versus_best"]["csat"] < 0 and effect["now"]["csat"] <= 0
    assert effect["later"]["risk_points"] > 0 and effect["later"]["repeat_contact"] > 0
    assert effect["later"]["churn"] > 0 and effect["later"]["csat"] < 0
    assert "privacy" in effect["reason"]["en"] and "隐私" in effect["reason"]["zh-CN"]
    cid = p["contact_id"]
    while not any(c["contact_id"] == cid for c in s.results()["contacts"]):
        s.advance(2.0)
        for q in s.pending_decisions():
            s.decide(q["contact_id"], next(c for c in q["choices"] if c["available"])["id"])
    rec = next(c for c in s.results()["contacts"] if c["contact_id"] == cid)
    assert rec["risk_points"] > 0 and rec["later"]["repeat_contact"] > 0
    assert rec["csat_mean"] < rec["csat_now"] and rec["churn"] > rec["churn_now"]


def test_trigger_alert_only_once_the_words_are_on_screen() -> None:
    s = Session("practice", 7)
    seen = 0
    for _ in range(1200):
        s.advance(1.0)
        snap = s.snapshot()
        contact = snap["seats"][0]["contact"]
        shown = [a for a in snap["alerts"] if a["kind"] == "trigger"]
        if contact and contact["trigger_alert"]:
            ta = contact["trigger_alert"]
            said = [line for line in contact["transcript"] if line["speaker"] == "customer"]
            assert any(
                any(k.lower() in " ".join(line["text"].values()).lower() for k in ta["keywords"])
                for line in said
            )
            assert ta["t"] <= s.now and ta["status"] in ("armed", "failed")
            seen += 1
        for a in shown:
            assert a["t"] <= s.now
        for p in s.pending_decisions():
            s.decide(p["contact_id"], next(c for c in p["choices"] if c["available"])["id"])
    assert seen


def test_the_html_report_names_knowledge_by_title_never_by_id(tmp_path) -> None:
    s = Session("practice", 7)
    s.run_until(400.0)
    while s.now < 900.0:
        s.advance(2.0)
        for p in s.pending_decisions():
            s.decide(p["contact_id"], next(c for c in p["choices"] if c["available"])["id"])
    s.export(tmp_path)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Knowledge" in html or "知识" in html
    assert "kb." not in html


def test_a_rule_whose_steps_are_not_on_offer_is_declared_failed_in_words() -> None:
    """After a wrong reply to "scam", the required steps are either offered at the next node
    or the rule is declared failed in words (never a raw id)."""
    s = Session("practice", 7)
    checked = 0
    for _ in range(1500):
        s.advance(1.0)
        for p in s.pending_decisions():
            contact = s.snapshot()["seats"][0]["contact"]
            rule = contact["trigger_alert"] if contact else None
            if rule is not None:
                on_offer = {b for c in p["choices"] if c["available"] for b in c["behaviours"]}
                covered = [r for r in rule["required"] if r in on_offer]
                assert rule["offered"] == covered
                assert (rule["status"] == "failed") == (not covered)
                if rule["status"] == "failed":
                    assert "Rule failed" in rule["text"]["en"] and "规则" in rule["text"]["zh-CN"]
                    assert not any("_" in rule["text"][lang] for lang in ("en", "zh-CN"))
                checked += 1
            avail = [c for c in p["choices"] if c["available"]]
            worst = next(
                (c for c in avail if {"argue", "blame_system"} & set(c["behaviours"])), None
            )
            s.decide(p["contact_id"], (worst or avail[0])["id"])
    assert checked


def test_the_risk_points_kpi_moves_at_the_breach_not_at_the_end_of_the_call() -> None:
    """The live KPI counts a seat contact's risk points as soon as the decision raises them."""
    s = Session("practice", 7)
    p = _until_node(s, "verify.ask")
    before = s.live_kpis()["risk_points"]
    out = s.decide(p["contact_id"], "skip")
    assert out["risks"], out
    during = s.live_kpis()["risk_points"]
    assert during > before
    cid = p["contact_id"]
    while not any(c["contact_id"] == cid for c in s.results()["contacts"]):
        s.advance(2.0)
        for q in s.pending_decisions():
            s.decide(q["contact_id"], next(c for c in q["choices"] if c["available"])["id"])
    s.advance(40.0)  # past the next flush: the contact's points are booked, not counted twice
    rec = next(c for c in s.results()["contacts"] if c["contact_id"] == cid)
    assert s.live_kpis()["risk_points"] >= rec["risk_points"] >= during - before
    if not any(a.active for a in s.center.seats.values()):  # nothing in progress: the same
        assert s.live_kpis()["risk_points"] == s.results()["kpis"]["risk_points"]
