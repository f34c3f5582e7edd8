"""The round debrief: the teams' decisions on the same customer side by side, the decisions that
moved the scorecard, and each team's rubric against the class.

Why only a simulator can give this: every team meets the same customers of the round's team
form (customer k has the same journey, persona and random numbers in every team), so two
teams' contacts with customer k differ only by what the teams chose. The debrief puts those
choices next to each other, node by node, and says where the paths parted.

`debrief(comp, round_index, team_rounds, teams)` returns one plain, canonical-JSON dict (floats
rounded to `board.PRECISION` decimals, a `hash` of the rest) that the debrief page, the HTML
export and the CSV read (`sandbox.league.debrief_html`):

- `customers`: each team customer k that at least two teams finished, with every such team's
  path (`steps`: node id, choice id, the choice's text from the round's journey definition) and
  what the path did (outcome, predicted CSAT, churn risk, risk points, cross-sell, the contact's
  scorecard score `scoring.contact_score`); `divergence` is the first step where the teams'
  (node, choice) are not all the same (None when every path is the same);
- `top_decisions`: the three decisions that moved the scorecard most (a matched comparison on
  the same customers, see `top_decisions`);
- `radar`: per team the mean of each rubric dimension in the round, and the class median of
  the team means;
- `teams`: per team the round's figures, points and score (`scoring`).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from typing import Any

from journeys.vocabulary import RUBRIC
from sandbox.exam.canonical import sha256_hex
from sandbox.kpi_catalogue import LANGS
from sandbox.league.board import PRECISION, kpi_label, kpi_unit
from sandbox.league.model import Competition
from sandbox.league.scoring import (
    TeamRound,
    contact_score,
    customer_k,
    ordered_records,
    round_score,
    team_figures,
)

SCHEMA = "shapan.league-debrief/1"
#: How many decisions `top_decisions` names.
TOP_DECISIONS = 3


def _r(value: Any) -> float | None:
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if value != value:
        return None
    return round(float(value), PRECISION) + 0.0


def _text(value: Any, fallback: str) -> dict[str, str]:
    """{zh-CN, en} of a journey Text or a record's text dict (each falling back to the other
    language, then to `fallback`)."""
    out = {}
    for lang in LANGS:
        got = ""
        if isinstance(value, Mapping):
            for key in (lang, *LANGS):
                try:
                    got = str(value[key] or "")
                except KeyError:
                    got = ""
                if got:
                    break
        out[lang] = got or fallback
    return out


def _journeys(comp: Competition, round_index: int) -> Mapping[str, Any]:
    got = getattr(comp.rounds[round_index].scenario, "journeys", None)
    return got if isinstance(got, Mapping) else {}


def choice_label(journey: Any, node_id: str, choice_id: str, decision: Mapping[str, Any]) -> dict:
    """The choice's text {zh-CN, en} from the journey definition (else what the record says)."""
    node = journey.nodes.get(node_id) if journey is not None else None
    if node is not None:
        for c in node.choices:
            if c.id == choice_id:
                return _text(c.text, choice_id)
    return _text(decision.get("text"), choice_id)


def node_prompt(journey: Any, node_id: str) -> dict[str, str] | None:
    """What the customer says at a node (its first customer line), or None."""
    node = journey.nodes.get(node_id) if journey is not None else None
    if node is None:
        return None
    for line in node.say:
        if line.speaker == "customer":
            return _text(line.text, "")
    return None


def _steps(rec: Mapping[str, Any], journey: Any) -> list[dict[str, Any]]:
    out = []
    for d in rec.get("decisions") or ():
        node_id, choice_id = str(d.get("node_id")), str(d.get("choice_id"))
        out.append({
            "node_id": node_id,
            "choice_id": choice_id,
            "label": choice_label(journey, node_id, choice_id, d),
            "risks": sorted(str(r) for r in d.get("risks") or ()),
        })  # fmt: skip
    return out


def _divergence(paths: list[list[tuple[str, str]]]) -> int | None:
    """The first step index where the paths' (node, choice) are not all equal (a path that has
    ended counts as different), or None when all paths are the same."""
    longest = max((len(p) for p in paths), default=0)
    for i in range(longest):
        if len({p[i] if i < len(p) else None for p in paths}) > 1:
            return i
    return None


def _risks(rec: Mapping[str, Any]) -> dict[str, int]:
    out = {}
    for key, value in rec.items():
        if key.startswith("risk_") and key != "risk_points" and isinstance(value, int) and value:
            out[key[5:]] = int(value)
    return dict(sorted(out.items()))


