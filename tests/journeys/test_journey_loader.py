"""Loading journeys: the model, includes, the content hash, no cascades, the docs example."""

from __future__ import annotations

import re
import shutil
import textwrap

import pytest
from journey_testutil import FIXTURES, MINI, ROOT, demo, journey_from

from journeys import JourneyError, JourneyRun, check_file, load_journey, load_journey_text


def errors(text, tmp_path=None):
    with pytest.raises(JourneyError) as err:
        journey_from(text, tmp_path)
    return err.value.diagnostics


def test_demo_model():
    j = demo()
    assert (j.id, j.version, j.kind, j.channels) == ("demo", 1, "complaint", ("phone", "chat"))
    assert j.title["en"] == "Demo journey" and j.title["zh-CN"] == "演示旅程"
    assert j.persona == {"segment": ("mass", "vip")}
    assert j.state["anger"].from_persona and j.state["anger"].initial == 5
    assert j.state["mood"].values == ("tense", "okay")
    assert j.start == "opening"
    assert {"verify.ask", "opening", "branch"} <= set(j.nodes)
    assert j.nodes["verify.ask"].fragment == "verify"
    argue = j.choice("opening.argue")
    assert argue.time_s == 90.0 and argue.score == -2.0 and argue.effects[0].value == 3
    assert j.choice("listen.ask").once
    assert j.choice("solve.nothing").fallback
    assert j.nodes["listen"].choices[0].time_s == 15.0  # default
    assert j.choice("verify.ask.skip_on").risk == ("privacy_breach", "compliance_breach")
    assert j.choice("verify.ask.check").goto == "branch"  # exit.done mapped
    assert j.choice("solve.vip_extra").goto == "verify.ask"  # alias = fragment start
    (trig,) = j.triggers
    assert trig.keywords == ("骗子", "scam") and trig.within == 3
    assert j.accepts_persona({"segment": "vip"}) and not j.accepts_persona(
        {"segment": "small_business"}
    )
    with pytest.raises(TypeError):
        j.nodes["x"] = None
    assert set(j.endings()) == {
        "end_resolved",
        "end_callback",
        "end_breach",
        "end_hung",
        "end_unresolved",
    }
    assert len(j.content_hash) == 64
    again = demo()
    assert again == j and hash(again) == hash(j) and len({j, again}) == 1


def test_content_hash_ignores_formatting_but_not_meaning(tmp_path):
    base = (FIXTURES / "demo.yaml").read_text(encoding="utf-8")
    shutil.copytree(FIXTURES / "common", tmp_path / "common")
    h0 = demo().content_hash

    def hash_of(text):
        (tmp_path / "demo.yaml").write_text(text, encoding="utf-8")
        return load_journey(tmp_path / "demo.yaml").content_hash

    assert hash_of(base) == h0  # the folder does not matter
    reformatted = "# a new comment\n" + base.replace('if: "anger >= 9"', "if: 'anger>=9'  # hot")
    reformatted = reformatted.replace("version: 1\n", "version:   1\n")
    assert hash_of(reformatted) == h0
    assert hash_of(base.replace("effects: {anger: -2}", "effects: {anger: -1}")) != h0
    assert hash_of(base.replace("Please don't worry.", "Please do not worry.")) != h0
    assert hash_of(base.replace("end_resolved: 3", "end_resolved: 2")) != h0
    # a change inside the included fragment changes the includer's hash
    frag = tmp_path / "common" / "verify.yaml"
    frag.write_text(frag.read_text(encoding="utf-8").replace("Skip it.", "Skip."), encoding="utf-8")
    assert hash_of(base) != h0


def test_mini_and_plain_text():
    j = load_journey_text(MINI, "mini.yaml")
    assert j.nodes["a"].choices[0].text["en"] == "Go"
    plain = load_journey_text(MINI.replace("title: {zh-CN: 迷你, en: Mini}", "title: Mini"))
    assert plain.title["zh-CN"] == plain.title["en"] == "Mini"
    assert [w.code for w in plain.warnings] == ["JY105"]


def test_numbers_and_yes_no_in_text_fields():
    j = load_journey_text(MINI.replace("{zh-CN: 走, en: Go}", "{zh-CN: 2024, en: no}"))
    assert j.nodes["a"].choices[0].text.to_json() == {"zh-CN": "2024", "en": "no"}


def test_one_error_per_mistake_broken_state_var():
    diags = errors(
        """
        journey: x
        version: 1
        title: t
        kind: inquiry
        channels: [chat]
        state:
          anger: {type: int, min: 0, maximum: 10}
        start: a
        nodes:
          a:
            choices:
              - {id: go, text: go, if: "anger > 3", effects: {anger: -1}, goto: done}
          done: {ending: {outcome: resolved}}
        """
    )
    assert [d.code for d in diags] == ["JY011"]


