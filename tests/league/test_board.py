"""The leaderboard from played sessions: ranks, ties, cumulative totals, bytes, changes, events."""

from __future__ import annotations

from dataclasses import replace

import pytest
from test_scoring import TEAMS, class_rounds, competition, names, team_round

from sandbox.exam.canonical import canonical_bytes
from sandbox.league.board import (
    PRECISION,
    board_hash,
    compute_board,
    events,
    format_figure,
    kpi_label,
    rank_changes,
)
from sandbox.league.scoring import TeamRound, round_score, team_figures


def _row(board: dict, team_id: str) -> dict:
    return next(r for r in board["rows"] if r["team_id"] == team_id)


def test_better_policy_ranks_higher_and_identical_teams_share_a_rank() -> None:
    board = compute_board(competition(), class_rounds(), names())
    ranks = {r["team_id"]: r["rank"] for r in board["rows"]}
    # t1 and t5 play expert: equal in everything, they share rank 1 and the next rank is 3
    assert ranks["t1"] == ranks["t5"] == 1
    assert _row(board, "t1")["tied"] and _row(board, "t5")["tied"]
    assert ranks["t2"] == 3 and not _row(board, "t2")["tied"]
    assert ranks["t1"] < ranks["t3"] < ranks["t4"]  # expert > novice > random
    # rows in rank order, shared ranks by team id
    assert [r["team_id"] for r in board["rows"]] == ["t1", "t5", "t2", "t3", "t4"]


def test_cumulative_total_is_the_round_weighted_mean() -> None:
    comp = competition()
    board = compute_board(comp, class_rounds(), names())
    w = [r.weight for r in comp.rounds]
    for team_id in names():
        row = _row(board, team_id)
        scores = [
            round(round_score(comp, team_figures(team_round(team_id, i, _policy(team_id))))[0], 4)
            for i in (0, 1)
        ]
        assert row["rounds"] == scores
        want = (w[0] * scores[0] + w[1] * scores[1]) / (w[0] + w[1])
        assert row["total"] == pytest.approx(want, abs=10**-PRECISION)
    assert board["latest_round"] == 1
    assert [r["played"] for r in board["rounds"]] == [True, True]


def _policy(team_id: str) -> str:

    return TEAMS[team_id][1]


def test_upto_round_and_missing_rounds() -> None:
    comp = competition()
    everything = class_rounds()
    first = compute_board(comp, everything, names(), upto_round=0)
    assert first["latest_round"] == 0
    assert all(r["rounds"][1] is None for r in first["rows"])
    assert _row(first, "t3")["total"] == _row(first, "t3")["rounds"][0]
    # a team without round 1 scores 0 for it once the round is played by others
    partial = [tr for tr in everything if not (tr.team_id == "t1" and tr.round_index == 1)]
    board = compute_board(comp, partial, names())
    t1 = _row(board, "t1")
    assert t1["rounds"][1] is None
    assert t1["total"] == pytest.approx(t1["rounds"][0] * 1 / 3, abs=1e-4)
    assert all(v["figure"] is None and v["points"] is None for v in t1["items"].values())
    # a live round counts even before anyone has a contact in it
    live = compute_board(comp, class_rounds((0,)), names(), live_round=1)
    assert live["latest_round"] == 1 and live["rounds"][1]["live"]
    assert _row(live, "t1")["total"] == pytest.approx(_row(first, "t1")["total"] / 3, abs=1e-4)


