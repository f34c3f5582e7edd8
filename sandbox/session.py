"""`Session`: the one API through which a screen, a test or the CLI plays a scenario.

Why one façade: the UI must hold no game rules and everything it can do a headless test can do
too. A session owns the SimPy environment, the contact centre, the recorder and the exports;
it advances sim time (never real time), lists and takes human decisions, and hands out plain,
JSON-serialisable snapshots and results. See docs/session-api.md.

Replay: seed + scenario (+ overrides) + journey hashes + model version + the decision log
reproduce a session bit for bit. A decision at sim time t is taken after every event at times
<= t has run; `advance*` always stops on such a boundary, and resuming replays each decision
at exactly its logged time.
"""

from __future__ import annotations

import gc
import json
import math
import sys
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sandbox import __version__
from sandbox.engine.center import Agent, Contact, ContactCenter, Hooks
from sandbox.engine.contact import ContactPlay, text_of
from sandbox.engine.customers import FormClaims
from sandbox.engine.recorder import Recorder, load_models
from sandbox.fileio import InputFileError, atomic_write_text, read_input
from sandbox.limits import MAX_SAVE_BYTES, MAX_SEED
from sandbox.scenario import Scenario, ScenarioError, load_scenario
from sandbox.session_types import (
    ChoiceOption,
    ContactView,
    DecisionOutcome,
    KnowledgeLink,
    LearningPush,
    PendingDecision,
    SeatView,
    Snapshot,
    TranscriptLine,
    decision_outcome,
)

SAVE_SCHEMA = "shapan.session/1"
MAX_QUEUE_SHOWN = 40
MAX_EVENTS_SHOWN = 30
MAX_ALERTS = 20


_KB: tuple[dict[str, Any], str | None] | None = None


class SessionError(Exception):
    """A call the session cannot honour (not pending, unknown choice, changed files...)."""


_GC_TUNED = False


def _tune_gc() -> None:
    """Once per process: freeze what is loaded so far (libraries, journeys, the outcome
    models) out of the cyclic collector and make young collections rarer.

    Why: a simulated day allocates millions of short-lived containers, almost all freed by
    reference counting; with the default thresholds the collector ran every 700 allocations
    (~20% of engine time) and its full passes over the long-lived setup objects made live
    snapshots stall for 40 ms. Each young collection walks the contacts still queued, in
    service or waiting for their batch, so it runs every 100,000 allocations (at 20,000 it
    still cost 2.5% of the `erlang` engine's time); a simulated day frees no cycles."""
    global _GC_TUNED
    if _GC_TUNED:
        return
    _GC_TUNED = True
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, 100_000), middle, old)
    _tune_malloc()


#: glibc's `mallopt` parameters (malloc.h) and the values `_tune_malloc` sets.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_KEEP_BLOCKS_BYTES = 16 << 20


def _tune_malloc() -> None:
    """Once per process, on Linux: freed blocks up to 16 MB stay in the heap for reuse.

    Why: batch play, the outcome models and the KPIs work on numpy arrays of up to ~6 MB per
    batch (the features of `BATCH_PLAY_SIZE` contacts); glibc serves blocks above 128 KB with
    mmap and gives them back when freed (or trims the heap), so every batch page-faulted
    freshly zeroed memory again (`erlang`, 200 h, batches of 2,048: 18,700 minor faults and
    0.05 s of system time; 3,100 and 0.006 s with this). The heap
    keeps at most 32 MB unused at its top. Only speed and resident memory change, never an
    outcome; elsewhere nothing is done."""
    if sys.platform != "linux":
        return
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError):  # pragma: no cover - a libc without mallopt
        return
    mallopt(_M_TRIM_THRESHOLD, 2 * _KEEP_BLOCKS_BYTES)
    mallopt(_M_MMAP_THRESHOLD, _KEEP_BLOCKS_BYTES)


def _clock(seconds: float) -> str:
    s = int(seconds) % 86400
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


#: Records per batch when bot contacts are batch-played (sandbox/engine/batch_play.py).
BATCH_PLAY_SIZE = 8192


