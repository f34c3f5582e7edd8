"""JourneyRun: stepping, availability, effects, routes, triggers, persistence, determinism."""

from __future__ import annotations

import json
import pickle
import random

import pytest
from journey_testutil import MINI, demo, journey_from

from journeys import JourneyRun, JourneyRunError, load_journey_text
from journeys.diagnostics import JourneyError


@pytest.fixture(scope="module")
def j():
    return demo()


def play(j, seed, choices, persona=None):
    run = JourneyRun(j, seed, persona)
    run.start()
    for c in choices:
        run.choose(c)
    return run


def test_start_says_lines_and_arms_trigger(j):
    run = JourneyRun(j, 1, {"anger": 8, "segment": "vip"})
    step = run.start()
    assert step.choice_id is None
    assert [line.id for line in step.lines] == ["c1"]
    assert step.lines[0].text["zh-CN"] == "你们就是骗子！"
    assert step.lines[0].tags == ("angry",)
    assert run.node_id == "opening"
    assert run.state == {"anger": 8, "trust": 3, "verified": False, "mood": "tense"}
    (event,) = step.triggers
    assert (event.trigger_id, event.status) == ("calm3", "armed")
    assert run.required_behaviours == ("calm", "restate", "offer_solution")
    assert run.active_trigger.id == "calm3"


def test_persona_default_and_clamping(j):
    assert JourneyRun(j, 1).state["anger"] == 5  # default: no persona
    assert JourneyRun(j, 1, {"anger": 99}).state["anger"] == 10  # clamped
    assert JourneyRun(j, 1, {"anger": 2.6}).state["anger"] == 3  # rounded


def test_choose_reports_effects_time_score_feedback(j):
    run = JourneyRun(j, 1, {"anger": 9})
    run.start()
    step = run.choose("argue")
    assert step.effects == {"anger": (9, 10)}  # +3 clamped to max
    assert step.time_s == 90.0
    assert step.score == -2.0
    assert step.node_id == "listen"
    assert step.behaviours == ("argue",)
    assert run.time_s == 90.0 and run.score == -2.0
    calm = play(j, 1, ["calm"], {"anger": 9})
    assert calm.state["anger"] == 7
    assert calm.history == ["calm"] and calm.path == ["opening.calm"]


def test_unavailable_choices_are_marked_with_reasons(j):
    run = play(j, 1, ["calm"], {"anger": 5})
    views = run.choices(include_unavailable=True)
    assert [(v.id, v.available) for v in views] == [
        ("ask", True),
        ("restate", True),
        ("hang", False),
    ]
    assert views[2].reason["en"] == "condition not met"
    assert [v.id for v in run.choices()] == ["ask", "restate"]
    with pytest.raises(JourneyRunError, match="not available"):
        run.choose("hang")
    with pytest.raises(JourneyRunError, match="no choice"):
        run.choose("nope")
    hot = play(j, 1, ["argue"], {"anger": 9})
    assert "hang" in [v.id for v in hot.choices()]


def test_once_choice_stays_in_node_and_disappears(j):
    run = play(j, 1, ["calm"])
    step = run.choose("ask")
    assert step.node_id == "listen" and step.lines == ()  # no goto: stay, lines not repeated
    assert step.effects == {"trust": (3, 4)}
    views = {v.id: v for v in run.choices(include_unavailable=True)}
    assert not views["ask"].available and views["ask"].reason["en"] == "already chosen"
    # unavailable ones come after the available ones
    assert [v.available for v in run.choices(True)] == sorted(
        [v.available for v in run.choices(True)], reverse=True
    )


def test_fallback_only_when_nothing_else(tmp_path):
    j = journey_from(
        """
        journey: fb
        version: 1
        title: t
        kind: inquiry
        channels: [chat]
        state: {x: {type: int, min: 0, max: 3}}
        start: a
        nodes:
          a:
            choices:
              - {id: inc, text: up, once: true, effects: {x: 1}}
              - {id: only_if, if: "x >= 5", text: never, goto: e}
              - {id: fb, text: fallback, fallback: true, goto: e}
          e: {ending: {outcome: unresolved}}
        """
    )
    run = JourneyRun(j, 0)
    run.start()
    assert [v.id for v in run.choices()] == ["inc"]
    fb = next(v for v in run.choices(True) if v.id == "fb")
    assert fb.reason["en"] == "only when nothing else is available"
    run.choose("inc")
    assert [v.id for v in run.choices()] == ["fb"]
    assert run.choose("fb").ending.outcome == "unresolved"