def test_one_error_per_mistake_broken_node_still_known():
    diags = errors(
        """
        journey: x
        version: 1
        title: t
        kind: inquiry
        channels: [chat]
        start: a
        nodes:
          a:
            choices:
              - {id: go, text: go, goto: b}
          b:
            choices: {id: oops}
          done: {ending: {outcome: resolved}}
        """
    )
    assert [d.code for d in diags] == ["JY010"]


def test_several_independent_mistakes_are_all_listed():
    diags = errors(
        """
        journey: x
        version: 1
        title: t
        kind: inquery
        channels: [fax]
        start: a
        nodes:
          a:
            choices:
              - {id: go, text: go, behaviours: [shout], goto: nowhere}
        """
    )
    assert [d.code for d in diags] == ["JY013", "JY013", "JY013", "JY015"]
    assert 'did you mean "inquiry"' in diags[0].message


def test_fragment_errors_point_into_fragment(tmp_path):
    (tmp_path / "frag.yaml").write_text(
        textwrap.dedent(
            """\
            fragment: f
            exits: [done]
            nodes:
              n:
                choices:
                  - {id: ok, text: ok, goto: exit.finished}
                  - {id: bad, text: ok, effects: {angr: 1}, goto: elsewhere}
            """
        ),
        encoding="utf-8",
    )
    diags = errors(
        """
        journey: x
        version: 1
        title: t
        kind: inquiry
        channels: [chat]
        state: {anger: {type: int, min: 0, max: 10}}
        includes: [{use: frag.yaml, as: f, exits: {done: done}}]
        start: f.n
        nodes:
          done: {ending: {outcome: resolved}}
        """,
        tmp_path,
    )
    assert [(d.code, d.line, d.path.endswith("frag.yaml")) for d in diags] == [
        ("JY042", 6, True),
        ("JY014", 7, True),
        ("JY015", 7, True),
    ]


def test_fragment_included_twice_and_missing_exit_mapping(tmp_path):
    shutil.copy(FIXTURES / "common" / "verify.yaml", tmp_path / "v.yaml")
    j = journey_from(
        """
        journey: twice
        version: 1
        title: t
        kind: inquiry
        channels: [chat]
        state: {verified: {type: bool}}
        includes:
          - {use: v.yaml, as: first, exits: {done: second, failed: end}}
          - {use: v.yaml, as: second, exits: {done: end, failed: end}}
        start: first
        nodes:
          end: {ending: {outcome: resolved}}
        """,
        tmp_path,
    )
    assert {"first.ask", "second.ask"} <= set(j.nodes)
    run = JourneyRun(j, 0)
    assert run.start().node_id == "first.ask"
    assert run.choose("check").node_id == "second.ask"
    diags = errors(
        """
        journey: y
        version: 1
        title: t
        kind: inquiry
        channels: [chat]
        state: {verified: {type: bool}}
        includes: [{use: v.yaml, as: v, exits: {done: end}}]
        start: v.ask
        nodes:
          end: {ending: {outcome: resolved}}
        """,
        tmp_path,
    )
    assert [d.code for d in diags] == ["JY042"] and "failed" in diags[0].message


def test_fragment_checked_on_its_own():
    journey, diags = check_file(FIXTURES / "common" / "verify.yaml")
    assert journey is None and diags == []
    with pytest.raises(JourneyError) as err:
        load_journey(FIXTURES / "common" / "verify.yaml")
    assert err.value.diagnostics[0].code == "JY041"


def test_docs_example_uses_every_feature_and_is_clean(tmp_path):
    doc = (ROOT / "docs" / "journey-format.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", doc, re.S)
    (tmp_path / "common").mkdir()
    frag = next(b for b in blocks if b.startswith("# common/verify_identity.yaml"))
    (tmp_path / "common" / "verify_identity.yaml").write_text(frag, encoding="utf-8")
    (tmp_path / "billing.yaml").write_text(blocks[0], encoding="utf-8")
    j = load_journey(tmp_path / "billing.yaml")
    from journeys.lint import lint_journey

    assert lint_journey(j) == []
    choices = [c for n in j.nodes.values() for c in n.choices]
    assert any(c.once for c in choices) and any(c.fallback for c in choices)
    assert any(c.condition for c in choices) and any(c.cross_sell for c in choices)
    assert any(c.knowledge for c in choices) and any(c.feedback for c in choices)
    kinds = {r.kind for n in j.nodes.values() for r in n.route}
    assert kinds == {"if", "random", "goto"}
    assert j.triggers and j.includes and j.persona and j.description
    assert any(e.op == "set" for c in choices for e in c.effects)
    assert any(c.risk for c in choices) and any(n.intentional_unreachable for n in j.nodes.values())
    sources = " ".join(c.condition.source for c in choices if c.condition)
    sources += " ".join(
        r.condition.source for n in j.nodes.values() for r in n.route if r.condition
    )
    for used in ("persona(", "chosen(", "visited(", " in ["):
        assert used in sources
    assert {v.type for v in j.state.values()} == {"int", "bool", "enum"}
    run = JourneyRun(j, 1, {"anger": 2, "segment": "vip"})
    run.start()
    assert run.active_trigger is not None