class Session:
    """A running scenario. See the module docstring and docs/session-api.md."""

    def __init__(
        self,
        scenario: str | Path | Scenario,
        seed: int | None = None,
        *,
        human_policy: str | None = None,
        out_dir: Path | str | None = None,
        lang: str = "zh-CN",
        batch: int = 256,
        batch_play: bool = True,
        name_run: bool = False,
        trainee: str | None = None,
        mode: str | None = None,
        form_claims: Mapping[str, FormClaims] | None = None,
        repeat_rule: Any = None,
    ):
        from sandbox.kpis import KpiAccumulator

        self.scenario = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        sc = self.scenario
        seed = sc.seed if seed is None else seed
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
            raise SessionError(f"seed must be a whole number from 0 to 2^63-1, got {seed!r}")
        self.seed = seed
        if human_policy is not None and human_policy not in (
            "random",
            "novice",
            "competent",
            "expert",
        ):
            raise SessionError(
                f"unknown policy {human_policy!r}; use random, novice, competent or expert"
            )
        self.human_policy = human_policy
        if mode is not None and mode not in ("practice", "timed"):
            raise SessionError(f"unknown mode {mode!r}; use practice or timed")
        #: a desk session's identity: sealed into the save, named in the results
        self.trainee, self.mode = (trainee or "") if mode is not None else None, mode
        self.lang = lang
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.scenario_name = sc.name
        self.end = sc.duration_s
        self.decision_log: list[list[Any]] = []
        self.kpi = KpiAccumulator(sc.threshold_s, seed=self.seed)
        self._events: deque[dict[str, Any]] = deque(maxlen=MAX_EVENTS_SHOWN)
        self._alerts: deque[dict[str, Any]] = deque(maxlen=MAX_ALERTS)
        self._abandoned: deque[dict[str, Any]] = deque(maxlen=MAX_ALERTS)
        self._writers: list[Any] = []
        writers = []
        self._event_log = None
        self.models = load_models()
        #: with `name_run`, every exported file names the run (`sandbox.export.run_id`)
        self.run_id: str | None = None
        if name_run:
            from sandbox.export import run_id

            self.run_id = run_id({**self.provenance(), "human_policy": human_policy, "lang": lang})
        if self.out_dir is not None:
            from sandbox.results import ContactsCsvWriter, EventLog

            self.out_dir.mkdir(parents=True, exist_ok=True)
            csv = ContactsCsvWriter(self.out_dir / "contacts.csv", run_id=self.run_id)
            self._event_log = EventLog(self.out_dir / "events.jsonl", run_id=self.run_id)
            self._writers = [csv, self._event_log]
            writers.append(csv)
        self.recorder = Recorder(self.kpi, self.seed, batch=batch, writers=writers)
        _tune_gc()
        self.warnings: list[str] = []
        self._kb = self._load_kb()
        #: a desk session's mistakes (sandbox.weak_spots): pushes in practice mode, the
        #: debrief's weak spots in practice and timed mode; none in exams or headless runs
        self._mistakes: Any = None
        self._learning_pack: LearningPush | None = None
        if mode is not None:
            from sandbox.weak_spots import DEFAULT_RULE, MistakeTracker, kb_entries

            self._mistakes = MistakeTracker(kb_entries(self._kb), repeat_rule or DEFAULT_RULE)
        hooks = Hooks(
            record=lambda rec, c: self.recorder.record(rec, c is not None),
            event=self._on_event,
            alert=self._on_alert,
            kpi=self.kpi,
            predict_now=self.recorder.predict_now,
            knowledge=self._knowledge,
            flush=self.recorder.flush,
            deferred=self.recorder.defer,
            played=self.recorder.record_played,
        )
        # Live outcome KPIs: with human seats, predictions are cut every 30 s of sim time (the
        # trainee watches their CSAT move); without, every `batch` contacts (~3 sim-minutes of
        # full-day). Both points are fixed in sim time, so replays batch identically.
        flush_every = 30.0 if sc.seats else 0.0
        self.center = ContactCenter(
            sc,
            self.seed,
            hooks,
            human_policy=human_policy,
            flush_every=flush_every,
            batch_play=batch_play,
            form_claims=form_claims,
        )
        self.env = self.center.env
        self.recorder.player = self.center.batch_play
        if sc.service.model != "journey":  # batch play or not: the same flush points
            # batch play costs per distinct journey state, not per contact: bigger batches
            # share more (still a fixed count, so replays cut the same batches)
            self.recorder.batch = max(batch, BATCH_PLAY_SIZE)
        self.finished = False
        self._closed = False
        self._kpi_cache: tuple[Any, dict[str, Any]] | None = None
        self._agent_rows: dict[str, dict[str, Any]] | None = None

    def _load_kb(self) -> dict[str, Any]:
        """The knowledge base for debrief links (loaded once per process); a broken KB file
        costs the links, not the run."""
        global _KB
        if _KB is None:
            from journeys import JourneyError
            from journeys.knowledge import load_knowledge_base

            try:
                _KB = (dict(load_knowledge_base()), None)
            except JourneyError as err:
                _KB = ({}, f"knowledge base not loaded: {err.diagnostics[0].render()}")
        if _KB[1]:
            self.warnings.append(_KB[1])
        return _KB[0]

    # ------------------------------------------------------------------ time
    @property
    def now(self) -> float:
        return float(self.env.now)

    def advance(self, sim_seconds: float) -> float:
        """Run `sim_seconds` (>= 0) of simulated time (or until the session finishes)."""
        step = float(sim_seconds)
        if not step >= 0:  # NaN too
            raise SessionError(f"cannot advance by {sim_seconds!r} s: time only moves forward")
        return self.run_until(self.env.now + step)

    def run_until(self, t: float) -> float:
        """Run every event at times <= t; the clock then reads t (unless finished earlier).

        A target before now raises `SessionError`: time only moves forward (a decision logged
        at a time the clock had passed could not be replayed)."""
        target = float(t)
        if not target >= self.env.now:  # NaN too
            raise SessionError(
                f"cannot run until t={t!r} s: the clock already reads {self.now:g} s "
                "(time only moves forward)"
            )
        return self._run(target, None)

    def advance_frame(self, sim_seconds: float, wall_budget_s: float = 0.004) -> float:
        """For the game loop: advance toward now + sim_seconds but stop when `wall_budget_s`
        of real time is spent (on a sim-time boundary); never overshoots. Returns sim time."""
        return self._run(self.env.now + max(0.0, float(sim_seconds)), wall_budget_s)

    def run_to_end(self, progress: Callable[[float], object] | None = None) -> float:
        """Run until the session finishes (headless runs); `progress(now)` is called now and then."""
        step = 900.0
        while not self.finished:
            self._run(self.env.now + step, None)
            if progress is not None:
                progress(self.env.now)
            if self.env.peek() == float("inf") and not self.finished:
                self._mark_finished()
        return self.now

    def _run(self, target: float, budget: float | None) -> float:
        if self.finished:
            return self.now
        env = self.env
        if target <= env.now:  # advance_frame(0) and the like: nothing to run
            target = env.now
        if budget is None and env.now < min(target, self.end) and target < math.inf:
            # Before the horizon the session cannot finish, so SimPy's own loop runs the
            # events up to `target` (or up to the horizon) without a check after each step.
            # `env.run(until=t)` stops before any event at t: the loop below runs those.
            env.run(until=min(target, self.end))
        peek, step = env.peek, env.step
        center = self.center
        horizon = self.end
        deadline = time.perf_counter() + budget if budget is not None else None
        n = 0
        while peek() <= target:
            step()
            n += 1
            if env.now >= horizon and not center.queued and not center.active:
                self._mark_finished()
                return self.now
            if deadline is not None and (n & 7) == 0 and time.perf_counter() > deadline:
                while peek() <= env.now:
                    step()
                return self.now
        if target > env.now:
            env.run(until=target)  # no event is due before `target`: only the clock moves
        if env.now >= horizon and not center.queued and not center.active:
            self._mark_finished()
        return self.now

    def _mark_finished(self) -> None:
        if not self.finished:
            self.finished = True
            self.recorder.flush()
            self.center.settle_staffed(self.kpi)
            self._on_event({"t": self.now, "type": "finished"})

    # ------------------------------------------------------------------ decisions
    def pending_decisions(self) -> list[PendingDecision]:
        return [self._pending_view(c) for c in self.center.pending()]

    def _pending_view(self, c: Contact) -> PendingDecision:
        play = c.play
        assert play is not None and c.agent is not None  # pending: a seat is playing it
        return {
            "contact_id": c.id,
            "seat_id": c.agent.seat_id,
            "journey_id": c.journey.id,
            "node_id": play.run.node_id,
            "stage": play.run.node.stage,
            "lines": self._lines(play),
            "choices": self._choices(play),
        }

    def decide(self, contact_id: str, choice_id: str) -> DecisionOutcome:
        """Take a pending decision; raises SessionError with a clear message otherwise.

        Returns what the trainee may be shown at once: `{contact_id, choice_id, text{},
        feedback{}|None, knowledge: [{id, kind, title{}, body{}}], behaviours}`."""
        c = self.center.active.get(contact_id)
        play = c.play if c is not None else None
        if c is None or play is None or not c.pending or c.decision is None or c.decision.triggered:
            waiting = [p.id for p in self.center.pending()]
            raise SessionError(
                f"contact {contact_id!r} is not waiting for a decision"
                + (f"; pending: {', '.join(waiting)}" if waiting else "; nothing is pending")
            )
        views = play.choices()
        available = [v.id for v in views]
        if choice_id not in available:
            raise SessionError(
                f"choice {choice_id!r} is not available for {contact_id} at node "
                f"{play.run.node_id!r}; available: {', '.join(available)}"
            )
        self.decision_log.append([self.now, contact_id, choice_id])
        taken = len(c.decided_log)
        self.center.decide(contact_id, choice_id)
        self._on_event(
            {"t": self.now, "type": "decision", "contact_id": contact_id, "choice_id": choice_id}
        )
        # The seat's process takes the choice at this same instant: run what the decision
        # scheduled now (replays do the same, so the order of events is unchanged).
        env = self.env
        while env.peek() <= env.now:
            env.step()
        detail = c.decided_log[taken] if len(c.decided_log) > taken else None
        outcome = decision_outcome(contact_id, choice_id, detail, self._knowledge)
        if self._mistakes is not None and detail is not None:
            push = self._mistakes.observe(contact_id, detail, c.journey.id)
            if push is not None and self.mode == "practice":  # never timed, never an exam
                outcome["learning_pack"] = self._learning_pack = push
        return outcome

    # ------------------------------------------------------------------ display
    def _lines(self, play: ContactPlay) -> list[TranscriptLine]:
        now = self.now
        return [
            TranscriptLine(t=line["t"], speaker=line["speaker"], text=line["text"],
                           tags=line["tags"])
            for line in play.transcript
            if line["t"] <= now + 1e-9
        ]  # fmt: skip

    def _choices(self, play: ContactPlay) -> list[ChoiceOption]:
        out: list[ChoiceOption] = []
        for i, v in enumerate(play.choices(include_unavailable=True), start=1):
            out.append({
                "number": i, "id": v.id, "text": text_of(v.text), "available": bool(v.available),
                "reason": text_of(v.reason) if v.reason else None, "behaviours": list(v.behaviours),
                "knowledge": list(v.knowledge),
            })  # fmt: skip
        return out

    def _knowledge(self, kid: str) -> KnowledgeLink | None:
        entry = self._kb.get(kid)
        if entry is None:
            return None
        return {
            "id": kid,
            "kind": entry.kind,
            "title": text_of(entry.title),
            "body": text_of(entry.body),
        }

    def _contact_view(self, c: Contact) -> ContactView:
        play = c.play
        assert play is not None  # a seat's contact is being played
        run = play.run
        pending = bool(c.pending and c.decision is not None and not c.decision.triggered)
        choices = self._choices(play) if pending else []
        kids = dict.fromkeys(k for ch in choices for k in ch["knowledge"])
        if c.decided_log:
            kids.update(dict.fromkeys(k["id"] for k in c.decided_log[-1]["knowledge"]))
        trig = run.active_trigger
        return {
            "contact_id": c.id,
            "journey_id": c.journey.id,
            "title": text_of(c.journey.title),
            "kind": c.journey.kind,
            "channel": c.channel,
            "stage": run.node.stage if not run.finished else None,
            "node_id": run.node_id,
            "transcript": self._lines(play),
            "persona": {lang: c.persona.card(lang) for lang in ("zh-CN", "en")},
            "mood": {
                "anger": round(play.mood.anger, 2),
                "trust": round(play.mood.trust, 2),
                "patience": round(play.mood.patience, 2),
            },
            "waited_s": round((c.answered or self.now) - c.arrived, 3),
            "handle_s": round(self.now - (c.answered or self.now), 3),
            "awaiting_decision": pending,
            "choices": choices,
            "required_behaviours": list(run.required_behaviours),
            "trigger_alert": _trigger_alert(trig, run, play, choices, self.now),
            "risks": [
                {"type": r, "label": _risk_label(r), "t": d["t"]}
                for d in c.decided_log
                for r in d["risks"]
            ],
            "knowledge": [k for k in (self._knowledge(kid) for kid in kids) if k is not None],
            "last_decision": dict(c.decided_log[-1]) if c.decided_log else None,
        }

    def _agents_view(self) -> list[dict[str, Any]]:
        """One row per agent; only rows of agents that changed since the last call are rebuilt
        (the centre marks them), so a snapshot stays cheap with hundreds of agents."""
        rows = self._agent_rows
        center = self.center
        if rows is None:
            rows = self._agent_rows = {a.id: self._agent_row(a) for a in center.agents}
            center.dirty.clear()
        elif center.dirty:
            by_id = center.agent_by_id
            for agent_id in center.dirty:
                rows[agent_id] = self._agent_row(by_id[agent_id])
            center.dirty.clear()
        return [dict(row) for row in rows.values()]

    @staticmethod
    def _agent_row(a: Agent) -> dict[str, Any]:
        return {
            "agent_id": a.id, "name": dict(a.name), "kind": "human" if a.seat_id else "bot",
            "policy": a.policy, "status": a.status, "contacts": [c.id for c in a.active],
            "channels": list(a.channels),
        }  # fmt: skip

    def live_kpis(self) -> dict[str, Any]:
        """The 15 KPIs now (cached until something changes). Read-only: watching a session
        never changes it. Finished contacts reach the outcome KPIs at the next periodic
        flush (every 30 s of sim time)."""
        center = self.center
        key = (self.recorder.finished, center.counts["answered"], center.counts["abandoned"],
               center.counts["arrived"], int(self.now))  # fmt: skip
        if self._kpi_cache is None or self._kpi_cache[0] != key:
            kpis = self.kpi.kpis()
            kpis["occupancy"] = center.occupancy()
            self._kpi_cache = (key, kpis)
        out = dict(self._kpi_cache[1])
        if center.seats:
            out["risk_points"] = (out.get("risk_points") or 0) + self._seat_risk_points_unbooked()
        return out

    def _seat_risk_points_unbooked(self) -> int:
        """Risk points the seats' contacts raised that the KPIs have not booked yet: those of
        contacts in progress (so far) and of finished ones waiting for the next flush. Why: a
        trainee must see a breach cost points at the decision, not at the end of the call."""
        from sandbox.scoring import contact_risk_points

        total = 0
        for agent in self.center.seats.values():
            for c in agent.active:
                if c.play is not None and c.play.risks:
                    total += contact_risk_points(c.play.risks)
        for rec in self.recorder.pending:
            if rec.get("seat") and not rec.get("abandoned"):
                total += int(rec.get("risk_points") or 0)
        return total

    def snapshot(self) -> Snapshot:
        """Everything a screen shows, as plain JSON-serialisable data."""
        now = self.now
        center = self.center
        queue = []
        for c in center.queued.values():
            queue.append({
                "contact_id": c.id, "channel": c.channel, "waited_s": round(now - c.arrived, 3),
                "vip": c.persona.segment == "vip", "segment": c.persona.segment,
                "journey_id": c.journey.id, "title": text_of(c.journey.title),
            })  # fmt: skip
            if len(queue) >= MAX_QUEUE_SHOWN:
                break
        for sid, sq in center.seat_queues.items():  # customers waiting for a seat's own queue
            feed = center.seats[sid].feed
            assert feed is not None
            for k, arrived in sq.waiting(now)[: max(0, MAX_QUEUE_SHOWN - len(queue))]:
                channel, journey, segment = feed.peek(k)
                queue.append({
                    "contact_id": f"{sid}-{k:03d}", "channel": channel,
                    "waited_s": round(now - arrived, 3), "vip": segment == "vip",
                    "segment": segment or "", "journey_id": journey.id,
                    "title": text_of(journey.title), "seat": sid,
                })  # fmt: skip
        seats: list[SeatView] = []
        for sid, agent in center.seats.items():
            active = agent.active[0] if agent.active else None
            seats.append({"seat_id": sid, "agent_id": agent.id,
                          "contact": self._contact_view(active) if active is not None and active.play else None})  # fmt: skip
        return {
            "now": now,
            "end": self.end,
            "finished": self.finished,
            "clock": _clock(self.scenario.start_clock_s + now),
            "queue": queue,
            "queue_length": dict(center.waiting),
            "abandoned_recent": list(self._abandoned),
            "agents": self._agents_view(),
            "seats": seats,
            "kpis": self.live_kpis(),
            "targets": dict(self.scenario.targets),
            "alerts": [a for a in self._alerts if a["t"] <= self.now + 1e-9],  # once shown
            "events": list(self._events),
            "pending": self.pending_decisions(),
            "learning_pack": self._learning_pack,
        }

    def _on_event(self, event: dict[str, Any]) -> None:
        self._events.append(event)
        if self._event_log is not None:
            self._event_log.write(event)

    def _on_alert(self, alert: dict[str, Any]) -> None:
        if alert["kind"] == "abandon":
            self._abandoned.append({"contact_id": alert["contact_id"], "channel": alert.get("channel"),
                                    "waited_s": round(alert["waited_s"], 3), "at": alert["t"]})  # fmt: skip
        self._alerts.append({k: alert[k] for k in ("t", "contact_id", "kind", "text")})

    # ------------------------------------------------------------------ results
    def provenance(self) -> dict[str, Any]:
        sc = self.scenario
        return {
            "seed": self.seed,
            "scenario": {
                "name": sc.name,
                "path": sc.path,
                "hash": sc.effective_hash(),
                "file_hash": sc.content_hash,
                "overrides": dict(sc.overrides),
            },
            "journeys": sc.journey_hashes(),
            "model_version": getattr(self.models, "version", None),
            "shapan_version": __version__,
        }

    def weak_spots(self, top: int = 3) -> dict[str, Any]:
        """A desk session's top weak spots with their learning packs, for the debrief
        (`sandbox.weak_spots`): `{rule, pushes, top: [...]}`; empty outside desk sessions."""
        if self._mistakes is None:
            return {"rule": None, "pushes": 0, "top": []}
        return {"rule": self._mistakes.rule.to_json(), "pushes": len(self._mistakes.pushes),
                "top": self._mistakes.weak_spots(top)}  # fmt: skip

    def results(self) -> dict[str, Any]:
        """The results document (schema `shapan.results/1`, see docs/results-schema.md)."""
        import copy

        from sandbox.results import build_results

        kpi = self.kpi
        if not self.finished:
            # mid-session: results from copies, so looking never changes the session
            kpi = copy.deepcopy(self.kpi)
            self.recorder.count_buffered(kpi)
            self.center.settle_staffed(kpi)
        prov = self.provenance()
        return build_results(
            kpi,
            seed=self.seed,
            scenario={**prov["scenario"], "title": dict(self.scenario.title)},
            journeys=prov["journeys"],
            model_version=prov["model_version"],
            duration_s=self.now,
            targets=dict(self.scenario.targets),
            decision_log=[list(d) for d in self.decision_log],
            human_records=list(self.recorder.human),
            extra={"human_policy": self.human_policy}
            | ({"run_id": self.run_id} if self.run_id else {})
            | ({"trainee": self.trainee, "mode": self.mode} if self.mode is not None else {})
            | ({"weak_spots": self.weak_spots()} if self._mistakes is not None else {})
            | ({"seat_queues": self.seat_queue_figures()} if self.center.seat_queues else {}),
            journey_titles={jid: text_of(j.title) for jid, j in self.scenario.journeys.items()},
        )

    def seat_queue_figures(self) -> dict[str, dict[str, int]]:
        """Per seat with its own queue: customers who arrived for it, were put through, are
        still waiting and hung up unanswered (they count against the trainee)."""
        now = self.now
        out = {}
        for sid, sq in self.center.seat_queues.items():
            feed = self.center.seats[sid].feed
            out[sid] = {
                "arrived": sq.schedule.arrived_before(min(now, sq.end_s) + 1e-9),
                "put_through": feed.rung if feed is not None else 0,
                "waiting": len(sq.waiting(now)),
                "gave_up": sq.gave_up(now),
            }
        return out

    def export(self, out_dir: Path | str | None = None) -> dict[str, Any]:
        """Write results.json + report.html into `out_dir` (default: the session's). A finished
        session also finalises its streamed contacts.csv/events.jsonl; mid-session they stay
        open and the export is a snapshot of the results so far."""
        return self.prepare_export(out_dir)()

    def prepare_export(self, out_dir: Path | str | None = None) -> Callable[[], dict[str, Any]]:
        """`export` in two halves, for a desk that must not freeze: the results are taken now
        (on the session's thread); the returned call writes results.json and report.html (the
        slow part) touching no session state, so it may run on another thread while the
        session goes on."""
        from sandbox.results import write_exports

        target = Path(out_dir) if out_dir is not None else self.out_dir
        if target is None:
            raise SessionError("no output folder: pass out_dir to Session or to export()")
        results = self.results()
        if self.finished:  # mid-session the streams stay open: the run goes on
            self.close()
        lang = self.lang

        def write() -> dict[str, Any]:
            write_exports(results, target, lang=lang)
            return results

        return write

    def close(self) -> None:
        """Finalise the streamed files (contacts.csv, events.jsonl)."""
        if self._closed:
            return
        self._closed = True
        for w in self._writers:
            w.close()

    # ------------------------------------------------------------------ save / resume
    def save_document(self) -> dict[str, Any]:
        prov = self.provenance()
        doc = {
            "schema": SAVE_SCHEMA,
            **prov,
            "model_files": self.models.file_hashes(),
            "human_policy": self.human_policy,
            "lang": self.lang,
            "now": self.now,
            "decision_log": [list(d) for d in self.decision_log],
        }
        if self.mode is not None:  # a desk session: its identity, sealed (sandbox.session_seal)
            from sandbox.session_seal import seal

            identity = {"trainee": self.trainee, "mode": self.mode}
            doc |= identity | {"seal": seal(identity, self.seed, prov["scenario"]["hash"])}
        return doc

    def save(self, path: Path | str) -> Path:
        """Atomically write the session file (small: provenance + decision log)."""
        text = json.dumps(self.save_document(), ensure_ascii=False, separators=(",", ":"))
        return atomic_write_text(path, text)

    @classmethod
    def resume(
        cls, path: Path | str, *, out_dir: Path | str | None = None, sealed: bool = False
    ) -> Session:
        """Rebuild a saved session by replaying its decision log; refuses changed files.
        A save with a trainee/mode identity must carry its intact seal (`sealed=True`: it must
        have one — the desk resumes only its own saves)."""
        doc = _read_save(path)
        if sealed or "seal" in doc or "mode" in doc or "trainee" in doc:
            from sandbox.session_seal import check

            problem = check(doc)
            if problem is not None:
                raise SessionError(f"{path}: {problem}; it cannot be resumed")
        sc_doc = doc["scenario"]
        try:
            scenario = load_scenario(sc_doc["path"])
            overrides = sc_doc.get("overrides") or {}
            if overrides:
                scenario = scenario.with_overrides(**overrides)
        except ScenarioError as err:
            first = err.diagnostics[0].render()
            more = f" (+{len(err.diagnostics) - 1} more)" if len(err.diagnostics) > 1 else ""
            raise SessionError(
                f"{path}: the session's scenario cannot be loaded: {first}{more}"
            ) from None
        except (TypeError, ValueError) as err:
            raise SessionError(f"{path}: damaged session file: scenario overrides: {err}") from None
        seed, log = doc["seed"], doc["decision_log"]
        if scenario.effective_hash() != sc_doc["hash"]:
            raise SessionError(
                f"{path}: the scenario {sc_doc['path']} changed since this session was saved; "
                "it cannot be resumed (restore the file or start a new session)"
            )
        now_hashes = scenario.journey_hashes()
        for jid, digest in doc.get("journeys", {}).items():
            if now_hashes.get(jid) != digest:
                raise SessionError(
                    f"{path}: journey {jid!r} changed since this session was saved; it cannot be resumed"
                )
        session = cls(scenario, seed, human_policy=doc.get("human_policy"), out_dir=out_dir,
                      lang=doc.get("lang", "zh-CN"), trainee=doc.get("trainee"),
                      mode=doc.get("mode"))  # fmt: skip
        from customer_models.models import compare_files

        saved_files = doc.get("model_files")
        if isinstance(saved_files, dict):
            differs = compare_files(saved_files, session.models.file_hashes())
            if differs:
                raise SessionError(f"{path}: {differs}; it cannot be replayed identically")
        model_version = getattr(session.models, "version", None)
        if doc.get("model_version") != model_version:
            raise SessionError(
                f"{path}: saved with outcome models {doc.get('model_version')!r}, "
                f"now {model_version!r}; it cannot be replayed identically"
            )
        for t, contact_id, choice_id in log:
            try:
                session.run_until(t)
                session.decide(contact_id, choice_id)
            except SessionError as err:
                raise SessionError(f"{path}: replay diverged at t={t}: {err}") from None
        now = doc.get("now", session.now)
        if not now >= session.now:
            raise SessionError(
                f"{path}: damaged session file: its clock ({now}) is before its last decision"
            )
        session.run_until(now)
        return session