def test_tie_breaks_order_equal_totals() -> None:
    comp = competition()
    # two teams with the same total: t1 = expert; t2 = expert's contacts with one risk point
    # more on the last contact, and a scorecard that does not weigh risk points
    t1 = team_round("t1", 0, "expert")
    recs = list(t1.records)
    recs[-1] = {**recs[-1], "risk_points": 2}
    t2 = replace(t1, team_id="t2", records=tuple(recs))
    no_risk = tuple(i for i in comp.scorecard if i.kpi != "risk_points")
    teams = {"t1": "One", "t2": "Two"}
    board = compute_board(
        replace(comp, scorecard=no_risk, tie_breaks=("risk_points",)), [t2, t1], teams
    )
    assert _row(board, "t1")["total"] == _row(board, "t2")["total"]
    assert [(r["team_id"], r["rank"]) for r in board["rows"]] == [("t1", 1), ("t2", 2)]
    # without tie-breaks they share the rank, listed by id
    shared = compute_board(replace(comp, scorecard=no_risk, tie_breaks=()), [t2, t1], teams)
    assert [(r["team_id"], r["rank"], r["tied"]) for r in shared["rows"]] == [
        ("t1", 1, True),
        ("t2", 1, True),
    ]
    # a team with no value for the tie-break KPI comes after
    empty = TeamRound("t3", 0, (), (), 20.0)
    teams3 = {**teams, "t3": "Three"}
    zero = replace(comp, scorecard=(), tie_breaks=("csat_mean",))
    ranks = compute_board(zero, [t1, t2, empty], teams3)["rows"]
    assert [r["team_id"] for r in ranks][-1] == "t3"


def test_board_bytes_are_deterministic_whatever_the_input_order() -> None:
    comp = competition()
    a = compute_board(comp, class_rounds(), names())
    b = compute_board(comp, list(reversed(class_rounds())), dict(reversed(names().items())))
    assert canonical_bytes(a) == canonical_bytes(b)
    assert a["hash"] == board_hash(a) and len(a["hash"]) == 64
    # floats at the board's precision
    for row in a["rows"]:
        assert row["total"] == round(row["total"], PRECISION)
        for item in row["items"].values():
            for value in item.values():
                assert value is None or value == round(value, PRECISION)
    renamed = compute_board(comp, class_rounds(), {**names(), "t1": "Renamed"})
    assert renamed["hash"] != a["hash"]


def test_columns_carry_catalogue_labels() -> None:
    board = compute_board(competition(), class_rounds((0,)), names())
    cols = {c["kpi"]: c for c in board["columns"]}
    assert cols["csat_mean"]["label"] == {"zh-CN": "客户满意度（预测）", "en": "Predicted CSAT"}
    assert cols["rubric.empathy"]["label"]["zh-CN"].endswith("共情强度")
    assert cols["aht_s"]["better"] == "lower" and cols["fcr"]["better"] == "higher"
    assert kpi_label("risk_points", "en") == "Risk points per contact"
    assert format_figure("aht_s", 305.2) == "5:05"
    assert format_figure("rubric", 82.34) == "82.3"
    assert format_figure("risk_points", None) == "—"


def test_unknown_team_or_duplicate_round_is_refused() -> None:
    comp = competition()
    with pytest.raises(ValueError, match="not one of"):
        compute_board(comp, class_rounds((0,)), {"t1": "only"})
    tr = team_round("t1", 0, "expert")
    with pytest.raises(ValueError, match="two TeamRounds"):
        compute_board(comp, [tr, tr], {"t1": "x"})


def test_rank_changes() -> None:
    comp = competition()
    before = compute_board(comp, class_rounds((0,)), names())
    assert rank_changes(before, before) == []
    # in round 1 the novices play as experts and the competent crew at random: they swap
    swap = {("t3", 1): "expert", ("t2", 1): "random"}
    after_rounds = [
        team_round(tr.team_id, 1, swap[key]) if (key := (tr.team_id, tr.round_index)) in swap
        else tr
        for tr in class_rounds()
    ]  # fmt: skip
    after = compute_board(comp, after_rounds, names())
    changes = {c["team_id"]: c for c in rank_changes(before, after)}
    assert (changes["t3"]["from"], changes["t3"]["to"], changes["t3"]["up"]) == (4, 3, 1)
    assert (changes["t2"]["from"], changes["t2"]["to"], changes["t2"]["up"]) == (3, 4, -1)
    # the experts hold rank 1; their total moved with round 1, so they are listed too
    assert (changes["t1"]["from"], changes["t1"]["to"], changes["t1"]["up"]) == (1, 1, 0)
    assert changes["t1"]["total_to"] != changes["t1"]["total_from"]
    assert changes["t3"]["total_to"] > changes["t3"]["total_from"]
    # a team whose rank held but whose total moved is listed too (the total animates)
    assert changes["t4"]["up"] == 0 and changes["t4"]["total_to"] != changes["t4"]["total_from"]
    fresh = rank_changes(None, before)
    assert {c["team_id"] for c in fresh} == set(names())
    assert all(c["from"] is None and c["up"] is None for c in fresh)
    gone = rank_changes(before, compute_board(comp, [], {"t1": "x"}))
    assert {c["team_id"] for c in gone if c["to"] is None} == set(names()) - {"t1"}


