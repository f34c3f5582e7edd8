"""Offline play of one contact: no queue, no SimPy — the engine's contact rules all the same.

Why here and shared: `shapan journey bots` balances journeys with bot players; its numbers are
only worth having if a bot plays a journey offline exactly as it would in the engine. So this
calls the very `ContactPlay` the contact centre uses (reaction model, patience, hang-ups,
triggers, scoring) and the same batched predictions.
"""

from __future__ import annotations

from typing import Any

from journeys.policies import POLICIES, choose
from journeys.runtime import MAX_DECISIONS
from sandbox.columns import records_from_columns
from sandbox.engine.contact import ContactPlay
from sandbox.engine.pace import journey_pace
from sandbox.engine.recorder import PREDICTED, predicted_columns
from sandbox.engine.streams import Streams, policy_rng


def offline_persona(journey: Any, seed: int) -> Any:
    """A persona this journey accepts, drawn from the seed's persona stream."""
    from customer_models.personas import sample_personas

    rng = Streams(seed).generator("offline:personas")
    for _ in range(16):
        batch = sample_personas(rng, 16)
        for i in range(len(batch)):
            p = batch.persona(i)
            if not journey.persona or journey.accepts_persona(p.journey_fields()):
                return p
    raise ValueError(f"journey {journey.id!r}: no persona in 256 draws passes its persona filter")


def play_journey(
    journey: Any,
    policy: str,
    seed: int,
    persona: Any = None,
    *,
    channel: str | None = None,
    transcript: bool = False,
    trace: bool = False,
) -> dict[str, Any]:
    """Play one contact of `journey` with a bot `policy`; the record without predictions.

    `trace=True` adds `rec["trace"]` (what the designer's bots report on; no outcome changes):
    `path` the choices taken (node-qualified ids), `visited` the nodes entered, `lost` for each
    choice the score the best available choice would have added over it, `risks` [choice, risk]
    for each risk a choice took, `missed` [trigger, choice or "" at the end, missing behaviours]
    and `hangup` the choice after which the customer hung up (or None)."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; use one of {', '.join(POLICIES)}")
    persona = persona if persona is not None else offline_persona(journey, seed)
    contact_seed = int(
        Streams(seed).sequence("offline:contact").generate_state(1, "uint64")[0] >> 1
    )
    channel = channel or journey.channels[0]
    from sandbox.scenario import DEFAULT_LINE_S

    play = ContactPlay(
        journey,
        persona,
        contact_id=f"offline-{seed}",
        seed=contact_seed,
        channel=channel,
        wait_s=0.0,
        line_s=DEFAULT_LINE_S.get(channel, 6.0),
        transcript=transcript,
        pace_s=journey_pace(journey, DEFAULT_LINE_S.get(channel, 6.0)),
    )
    rng = policy_rng(contact_seed)
    lost: list[float] = []
    risks: list[list[str]] = []
    missed: list[list[Any]] = []
    t = play.begin(0.0)
    steps = 0
    while not play.finished:
        steps += 1
        if steps > MAX_DECISIONS or not play.choices():
            play.end("unresolved")
            break
        if trace:
            views = play.choices()
            cid = choose(policy, play.run, rng)
            best = max((v.score for v in views if v.available), default=0.0)
            chosen = next(v for v in views if v.id == cid)
            lost.append(float(best - chosen.score))
            seconds, result = play.act(cid, t)
            qid = chosen.qid
            risks.extend([qid, r] for r in chosen.risk)
            for ev in result.triggers:
                if ev.status == "missed":
                    missed.append([ev.trigger_id, qid, list(ev.required)])
        else:
            seconds, _ = play.act(choose(policy, play.run, rng), t)
        t += seconds
    rec = play.record()
    if trace:
        run = play.run
        path = run.path
        for risk in run.risks[len(risks) + len(missed) :]:  # missed as the contact was ended
            missed.append([_trigger_of(journey, risk), "", []])
        rec["trace"] = {
            "path": path,
            "visited": list(run.visited),
            "lost": lost,
            "risks": risks,
            "missed": missed,
            "hangup": path[-1] if play.hung_up and path else None,
        }
    rec.update(agent_id=None, seat=None, human=False, policy=policy, seed=seed, arrived_at=0.0,
               answered_at=0.0, ended_at=play.handle_s)  # fmt: skip
    if transcript:
        rec["transcript"] = list(play.transcript)
    return rec


def _trigger_of(journey: Any, risk: str) -> str:
    """The trigger whose miss costs `risk` (the first such), for a miss at the very end."""
    for trig in journey.triggers:
        if trig.risk_if_missed == risk:
            return str(trig.id)
    return "?"


def predict_records(records: list[dict[str, Any]], seed: int = 0) -> list[dict[str, Any]]:
    """Add csat/churn/cross-sell predictions to records in one batch (in place; returned):
    the records' column batch is predicted, and the records take its predicted fields."""
    if not records:
        return records
    predicted = records_from_columns(predicted_columns(records, seed))
    for rec, new in zip(records, predicted, strict=True):
        for key in PREDICTED:
            rec[key] = new[key]
    return records
