"""The leaderboard: ranks, cumulative totals and scorecard columns as one plain, hashed dict.

Why a plain dict with a hash: the server pushes the board to projectors and desks and a test
recomputes it offline from the same journals; both must be the same bytes. The board holds
only JSON data (str, int, float rounded to `PRECISION` decimals, None, lists, dicts), so
`sandbox.exam.canonical.canonical_bytes(board)` is its byte form and `board["hash"]` the sha256
of the rest of it.

Rules (docs/competition-format.md has the file side):

- A round counts as *played* once any team has a `TeamRound` for it (the server passes one per
  team for every opened round, possibly with no records), or it is `live_round` (the round
  running now: its scores so far count, so the board moves live). With `upto_round`, later
  rounds are left out (the board as it stood after that round).
- A team's round score is `scoring.round_score` of its figures; a team with no `TeamRound` for
  a played round shows `None` for it and counts 0 in the total.
- Cumulative total = Σ round weight × round score / Σ weights of the played rounds.
- Rank: by total (higher first); equal totals are compared by the competition's `tie_breaks`
  in order, each the round-weighted mean of the team's raw figure of that KPI over the played
  rounds where it has one, better direction first (the scorecard item's, else
  `model.DEFAULT_RANGES`'; a team with no value comes after). Teams still equal share the rank
  (1, 2, 2, 4) and are listed by team id.
- Every float is rounded to `PRECISION` decimals before it is compared or stored, so what the
  board shows is what it ranked.
- The scorecard columns show the figures and points of the latest played round.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from journeys.vocabulary import RESOLVING_OUTCOMES, RUBRIC
from sandbox import kpi_catalogue
from sandbox.exam.canonical import sha256_hex
from sandbox.league.model import DEFAULT_RANGES, Competition, ScoreItem
from sandbox.league.scoring import (
    TeamRound,
    customer_k,
    ordered_records,
    round_score,
    team_figures,
)

SCHEMA = "shapan.league-board/1"
#: Decimals of every float on the board (scores, points, figures).
PRECISION = 4

#: Labels of the scorecard KPIs the catalogue does not name (the rubric) or names differently
#: (risk points are per handled contact on a scorecard).
_RUBRIC_LABELS: dict[str, dict[str, str]] = {
    "rubric": {"zh-CN": "评分量表（综合）", "en": "Rubric (overall)"},
    **{f"rubric.{d}": {"zh-CN": f"量表 · {v['zh-CN']}", "en": f"Rubric · {v['en']}"}
       for d, v in RUBRIC.items()},
}  # fmt: skip
_PER_CONTACT = {"zh-CN": "（每通）", "en": " per contact"}


def kpi_label(kpi: str, lang: str) -> str:
    """A scorecard KPI's name in `lang` (kpi_catalogue, or the rubric's names)."""
    if kpi in _RUBRIC_LABELS:
        return _RUBRIC_LABELS[kpi]["zh-CN" if lang == "zh-CN" else "en"]
    text = kpi_catalogue.label(kpi, lang)
    if kpi == "risk_points":
        text += _PER_CONTACT["zh-CN" if lang == "zh-CN" else "en"]
    return text


def kpi_unit(kpi: str) -> str:
    """How a figure reads: a catalogue unit (rate, seconds, csat, count), `per_contact` for
    risk points per handled contact, `score` (0..100) for the rubric."""
    if kpi.startswith("rubric"):
        return "score"
    if kpi == "risk_points":
        return "per_contact"
    return kpi_catalogue.KPIS[kpi].unit


def format_figure(kpi: str, value: Any, lang: str = "en") -> str:
    """A scorecard figure as every league surface shows it (kpi_catalogue's formats; rubric
    scores with one decimal, risk points per contact with two)."""
    unit = kpi_unit(kpi)
    if unit in ("score", "per_contact"):
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            return kpi_catalogue.NO_VALUE
        if not math.isfinite(value):
            return kpi_catalogue.NO_VALUE
        return f"{value:.1f}" if unit == "score" else f"{value:.2f}"
    return kpi_catalogue.format_value(kpi, value, lang)


def _r(value: float | None) -> float | None:
    """A float at the board's precision (-0.0 as 0.0); None stays None."""
    if value is None:
        return None
    out = round(float(value), PRECISION)
    return out + 0.0


def _item_for(comp: Competition, kpi: str) -> ScoreItem:
    for item in comp.scorecard:
        if item.kpi == kpi:
            return item
    worst, best = DEFAULT_RANGES[kpi]
    return ScoreItem(kpi, 1.0, worst, best)