def _offer_taken(rounds: list[TeamRound], team_id: str, round_index: int) -> list[TeamRound]:
    """`rounds` with the cross-sell offers of one team's round taken. Whether an offer is taken
    is the contact's acceptance draw against the model's probability (about one in three for a
    well-made, high-fit offer, calibration row 15), so a class's one offer may go either way."""
    return [
        replace(tr, records=tuple({**r, "cross_sell_accepted": int(bool(r.get(
            "cross_sell_offered")))} for r in tr.records))
        if (tr.team_id, tr.round_index) == (team_id, round_index) else tr
        for tr in rounds
    ]  # fmt: skip


def test_events_are_deterministic_and_plain_text() -> None:
    comp = competition()
    played = events(comp, class_rounds(), names())
    # random play never calms round 1's angry broadband customer, so never sells to them
    assert not any(e["team_id"] == "t4" and e["kind"] == "angry_sale" for e in played)
    rounds = _offer_taken(class_rounds(), "t1", 1)
    got = events(comp, rounds, names())
    assert got == events(comp, list(reversed(rounds)), names())
    kinds = {(e["team_id"], e["kind"]) for e in got}
    # experts calm round 1's angry broadband customer and offer the upgrade: taken, a sale
    assert ("t1", "angry_sale") in kinds
    assert not any(e["team_id"] == "t4" and e["kind"] == "angry_sale" for e in got)
    sale = next(e for e in got if e["team_id"] == "t1" and e["kind"] == "angry_sale")
    assert sale["text"]["en"] == "Experts turned an angry customer into a sale"
    assert sale["text"]["zh-CN"].startswith("Experts ")
    hostile = [e for e in got if e["team_id"] == "t4"]
    assert all(e["text"]["en"].startswith("<script>alert(1)</script> ") for e in hostile)
    assert len({e["id"] for e in got}) == len(got)
    # at most one trap event per team and round
    traps = [(e["team_id"], e["round_index"]) for e in got if e["kind"] == "trap_clean"]
    assert len(traps) == len(set(traps))
    assert events(comp, class_rounds(), names(), round_index=0) == [
        e for e in got if e["round_index"] == 0
    ]


@pytest.mark.parametrize("name", ["class-en", "class-zh"])
def test_shipped_competitions_score_played_records(name: str) -> None:
    from sandbox.league.loader import load_competition

    comp = load_competition(name)
    # the scorecard applies to any round's records: reuse the played exam rounds as round 0/1
    trs = class_rounds()
    board = compute_board(comp, trs, names())
    assert [c["kpi"] for c in board["columns"]] == [i.kpi for i in comp.scorecard]
    assert all(c["label"]["zh-CN"] and c["label"]["en"] for c in board["columns"])
    assert board["latest_round"] == 1 and not board["rounds"][2]["played"]
    ranks = {r["team_id"]: r["rank"] for r in board["rows"]}
    assert ranks["t1"] == ranks["t5"] < ranks["t3"] < ranks["t4"]
    assert compute_board(comp, [], names())["rows"][0]["total"] == 0.0