def _read_save(path: Path | str) -> dict[str, Any]:
    """A session file's document, every field `resume` relies on checked: a damaged file is
    named with what is wrong with it (one line), never a traceback."""
    try:
        raw = read_input(path, MAX_SAVE_BYTES, "session file")
    except InputFileError as err:
        raise SessionError(f"{path}: {err}") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SessionError(f"{path}: damaged session file: not UTF-8 text") from None
    except json.JSONDecodeError as err:
        raise SessionError(
            f"{path}: damaged session file: not valid JSON at line {err.lineno} column "
            f"{err.colno} ({err.msg}); it may have been cut short — start a new session"
        ) from None
    except RecursionError:
        raise SessionError(f"{path}: damaged session file: JSON nested too deeply") from None
    if not isinstance(doc, dict) or doc.get("schema") != SAVE_SCHEMA:
        raise SessionError(f"{path}: not a shapan session file (expected schema {SAVE_SCHEMA})")

    def bad(what: str) -> SessionError:
        return SessionError(f"{path}: damaged session file: {what}")

    sc = doc.get("scenario")
    if not isinstance(sc, dict) or not isinstance(sc.get("path"), str) or not sc["path"]:
        raise bad('"scenario" must name the scenario file ({"path": ..., "hash": ...})')
    if not isinstance(sc.get("hash"), str):
        raise bad('"scenario" has no "hash"')
    if not isinstance(sc.get("overrides", {}), (dict, type(None))):
        raise bad('"scenario.overrides" must be a mapping')
    seed = doc.get("seed")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise bad(f'"seed" must be a whole number from 0 to 2^63-1, got {seed!r}')
    journeys = doc.get("journeys", {})
    if not isinstance(journeys, dict):
        raise bad('"journeys" must map journey ids to content hashes')
    for key in ("model_files",):
        if key in doc and not isinstance(doc[key], (dict, type(None))):
            raise bad(f'"{key}" must be a mapping')
    if doc.get("human_policy") not in (None, "random", "novice", "competent", "expert"):
        raise bad(f'"human_policy" is {doc.get("human_policy")!r}')
    if doc.get("lang", "zh-CN") not in ("zh-CN", "en"):
        raise bad(f'"lang" is {doc.get("lang")!r}; zh-CN or en')
    log = doc.get("decision_log")
    if not isinstance(log, list):
        raise bad('"decision_log" must be a list')
    last = 0.0
    for i, entry in enumerate(log, start=1):
        if (
            not isinstance(entry, list)
            or len(entry) != 3
            or isinstance(entry[0], bool)
            or not isinstance(entry[0], (int, float))
            or not isinstance(entry[1], str)
            or not isinstance(entry[2], str)
        ):
            raise bad(f"decision {i} must be [time, contact id, choice id], got {entry!r}")
        if not last <= entry[0] < math.inf:
            raise bad(f"decision {i} is at t={entry[0]!r}, before the one before it")
        last = float(entry[0])
    now = doc.get("now", last)
    if isinstance(now, bool) or not isinstance(now, (int, float)) or not 0 <= now < math.inf:
        raise bad(f'"now" must be a time in seconds, got {now!r}')
    return doc