def _path(
    comp: Competition, team_id: str, name: str, rec: Mapping[str, Any], journey: Any
) -> dict[str, Any]:
    return {
        "team_id": team_id,
        "name": name,
        "member": rec.get("member"),
        "contact_id": str(rec.get("contact_id")),
        "steps": _steps(rec, journey),
        "outcome": rec.get("outcome"),
        "csat_mean": _r(rec.get("csat_mean")),
        "churn": _r(rec.get("churn")),
        "anger_peak": _r(rec.get("anger_peak")),
        "handle_s": _r(rec.get("handle_s")),
        "risk_points": int(rec.get("risk_points") or 0),
        "risks": _risks(rec),
        "cross_sell": {
            "offered": bool(rec.get("cross_sell_offered")),
            "offer": rec.get("cross_sell_offer"),
            "accepted": bool(rec.get("cross_sell_accepted")),
        },
        "rubric_score": _r(rec.get("rubric_score")),
        "score": _r(contact_score(comp, rec)),
    }


def top_decisions(
    comp: Competition,
    contacts: Iterable[tuple[str, Mapping[str, Any]]],
    journeys: Mapping[str, Any],
    n: int = TOP_DECISIONS,
) -> list[dict[str, Any]]:
    """The `n` decisions (node + choice) that moved the scorecard most across the class.

    Estimator — a matched comparison on the same customers: every contact gets its scorecard
    score (`scoring.contact_score`); a contact counts with the first choice it took at a node.
    For a choice c at a node (journey id, node id), each customer k at whom some team took c
    and some team took another choice there is a stratum with
    diff_k = mean score of k's contacts that took c − mean score of k's contacts that took
    another choice, and weight w_k = n_c,k · n_other,k / (n_c,k + n_other,k) (the effective
    size of a two-group difference: one odd contact against many counts little).
    effect = Σ w_k · diff_k / Σ w_k; impact = |effect| × Σ w_k. Comparing on the same customer
    takes the customer's own difficulty out (every team met the same customer k); what the
    teams chose after the node stays in (the effect is of the path that began there). Each
    node is named once, by its choice of largest impact (the best or the worst choice there,
    whichever moved more); nodes are ranked by that impact, ties by journey, node and choice
    id. `contacts` are (team id, record) pairs; records without a customer k are left out.
    """
    # (journey, node) -> customer k -> choice -> [(score, team id)]
    at: dict[tuple[str, str], dict[int, dict[str, list[tuple[float, str]]]]] = {}
    decision_of: dict[tuple[str, str, str], Mapping[str, Any]] = {}
    for team_id, rec in contacts:
        score, k = contact_score(comp, rec), customer_k(rec)
        if score is None or k is None:
            continue
        jid = str(rec.get("journey_id"))
        seen: set[str] = set()
        for d in rec.get("decisions") or ():
            node_id, choice_id = str(d.get("node_id")), str(d.get("choice_id"))
            if node_id in seen:
                continue
            seen.add(node_id)
            slot = at.setdefault((jid, node_id), {}).setdefault(k, {})
            slot.setdefault(choice_id, []).append((score, team_id))
            decision_of.setdefault((jid, node_id, choice_id), d)

    def label(jid: str, node_id: str, choice_id: str) -> dict[str, str]:
        return choice_label(
            journeys.get(jid), node_id, choice_id, decision_of[(jid, node_id, choice_id)]
        )

    ranked = []
    for (jid, node_id), by_k in sorted(at.items()):
        choices = sorted({c for per_k in by_k.values() for c in per_k})
        best: tuple[float, str, dict[str, Any]] | None = None
        for choice_id in choices:
            w_sum = diff_sum = 0.0
            n_with = n_other = 0
            with_sum = other_sum = 0.0
            teams: set[str] = set()
            for per_k in by_k.values():
                mine = [s for s, _ in per_k.get(choice_id, ())]
                other = [s for c, v in per_k.items() if c != choice_id for s, _ in v]
                if not mine or not other:
                    continue
                w = len(mine) * len(other) / (len(mine) + len(other))
                diff_sum += w * (sum(mine) / len(mine) - sum(other) / len(other))
                w_sum += w
                n_with += len(mine)
                n_other += len(other)
                with_sum += sum(mine)
                other_sum += sum(other)
                teams.update(t for _, t in per_k[choice_id])
            if not w_sum:
                continue
            effect = diff_sum / w_sum
            impact = round(abs(effect) * w_sum, PRECISION)
            if best is not None and impact <= best[0]:
                continue
            journey = journeys.get(jid)
            others: dict[str, int] = {}
            for per_k in by_k.values():
                if choice_id in per_k:
                    for c, v in per_k.items():
                        if c != choice_id:
                            others[c] = others.get(c, 0) + len(v)
            entry = {
                "journey_id": jid,
                "journey_title": _text(getattr(journey, "title", None), jid),
                "node_id": node_id,
                "prompt": node_prompt(journey, node_id),
                "choice_id": choice_id,
                "label": label(jid, node_id, choice_id),
                "customers": sum(
                    1 for per_k in by_k.values() if choice_id in per_k and len(per_k) > 1
                ),
                "n_with": n_with,
                "n_other": n_other,
                "mean_with": _r(with_sum / n_with),
                "mean_other": _r(other_sum / n_other),
                "effect": _r(effect),
                "weight": _r(w_sum),
                "impact": _r(impact),
                "teams": sorted(teams),
                "others": [
                    {"choice_id": c, "label": label(jid, node_id, c), "n": others[c]}
                    for c in sorted(others)
                ],
            }
            best = (impact, choice_id, entry)
        if best is not None:
            ranked.append(best)
    ranked.sort(key=lambda b: (-b[0], b[2]["journey_id"], b[2]["node_id"], b[1]))
    return [entry for _, _, entry in ranked[:n]]


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def debrief(
    comp: Competition,
    round_index: int,
    team_rounds: Iterable[TeamRound],
    teams: Mapping[str, str],
) -> dict[str, Any]:
    """The debrief of round `round_index` (module docstring); `team_rounds` of other rounds are
    ignored, a team id not in `teams` is a ValueError."""
    if not 0 <= round_index < len(comp.rounds):
        raise ValueError(f"round index {round_index} is not a round of {comp.id}")
    rnd = comp.rounds[round_index]
    journeys = _journeys(comp, round_index)
    mine: dict[str, TeamRound] = {}
    for tr in team_rounds:
        if tr.team_id not in teams:
            raise ValueError(f"team {tr.team_id!r} is not one of the teams")
        if tr.round_index != round_index:
            continue
        if tr.team_id in mine:
            raise ValueError(f"two TeamRounds for team {tr.team_id!r} in round {round_index}")
        mine[tr.team_id] = tr
    team_ids = sorted(mine)

    by_k: dict[int, dict[str, Mapping[str, Any]]] = {}
    contacts: list[tuple[str, Mapping[str, Any]]] = []
    for team_id in team_ids:
        for rec in ordered_records(mine[team_id].records):
            if rec.get("abandoned"):
                continue
            contacts.append((team_id, rec))
            k = customer_k(rec)
            if k is not None:
                by_k.setdefault(k, {}).setdefault(team_id, rec)

    customers = []
    for k in sorted(by_k):
        met = by_k[k]
        if len(met) < 2:
            continue
        first = met[min(met)]
        jid = str(first.get("journey_id"))
        journey = journeys.get(jid)
        paths = [_path(comp, t, str(teams[t]), met[t], journey) for t in sorted(met)]
        keys = [[(s["node_id"], s["choice_id"]) for s in p["steps"]] for p in paths]
        step = _divergence(keys)
        divergence = None
        if step is not None:
            node_id = next((p[step][0] for p in keys if step < len(p)), None)
            choices: dict[str, list[str]] = {}
            for p, team_path in zip(keys, paths, strict=True):
                choice = p[step][1] if step < len(p) else None
                choices.setdefault(str(choice), []).append(team_path["team_id"])
            divergence = {
                "step": step,
                "node_id": node_id,
                "prompt": node_prompt(journey, node_id) if node_id else None,
                "groups": len(choices),
            }
        customers.append({
            "k": k,
            "journey_id": jid,
            "journey_title": _text(
                getattr(journey, "title", None) or first.get("journey_title"), jid
            ),
            "persona": first.get("persona_card") or None,
            "teams_met": len(paths),
            "paths": paths,
            "divergence": divergence,
        })  # fmt: skip

    figures = {t: team_figures(mine[t]) for t in team_ids}
    team_rows = []
    for t in team_ids:
        total, points = round_score(comp, figures[t])
        team_rows.append({
            "team_id": t,
            "name": str(teams[t]),
            "score": _r(total),
            "figures": {k: _r(v) for k, v in figures[t].items()},
            "points": {k: _r(v) for k, v in points.items()},
        })  # fmt: skip

    dims = list(RUBRIC)
    radar_teams = [
        {"team_id": t, "name": str(teams[t]),
         "values": {d: _r(figures[t][f"rubric.{d}"]) for d in dims}}
        for t in team_ids
    ]  # fmt: skip
    median = {
        d: _r(_median([v for v in (figures[t][f"rubric.{d}"] for t in team_ids) if v is not None]))
        for d in dims
    }

    out: dict[str, Any] = {
        "schema": SCHEMA,
        "precision": PRECISION,
        "competition": {
            "id": comp.id,
            "title": dict(comp.title),
            "content_hash": comp.content_hash,
        },
        "round": {"index": round_index, "id": rnd.id, "title": dict(rnd.title)},
        "columns": [
            {
                "kpi": item.kpi,
                "label": {lang: kpi_label(item.kpi, lang) for lang in LANGS},
                "unit": kpi_unit(item.kpi),
                "weight": _r(item.weight),
            }
            for item in comp.scorecard
        ],
        "teams": team_rows,
        "customers": customers,
        "top_decisions": top_decisions(comp, contacts, journeys),
        "radar": {
            "dims": dims,
            "labels": {d: dict(RUBRIC[d]) for d in dims},
            "median": median,
            "teams": radar_teams,
        },
    }
    out["hash"] = sha256_hex({k: v for k, v in out.items() if k != "hash"})
    return out


__all__ = ["SCHEMA", "TOP_DECISIONS", "choice_label", "debrief", "node_prompt", "top_decisions"]