def test_full_path_with_fragment_route_and_trigger_satisfied(j):
    run = JourneyRun(j, 3, {"anger": 6, "segment": "vip"})
    run.start()
    s1 = run.choose("calm")
    assert s1.triggers == ()  # 1 of 3 behaviours
    assert run.required_behaviours == ("restate", "offer_solution")
    run.choose("restate")
    s3 = run.choose("offer")
    assert [(t.trigger_id, t.status) for t in s3.triggers] == [("calm3", "satisfied")]
    assert run.required_behaviours == () and run.active_trigger is None
    assert s3.node_id == "verify.ask" and [line.id for line in s3.lines] == ["verify.q"]
    assert s3.cross_sell.offer == "plan_x" and s3.knowledge == ("kb.lesson.empathy_first",)
    assert s3.effects == {"mood": ("tense", "okay"), "trust": (3, 7)}
    end = run.choose("check")
    assert run.finished and end.ending is not None
    assert run.outcome in ("resolved", "callback_promised")
    assert "lucky" in run.visited and "branch" in run.visited
    assert run.risks == []


def test_trigger_missed_raises_risk(j):
    run = JourneyRun(j, 3, {"anger": 6})
    run.start()
    run.choose("argue")
    run.choose("ask")
    step = run.choose("restate")
    (event,) = step.triggers
    assert event.status == "missed" and event.risk == "escalation_risk"
    assert event.required == ("calm", "offer_solution")
    assert run.risks == ["escalation_risk"] and step.risks == ("escalation_risk",)


def test_fragment_exit_failed_and_risks(j):
    run = play(j, 3, ["calm", "restate", "offer"])
    step = run.choose("skip")
    assert step.risks == ("privacy_breach",)
    assert run.outcome == "compliance_breach" and step.ending.score == -10
    run2 = play(j, 3, ["calm", "restate", "offer"])
    step2 = run2.choose("skip_on")
    assert step2.risks == ("privacy_breach", "compliance_breach")
    assert run2.outcome == "compliance_breach"  # verified is false: route to breach


def test_chosen_and_persona_conditions(j):
    vip = play(j, 3, ["calm", "ask", "restate"], {"segment": "vip"})
    assert "vip_extra" in [v.id for v in vip.choices()]
    mass = play(j, 3, ["calm", "ask", "restate"], {"segment": "mass"})
    assert "vip_extra" not in [v.id for v in mass.choices()]
    no_ask = play(j, 3, ["calm", "restate"], {"segment": "vip"})
    assert "vip_extra" not in [v.id for v in no_ask.choices()]
    step = vip.choose("vip_extra")  # `goto: verify` enters the fragment's start
    assert step.node_id == "verify.ask"


def test_random_branch_deterministic_per_seed_and_varies(j):
    def outcome(seed):
        return play(j, seed, ["calm", "restate", "offer", "check"]).outcome

    first = [outcome(s) for s in range(60)]
    assert first == [outcome(s) for s in range(60)]
    assert set(first) == {"resolved", "callback_promised"}
    share = first.count("resolved") / len(first)
    assert 0.55 < share < 0.95  # weights 3:1


def test_resume_from_json_continues_identically(j):
    rng = random.Random(5)
    for seed in range(25):
        persona = {"anger": rng.randint(0, 10), "segment": rng.choice(["vip", "mass"])}
        full = JourneyRun(j, seed, persona)
        full.start()
        picks = []
        while not full.finished:
            options = full.choices()
            pick = rng.choice(options).id
            picks.append(pick)
            full.choose(pick)
        for cut in range(len(picks)):
            a = JourneyRun(j, seed, persona)
            a.start()
            for p in picks[:cut]:
                a.choose(p)
            data = json.loads(json.dumps(a.to_json()))
            b = JourneyRun.from_json(j, data)
            rest = [b.choose(p).to_json() for p in picks[cut:]]
            again = JourneyRun.from_json(j, data)
            assert [again.choose(p).to_json() for p in picks[cut:]] == rest
            assert b.to_json() == full.to_json()


def test_resume_keeps_random_stream(tmp_path):
    j = journey_from(
        """
        journey: rnd
        version: 1
        title: t
        kind: inquiry
        channels: [chat]
        start: a
        nodes:
          a:
            choices:
              - {id: roll, text: roll, goto: r}
          r:
            route: [{random: {a: 1, b: 1}}]
          b:
            choices:
              - {id: roll, text: roll, goto: r}
        """
    )
    run = JourneyRun(j, 11)
    run.start()
    seq = [run.choose("roll").node_id for _ in range(10)]
    saved_at = JourneyRun(j, 11)
    saved_at.start()
    for _ in range(4):
        saved_at.choose("roll")
    resumed = JourneyRun.from_json(j, saved_at.to_json())
    assert [resumed.choose("roll").node_id for _ in range(6)] == seq[4:]
    assert len(set(seq)) == 2


def test_from_json_refuses_changed_journey(j):
    run = play(j, 1, ["calm"])
    data = run.to_json()
    changed = load_journey_text(MINI, "mini.yaml")
    with pytest.raises(JourneyRunError, match="different version"):
        JourneyRun.from_json(changed, {**data, "journey": "demo"})
    with pytest.raises(JourneyRunError, match="damaged"):
        JourneyRun.from_json(j, {k: v for k, v in data.items() if k != "state"})