def _index(
    comp: Competition, team_rounds: Iterable[TeamRound], teams: Mapping[str, str]
) -> dict[tuple[str, int], TeamRound]:
    out: dict[tuple[str, int], TeamRound] = {}
    for tr in team_rounds:
        if tr.team_id not in teams:
            raise ValueError(f"team {tr.team_id!r} is not one of the board's teams")
        if not 0 <= tr.round_index < len(comp.rounds):
            raise ValueError(
                f"round index {tr.round_index} of team {tr.team_id!r} is not a round of "
                f"{comp.id} (0..{len(comp.rounds) - 1})"
            )
        key = (tr.team_id, tr.round_index)
        if key in out:
            raise ValueError(f"two TeamRounds for team {tr.team_id!r} in round {tr.round_index}")
        out[key] = tr
    return out


def played_rounds(
    comp: Competition,
    present: Iterable[int],
    upto_round: int | None = None,
    live_round: int | None = None,
) -> list[int]:
    """The round indexes that count (module docstring), in order."""
    last = len(comp.rounds) - 1 if upto_round is None else min(upto_round, len(comp.rounds) - 1)
    got = set(present)
    if live_round is not None:
        got.add(live_round)
    return sorted(i for i in got if 0 <= i <= last)


def compute_board(
    comp: Competition,
    team_rounds: Iterable[TeamRound],
    teams: Mapping[str, str],
    *,
    upto_round: int | None = None,
    live_round: int | None = None,
) -> dict[str, Any]:
    """The board of `teams` ({team id: display name}) from their rounds (module docstring)."""
    by_key = _index(comp, team_rounds, teams)
    played = played_rounds(comp, (i for _, i in by_key), upto_round, live_round)
    latest = played[-1] if played else None
    weights = {i: comp.rounds[i].weight for i in played}
    weight_sum = sum(weights.values())

    rows: list[dict[str, Any]] = []
    for team_id in sorted(teams):
        scores: dict[int, float] = {}
        figures: dict[int, dict[str, float | None]] = {}
        points: dict[int, dict[str, float]] = {}
        handled = 0
        for i in played:
            tr = by_key.get((team_id, i))
            if tr is None:
                continue
            figures[i] = team_figures(tr)
            total_i, points[i] = round_score(comp, figures[i])
            scores[i] = _r(total_i) or 0.0
            handled += int(figures[i]["handled"] or 0)
        total = (
            _r(sum(weights[i] * scores.get(i, 0.0) for i in played) / weight_sum)
            if weight_sum
            else 0.0
        )
        tie_break: list[float | None] = []
        for kpi in comp.tie_breaks:
            got = [(weights[i], figures[i][kpi]) for i in played if i in figures]
            vals = [(w, v) for w, v in got if v is not None]
            w_sum = sum(w for w, _ in vals)
            tie_break.append(_r(sum(w * v for w, v in vals) / w_sum) if w_sum else None)
        items: dict[str, dict[str, float | None]] = {}
        for item in comp.scorecard:
            fig = figures[latest][item.kpi] if latest in figures else None
            pts = points[latest][item.kpi] if latest in points else None
            items[item.kpi] = {"figure": _r(fig), "points": _r(pts)}
        rows.append({
            "team_id": team_id,
            "name": str(teams[team_id]),
            "total": total or 0.0,
            "rounds": [scores.get(i) if i in played else None for i in range(len(comp.rounds))],
            "items": items,
            "handled": handled,
            "tie_break": tie_break,
        })  # fmt: skip

    def sort_key(row: dict[str, Any]) -> tuple[Any, ...]:
        key: list[Any] = [-row["total"]]
        for kpi, value in zip(comp.tie_breaks, row["tie_break"], strict=True):
            item = _item_for(comp, kpi)
            higher = item.best >= item.worst
            key.append((1, 0.0) if value is None else (0, -value if higher else value))
        return tuple(key)

    rows.sort(key=lambda r: (sort_key(r), r["team_id"]))
    prev: tuple[Any, ...] | None = None
    rank = 0
    for pos, row in enumerate(rows, start=1):
        key = sort_key(row)
        if key != prev:
            rank, prev = pos, key
        row["rank"] = rank
    counts: dict[int, int] = {}
    for row in rows:
        counts[row["rank"]] = counts.get(row["rank"], 0) + 1
    for row in rows:
        row["tied"] = counts[row["rank"]] > 1

    columns = []
    for item in comp.scorecard:
        columns.append({
            "kpi": item.kpi,
            "label": {lang: kpi_label(item.kpi, lang) for lang in kpi_catalogue.LANGS},
            "unit": kpi_unit(item.kpi),
            "weight": _r(item.weight),
            "worst": _r(item.worst),
            "best": _r(item.best),
            "better": "higher" if item.best >= item.worst else "lower",
        })  # fmt: skip
    board: dict[str, Any] = {
        "schema": SCHEMA,
        "precision": PRECISION,
        "competition": {
            "id": comp.id,
            "version": comp.version,
            "title": dict(comp.title),
            "content_hash": comp.content_hash,
        },
        "rounds": [
            {
                "index": i,
                "id": r.id,
                "title": dict(r.title),
                "weight": _r(r.weight),
                "played": i in played,
                "live": i == live_round,
            }
            for i, r in enumerate(comp.rounds)
        ],
        "upto_round": upto_round,
        "live_round": live_round,
        "latest_round": latest,
        "columns": columns,
        "tie_breaks": list(comp.tie_breaks),
        "rows": rows,
    }
    board["hash"] = board_hash(board)
    return board