def _trigger_alert(
    trig: Any, run: Any, play: ContactPlay, choices: list[ChoiceOption], now: float
) -> dict[str, Any] | None:
    """The active keyword rule as the desk shows it: only once the customer's words are on
    screen (their line's time has come); with the keywords (to highlight), the required steps
    in words, which of them the options on offer now cover, and `status` `failed` (with the
    reason in words) when a decision is waiting and none of the options covers any of them."""
    if trig is None:
        return None
    said = [line for line in play.transcript if line["speaker"] == "customer"]
    at = None
    for line in said:
        text = " ".join(line["text"].values()).lower()
        if any(k.lower() in text for k in trig.keywords):
            at = line["t"]
    if at is None or at > now + 1e-9:
        return None
    from journeys.vocabulary import BEHAVIOURS

    required = list(run.required_behaviours)
    on_offer = {b for ch in choices if ch["available"] for b in ch["behaviours"]}
    offered = [r for r in required if r in on_offer]
    status = "failed" if choices and required and not offered else "armed"

    def words(lang: str, tags: list[str]) -> str:
        sep = "、" if lang == "zh-CN" else ", "
        return sep.join(BEHAVIOURS[r].label(lang) if r in BEHAVIOURS else r.replace("_", " ")
                        for r in tags)  # fmt: skip

    banner = text_of(trig.alert) if trig.alert else {}
    if status == "failed":
        banner = {
            "zh-CN": f"规则未能完成：此处没有可以{words('zh-CN', required)}的选项",
            "en": f"Rule failed: nothing on offer here can {words('en', required)}",
        }
    return {"trigger_id": trig.id, "text": banner, "required": required,
            "keywords": list(trig.keywords), "offered": offered, "status": status, "t": at}  # fmt: skip


def _risk_label(risk: str) -> dict[str, str]:
    from journeys.vocabulary import RISK_TYPES

    return dict(RISK_TYPES.get(risk, {"zh-CN": risk, "en": risk}))