def test_set_state_and_end(j):
    run = JourneyRun(j, 1, {"anger": 3})
    run.start()
    assert run.set_state("anger", 42) == 10
    assert run.set_state("mood", "okay") == "okay"
    with pytest.raises(JourneyRunError):
        run.set_state("mood", "furious")
    with pytest.raises(JourneyRunError):
        run.set_state("verified", 3)
    with pytest.raises(JourneyRunError):
        run.set_state("nope", 1)
    assert [v.id for v in run.choices()] == ["calm", "argue"]
    run.choose("calm")
    step = run.end("customer_hung_up")
    assert run.finished and run.outcome == "customer_hung_up"
    # the agent had started answering the armed trigger: it counts as missed
    assert [t.status for t in step.triggers] == ["missed"]
    with pytest.raises(JourneyRunError):
        run.choose("ask")
    with pytest.raises(JourneyRunError):
        run.end("resolved")
    assert run.choices() == []


def test_end_right_after_keyword_drops_trigger(j):
    run = JourneyRun(j, 1)
    run.start()
    step = run.end("transferred")
    assert step.triggers == () and run.risks == []
    with pytest.raises(JourneyRunError):
        JourneyRun(j, 1).end("bogus")


def test_start_twice_and_choose_before_start(j):
    run = JourneyRun(j, 1)
    with pytest.raises(JourneyRunError):
        run.choose("calm")
    run.start()
    with pytest.raises(JourneyRunError):
        run.start()


def test_route_loop_is_reported_at_load_time():
    """A loop is found on the graph (JY025); the runtime guard is in test_journey_guards.py."""
    with pytest.raises(JourneyError, match="JY025"):
        journey_from(
            """
        journey: loop
        version: 1
        title: t
        kind: inquiry
        channels: [chat]
        start: a
        nodes:
          a: {route: [{goto: b}]}
          b: {route: [{goto: a}]}
        """
        )


def test_journey_pickles_and_runs_after(j):
    clone = pickle.loads(pickle.dumps(j))
    assert clone.content_hash == j.content_hash
    a = play(clone, 7, ["calm", "restate", "offer", "check"], {"segment": "vip"})
    b = play(j, 7, ["calm", "restate", "offer", "check"], {"segment": "vip"})
    assert a.to_json() == b.to_json()


def test_hash_and_runs_identical_across_processes(j):
    import os
    import subprocess
    import sys

    from journey_testutil import FIXTURES

    code = (
        "import json, sys; from journeys import load_journey, JourneyRun;"
        f"j = load_journey({str(FIXTURES / 'demo.yaml')!r});"
        "r = JourneyRun(j, 9, {'anger': 7, 'segment': 'vip'}); r.start();"
        "[r.choose(c) for c in ['calm', 'ask', 'restate', 'vip_extra', 'check']];"
        "print(json.dumps([j.content_hash, r.to_json()], sort_keys=True))"
    )
    outs = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        outs.add(
            subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            ).stdout
        )
    assert len(outs) == 1
    assert json.loads(outs.pop())[0] == j.content_hash


TRIGGERS = """
journey: trig
version: 1
title: t
kind: complaint
channels: [phone]
triggers:
  - id: calm3
    when: {customer_says_any: [投诉到底, "report you"]}
    require_next: [calm, restate, offer_solution]
    within: 4
    risk_if_missed: escalation_risk
start: a
nodes:
  a:
    say:
      - {speaker: agent, text: {zh-CN: 我不会投诉到底的, en: "I won't REPORT YOU"}}
      - {speaker: customer, text: {zh-CN: 你好, en: "I will Report You!"}}
    choices:
      - {id: calm, text: c, behaviours: [calm, empathy]}
      - {id: both, text: b, behaviours: [restate, offer_solution]}
      - {id: idle, text: i, behaviours: [hold]}
      - {id: again, text: g, goto: b}
  b:
    say: [{speaker: customer, text: {zh-CN: 我要投诉到底！, en: "I'll complain!"}}]
    choices:
      - {id: calm, text: c, behaviours: [calm]}
      - {id: back, text: b, goto: a}
"""


def test_calm_three_step_trigger_rules():
    j = load_journey_text(TRIGGERS)
    run = JourneyRun(j, 0)
    step = run.start()  # the agent's line does not arm; the customer's (any case, en) does
    assert [(t.trigger_id, t.status) for t in step.triggers] == [("calm3", "armed")]
    run.choose("idle")
    run.choose("calm")
    assert run.required_behaviours == ("restate", "offer_solution")
    step = run.choose("both")  # spread over several actions within the window of 4
    assert [t.status for t in step.triggers] == ["satisfied"] and run.risks == []
    step = run.choose("again")  # zh-only keyword re-arms after it was satisfied
    assert [t.status for t in step.triggers] == ["armed"]
    for pick in ("calm", "back"):  # 'back' re-enters a: keyword again while armed: no re-arm
        step = run.choose(pick)
    assert [t.status for t in step.triggers] == []
    run.choose("idle")
    step = run.choose("idle")  # 4 actions without restate/offer_solution: missed
    assert [(t.status, t.required) for t in step.triggers] == [
        ("missed", ("restate", "offer_solution"))
    ]
    assert run.risks == ["escalation_risk"]