def board_hash(board: Mapping[str, Any]) -> str:
    """The sha256 of a board's canonical JSON without its `hash` field."""
    return sha256_hex({k: v for k, v in board.items() if k != "hash"})


def rank_changes(
    old_board: Mapping[str, Any] | None, new_board: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """What moved between two boards, for the projector's animations: one entry per team whose
    rank or total changed (or that appeared or left), in the new board's order (teams that left
    last, by id): `team_id`, `from`/`to` (rank, None when absent), `up` (places climbed,
    negative when it fell; None when absent from one board), `total_from`/`total_to`."""
    old = {r["team_id"]: r for r in (old_board or {}).get("rows", ())}
    new = {r["team_id"]: r for r in new_board.get("rows", ())}
    order = [r["team_id"] for r in new_board.get("rows", ())]
    order += sorted(t for t in old if t not in new)
    out = []
    for team_id in order:
        a, b = old.get(team_id), new.get(team_id)
        was = a["rank"] if a else None
        now = b["rank"] if b else None
        total_from = a["total"] if a else None
        total_to = b["total"] if b else None
        if was == now and total_from == total_to:
            continue
        out.append({
            "team_id": team_id,
            "from": was,
            "to": now,
            "up": was - now if was is not None and now is not None else None,
            "total_from": total_from,
            "total_to": total_to,
        })  # fmt: skip
    return out


# -- live events -------------------------------------------------------------------------------

#: A customer counts as angry when its anger peaked at least this high (mood scale 0..10).
ANGRY_PEAK = 6.0
#: ... and as turned around when it ended at most this angry;
CALM_FINAL = 3.0
#: ... and as won back when the contact was also resolved with at least this predicted CSAT.
WON_BACK_CSAT = 4.0
#: Risks that make a choice a trap (a compliance, privacy or mis-selling breach).
TRAP_RISKS: frozenset[str] = frozenset({"compliance_breach", "privacy_breach", "mis_selling"})

EVENT_TEXT: dict[str, dict[str, str]] = {
    "angry_sale": {
        "zh-CN": "{team} 把一位愤怒的客户变成了一笔成交",
        "en": "{team} turned an angry customer into a sale",
    },
    "angry_won_back": {
        "zh-CN": "{team} 挽回了一位愤怒的客户（满意度 {csat}）",
        "en": "{team} won back an angry customer (CSAT {csat})",
    },
    "trap_clean": {
        "zh-CN": "{team} 干净利落地避开了合规陷阱：{journey}",
        "en": "{team} handled a compliance trap cleanly: {journey}",
    },
}
#: When a contact qualifies for several events, the first of these is the one shown.
EVENT_KINDS: tuple[str, ...] = tuple(EVENT_TEXT)


def _journeys_of(comp: Competition, round_index: int) -> Mapping[str, Any]:
    scenario = comp.rounds[round_index].scenario
    got = getattr(scenario, "journeys", None)
    return got if isinstance(got, Mapping) else {}


def avoided_traps(record: Mapping[str, Any], journey: Any) -> list[str]:
    """Nodes of the journey's own (not a shared fragment's) where a sibling choice carries a
    trap risk (TRAP_RISKS) and the contact chose one that does not, in decision order."""
    if journey is None:
        return []
    out = []
    for d in record.get("decisions") or ():
        node = journey.nodes.get(d.get("node_id"))
        if node is None or node.fragment is not None:
            continue
        chosen = next((c for c in node.choices if c.id == d.get("choice_id")), None)
        if chosen is None or TRAP_RISKS.intersection(chosen.risk):
            continue
        if any(TRAP_RISKS.intersection(c.risk) for c in node.choices):
            out.append(str(node.id))
    return out


def contact_event(record: Mapping[str, Any], journey: Any) -> str | None:
    """The notable thing a contact did (an EVENT_KINDS key), or None."""
    peak, final = record.get("anger_peak"), record.get("anger_final")
    angry = (
        isinstance(peak, (int, float))
        and peak >= ANGRY_PEAK
        and isinstance(final, (int, float))
        and final <= CALM_FINAL
    )
    csat = record.get("csat_mean")
    if angry and record.get("cross_sell_accepted"):
        return "angry_sale"
    if (
        angry
        and record.get("outcome") in RESOLVING_OUTCOMES
        and isinstance(csat, (int, float))
        and csat >= WON_BACK_CSAT
    ):
        return "angry_won_back"
    if not record.get("risk_points") and avoided_traps(record, journey):
        return "trap_clean"
    return None


def _title(journey: Any, record: Mapping[str, Any], lang: str) -> str:
    title = getattr(journey, "title", None) or record.get("journey_title") or {}
    if isinstance(title, Mapping):
        return str(title.get(lang) or title.get("en") or record.get("journey_id") or "")
    return str(record.get("journey_id") or "")


def events(
    comp: Competition,
    team_rounds: Iterable[TeamRound],
    teams: Mapping[str, str],
    *,
    round_index: int | None = None,
) -> list[dict[str, Any]]:
    """Notable live events of the teams' finished contacts (all rounds, or `round_index`):
    an angry customer (anger peak ≥ ANGRY_PEAK, calmed to ≤ CALM_FINAL) turned into a sale, or
    won back (resolved with CSAT ≥ WON_BACK_CSAT), or a compliance trap handled cleanly
    (`avoided_traps` and no risk point; only a team's first one in a round, by its order of
    customers, so the projector is not flooded). At most one event per contact (EVENT_KINDS
    order). Each event: `id` (stable:
    round, team, customer, kind — the projector shows each id once), `round_index`, `team_id`,
    `k`, `kind`, `at_s` (when the contact ended on its desk's clock), `text` {zh-CN, en} with the
    team name as plain text (the page escapes it). Ordered by round, time, team id, k."""
    out = []
    for tr in team_rounds:
        if round_index is not None and tr.round_index != round_index:
            continue
        if tr.team_id not in teams:
            raise ValueError(f"team {tr.team_id!r} is not one of the teams")
        journeys = _journeys_of(comp, tr.round_index)
        trap_seen = False
        for rec in ordered_records(tr.records):
            journey = journeys.get(str(rec.get("journey_id")))
            kind = contact_event(rec, journey)
            if kind is None or (kind == "trap_clean" and trap_seen):
                continue
            trap_seen = trap_seen or kind == "trap_clean"
            k = customer_k(rec)
            csat = rec.get("csat_mean")
            csat_text = f"{csat:.1f}" if isinstance(csat, (int, float)) else "—"
            text = {
                lang: EVENT_TEXT[kind][lang].format(
                    team=teams[tr.team_id], csat=csat_text, journey=_title(journey, rec, lang)
                )
                for lang in kpi_catalogue.LANGS
            }
            ended = rec.get("ended_at")
            out.append({
                "id": f"r{tr.round_index}:{tr.team_id}:k{k}:{kind}",
                "round_index": tr.round_index,
                "team_id": tr.team_id,
                "k": k,
                "kind": kind,
                "at_s": _r(ended) if isinstance(ended, (int, float)) else None,
                "text": text,
            })  # fmt: skip
    out.sort(key=lambda e: (e["round_index"], e["at_s"] or 0.0, e["team_id"], e["k"] or 0))
    return out


__all__ = [
    "ANGRY_PEAK",
    "CALM_FINAL",
    "EVENT_KINDS",
    "EVENT_TEXT",
    "PRECISION",
    "SCHEMA",
    "TRAP_RISKS",
    "WON_BACK_CSAT",
    "avoided_traps",
    "board_hash",
    "compute_board",
    "contact_event",
    "events",
    "format_figure",
    "kpi_label",
    "kpi_unit",
    "played_rounds",
    "rank_changes",
]
