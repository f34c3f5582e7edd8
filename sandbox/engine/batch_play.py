"""Bot contacts played through their journeys many at a time (numpy arrays, not objects).

Why: when a scenario draws handle times (`service: exponential | lognormal`) a bot contact's
handle time does not depend on its journey, so the SimPy model only needs the drawn time; the
journey can be played later, together with hundreds of other finished contacts. Played one at
a time that costs ~40 µs a contact; played as a batch it costs a few.

How, without a second implementation of the journey language:
- Contacts in the same *discrete* state (the `JourneyRun.state_key()`: node, state variables,
  visits, path, triggers, persona fields the journey reads) behave identically given the same
  draws, so the real `JourneyRun` steps once per (state, choice) and the result is memoised;
  contacts only carry the id of their state.
- The customer's mood (anger, trust, patience) is continuous, so it lives in arrays and moves
  by the reaction model's array form (`customer_models.reaction_batch`), from the same
  pre-drawn per-contact numbers the one-at-a-time `ContactPlay` would use.
- Random route branches draw from each contact's own branch stream: those few transitions are
  stepped per contact and the results merged back by state key.
- Bot choices use `journeys.policies.choose_many` with per-contact uniforms.
Per-path facts (behaviour counts, risks, rubric evidence) are computed once per distinct path.

The output is one column batch (sandbox.columns) with the fields of `ContactPlay.record()`
plus the centre's (agent, times, policy).
"""

from __future__ import annotations

from itertools import repeat
from operator import is_, itemgetter
from typing import Any

import numpy as np

from customer_models import reaction_batch as rb
from journeys.policies import choose_many
from journeys.runtime import MAX_DECISIONS
from journeys.vocabulary import RUBRIC
from sandbox.engine.journey_table import PATH_FIELDS, RANDOM, JourneyTable, table_for
from sandbox.engine.streams import DrawBlock, policy_seed, reaction_rng
from sandbox.record_schema import BY_NAME
from sandbox.scoring import (
    efficiency_with_pace,
    round_like_python,
)

PERSONA_COLUMNS = (
    "persona_id", "segment", "age_band", "temperament", "tenure_years", "contract", "products",
    "value", "prior_contacts", "churn_risk",
)  # fmt: skip
_MOOD = ("anger", "trust", "patience")
#: A numpy array (of contacts' values or indices).
Arr = np.ndarray
#: The path fields (`journey_table.PATH_FIELDS`) that are whole numbers, and the others.
_COUNT_NAMES = tuple(f for f in PATH_FIELDS if BY_NAME[f].kind == "count")
_COUNTS = itemgetter(*_COUNT_NAMES)
_OTHER_NAMES = tuple(f for f in PATH_FIELDS if f not in _COUNT_NAMES)


class _Group:
    """Arrays of one (journey, policy) group of contacts while they are played."""

    def __init__(self, n: int):
        self.sid = np.zeros(n, dtype=np.intp)
        self.tid = np.zeros(n, dtype=np.intp)
        self.handle = np.zeros(n)
        self.hold = np.zeros(n)
        self.hung = np.zeros(n, dtype=bool)
        self.npos = np.zeros(n, dtype=np.intp)
        self.upos = np.zeros(n, dtype=np.intp)
        self.ppos = np.zeros(n, dtype=np.intp)


class BatchPlayer:
    """Plays finished bot contacts of drawn-service scenarios in batches (see module doc)."""

    def __init__(self, *, hangups: bool, line_s: dict[str, float], pace: Any, trace: Any = None):
        """`line_s`: each channel's seconds per customer line; `pace(journey, line_s)`: the
        expected handle time the rubric's efficiency compares with (None: none); `trace`:
        called with each bot decision as an event dict (`events: steps`), logging only."""
        self.hangups = hangups
        self.trace = trace
        self.line_s = line_s
        self.pace = pace
        # `np.unique` imports numpy.ma on its first call (~25 ms, once per process): pay that
        # while the session is set up, not in the middle of its first batch
        import numpy.ma  # noqa: F401

        self._fallback: dict[int, np.random.Generator] = {}

    def table(self, journey: Any) -> JourneyTable:
        return table_for(journey)

    # -- entry point ----------------------------------------------------------------------
    def play(self, contacts: list[Any]) -> dict[str, Any]:
        """Columns (sandbox.columns layout, without predictions) for finished bot contacts.

        Each contact provides: id, channel, journey, people/row (its persona), seed, blocks
        and draw (its arrival chunk's pre-drawn reaction normals/uniforms and policy
        uniforms, and its row in them), arrived, answered, handle_s, agent (id, policy,
        speed)."""
        n = len(contacts)
        inp = _Inputs(contacts, self.line_s, self.pace)
        cols = inp.persona
        anger = cols["anger"].astype(float)
        trust = cols["trust"].astype(float)
        patience = cols["patience"].astype(float)
        types = inp.types
        out = _Out(n)
        jcode, journeys = inp.jcode, inp.journeys
        for j, journey in enumerate(journeys):
            rows = np.flatnonzero(jcode == j) if len(journeys) > 1 else np.arange(n)
            self._play_group(journey, rows, inp, anger, trust, patience, types, out)
            # (decision events, if traced, were emitted group by group)
        self._fallback.clear()
        return out.columns(inp, anger, trust, patience)

    # -- one group ------------------------------------------------------------------------
    def _play_group(
        self,
        journey: Any,
        rows: Arr,
        inp: _Inputs,
        anger: Arr,
        trust: Arr,
        patience: Arr,
        types: rb.PersonaTypes,
        out: _Out,
    ) -> None:
        table = self.table(journey)
        m = len(rows)
        g = _Group(m)
        A, T, P = anger[rows], trust[rows], patience[rows]
        ty = types.take(rows)
        speed, line_s = inp.speed[rows], inp.line_s[rows]
        seeds = [inp.seed[i] for i in rows.tolist()]
        names = inp.policy_names
        policy_code = inp.policy_code[rows]
        normals, uniforms, pdraws = inp.normals[rows], inp.uniforms[rows], inp.pdraws[rows]
        everyone = np.arange(m)
        # begin: the queue wait drains patience, the mood is pushed, the journey starts
        P = np.maximum(0.0, P + rb.drain_many(ty, A, inp.wait[rows], "wait"))
        if table.persona_fields:
            keys = zip(*(inp.persona[f][rows].tolist() for f in table.persona_fields), strict=True)
            g.sid[:] = [table.start_state(k) for k in keys]
        else:
            g.sid[:] = table.start_state(())
        peak = A.copy()
        self._push(table, g, everyone, A, T, P, seeds)
        self._op_all(table, g, everyone, ("start",), seeds)
        self._spend_lines(table, g, everyone, ty, A, P, line_s)
        steps = 0
        while True:
            live = np.flatnonzero(~table.finished[g.sid])
            if not len(live):
                break
            steps += 1
            if steps > MAX_DECISIONS:
                self._op_all(table, g, live, ("end", "unresolved"), seeds)
                break
            sids, inverse = np.unique(g.sid[live], return_inverse=True)
            for j, sid in enumerate(sids.tolist()):
                sub = live[inverse == j] if len(sids) > 1 else live
                views, pending = table.available(sid)
                if not views:  # a dead end: the contact ends unresolved
                    self._op_all(table, g, sub, ("end", "unresolved"), seeds)
                    continue
                for choice_id, who in self._decide(
                    names, policy_code, views, pending, sub, pdraws, g, seeds
                ):
                    if self.trace is not None:
                        self._trace(
                            table.runs[sid].node_id, choice_id, rows[who], g.handle[who], inp
                        )
                    self._act(table, g, who, choice_id, ty, A, T, P, peak, speed,
                              line_s, normals, uniforms, seeds)  # fmt: skip
        anger[rows], trust[rows], patience[rows] = A, T, P
        out.fill(rows, table, g, peak)

    def _trace(self, node_id: str, choice_id: str, at: np.ndarray, played: np.ndarray,
               inp: Any) -> None:  # fmt: skip
        """Decision events of contacts `at` (batch rows): at answer time plus the time their
        play has taken so far, as one-at-a-time play logs them."""
        for i, t in zip(at.tolist(), (inp.answered[at] + played).tolist(), strict=True):
            self.trace({"t": t, "type": "decision", "contact_id": inp.id[i],
                        "agent_id": inp.agent_id[i], "node_id": node_id, "choice_id": choice_id})  # fmt: skip

    def _decide(
        self,
        names: list[Any],
        policy_code: Arr,
        views: list[Any],
        pending: frozenset[str],
        sub: Arr,
        pdraws: _ChunkDraws,
        g: _Group,
        seeds: list[int],
    ) -> list[tuple[str, Arr]]:
        """(choice id, contacts) pairs: each contact's bot policy picks from `views`."""
        picked: dict[str, list[np.ndarray]] = {}
        codes = policy_code[sub]
        for code in np.unique(codes).tolist() if len(names) > 1 else (0,):
            part = sub[codes == code] if len(names) > 1 else sub
            policy = names[code]
            draws = _policy_draws(pdraws, g, part, seeds, policy, self._fallback)
            candidates, pick = choose_many(policy, views, pending, draws)
            if len(candidates) == 1:
                picked.setdefault(candidates[0].id, []).append(part)
                continue
            for k in np.unique(pick).tolist():
                picked.setdefault(candidates[k].id, []).append(part[pick == k])
        out = []
        for choice_id, parts in picked.items():
            who = parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts))
            out.append((choice_id, who))
        return out

    def _op_all(
        self, table: JourneyTable, g: _Group, who: Arr, op: tuple[Any, ...], seeds: list[int]
    ) -> None:
        """Apply `op` to contacts `who`: once per distinct state (per contact only for
        transitions that draw random branches)."""
        sids, inverse = np.unique(g.sid[who], return_inverse=True)
        for j, sid in enumerate(sids.tolist()):
            sub = who[inverse == j] if len(sids) > 1 else who
            hit = table.transition(sid, op)
            if hit is RANDOM:
                for i in sub.tolist():
                    new, step = table.apply_one(sid, op, seeds[i])
                    g.sid[i] = new
                    if step >= 0:
                        g.tid[i] = table.trace(int(g.tid[i]), step)
                continue
            new, step = hit
            g.sid[sub] = new
            if step >= 0:
                self._extend_traces(table, g, sub, step)

    @staticmethod
    def _extend_traces(table: JourneyTable, g: _Group, who: Arr, step: int) -> None:
        tids, inverse = np.unique(g.tid[who], return_inverse=True)
        if len(tids) == 1:
            g.tid[who] = table.trace(int(tids[0]), step)
            return
        new = np.array([table.trace(t, step) for t in tids.tolist()], dtype=np.intp)
        g.tid[who] = new[inverse]

    def _push(
        self, table: JourneyTable, g: _Group, who: Arr, A: Arr, T: Arr, P: Arr, seeds: list[int]
    ) -> None:
        """Write the rounded mood into the journey's anger/trust/patience (as `_push_mood`)."""
        if not table.pushed or not len(who):
            return
        mood = {"anger": A, "trust": T, "patience": P}
        code = np.zeros(len(who), dtype=np.int64)
        for v in table.pushed:  # mood values are 0..10: one integer per combination
            code = code * 11 + np.round(mood[v][who]).astype(np.int64)
        keys, first, inverse = np.unique(code, return_index=True, return_inverse=True)
        for j in range(len(keys)):
            sub = who[inverse == j] if len(keys) > 1 else who
            i0 = int(who[first[j]])
            row = [round(float(mood[v][i0])) for v in table.pushed]
            op = ("push", tuple(zip(table.pushed, row, strict=True)))
            self._op_all(table, g, sub, op, seeds)

    def _spend_lines(
        self,
        table: JourneyTable,
        g: _Group,
        who: Arr,
        ty: rb.PersonaTypes,
        A: Arr,
        P: Arr,
        line_s: Arr,
    ) -> None:
        """Seconds the opening's customer lines take (talk time drains patience)."""
        tids, inverse = np.unique(g.tid[who], return_inverse=True)
        per_trace = np.array(
            [table.steps[table.trace_parent[t][1]].lines if t > 0 else 0 for t in tids.tolist()],
            dtype=float,
        )
        self._spend(g, who, per_trace[inverse] * line_s[who], "talk", ty, A, P)

    def _spend(
        self, g: _Group, who: Arr, secs: Arr, activity: str, ty: rb.PersonaTypes, A: Arr, P: Arr
    ) -> None:
        pos = secs > 0
        if not pos.any():
            return
        w = who[pos]
        s = secs[pos]
        P[w] = np.maximum(0.0, P[w] + rb.drain_many(ty.take(w), A[w], s, activity))
        g.handle[w] += s

    def _act(
        self,
        table: JourneyTable,
        g: _Group,
        who: Arr,
        choice_id: str,
        ty: rb.PersonaTypes,
        A: Arr,
        T: Arr,
        P: Arr,
        peak: Arr,
        speed: Arr,
        line_s: Arr,
        normals: _ChunkDraws,
        uniforms: _ChunkDraws,
        seeds: list[int],
    ) -> None:
        """One agent action for contacts `who` (same state, same choice), as `ContactPlay.act`."""
        sid0 = int(g.sid[who[0]])
        hit = table.transition(sid0, ("choose", choice_id))
        if hit is RANDOM:
            self._op_all(table, g, who, ("choose", choice_id), seeds)
            # all took the same choice: the step facts (not the branch) are shared
            step = table.steps[table.trace_parent[int(g.tid[who[0]])][1]]
            branch_lines = np.array(
                [table.steps[table.trace_parent[int(g.tid[i])][1]].lines for i in who.tolist()],
                float,
            )
        else:
            new, k = hit
            g.sid[who] = new
            self._extend_traces(table, g, who, k)
            step = table.steps[k]
            branch_lines = None
        effects = table.sync_effects(sid0, choice_id)
        if effects:  # scripted effects move the mood by what they moved the journey's value
            mood = {"anger": A, "trust": T, "patience": P}
            for v, var, ops in effects:
                arr = mood[v]
                old = np.clip(np.round(arr[who]), var.min, var.max)  # the run's value now
                cur = old
                for op, value in ops:
                    if op == "add":
                        cur = np.clip(cur + value, var.min, var.max)
                    else:
                        cur = np.full(len(who), float(var.coerce(value)))
                arr[who] = rb.clamp_mood_many(arr[who] + (cur - old))
        agent_s = step.time_s * speed[who]
        if step.noise:
            e = self._normals(normals, g, who, seeds)
            da, dt, dp = rb.react_many(ty.take(who), A[who], step.behaviours, e, kind=table.kind)
            A[who] = rb.clamp_mood_many(A[who] + da)
            T[who] = rb.clamp_mood_many(T[who] + dt)
            P[who] = rb.clamp_mood_many(P[who] + dp)
        lines = branch_lines if branch_lines is not None else float(step.lines)
        talk_lines = lines * line_s[who]
        if step.hold:
            g.hold[who] += agent_s
            self._spend(g, who, agent_s, "hold", ty, A, P)
            self._spend(g, who, talk_lines, "talk", ty, A, P)
        else:
            self._spend(g, who, agent_s + talk_lines, "talk", ty, A, P)
        if self.hangups:
            cand = who[~table.finished[g.sid[who]]]
            if len(cand):
                p = rb.hangup_probability_many(ty.take(cand), A[cand], P[cand])
                maybe = cand[p > 0]
                if len(maybe):
                    u = self._uniforms(uniforms, g, maybe, seeds)
                    gone = maybe[u < p[p > 0]]
                    if len(gone):
                        g.hung[gone] = True
                        self._op_all(table, g, gone, ("end", "customer_hung_up"), seeds)
        self._push(table, g, who, A, T, P, seeds)
        np.maximum(peak, A, out=peak)  # anger_peak as `_push_mood` keeps it

    # -- per-contact streams (the same numbers `BlockRng` would give) ----------------------
    def _normals(self, normals: _ChunkDraws, g: _Group, who: Arr, seeds: list[int]) -> Arr:
        """Three normals per contact; past its pre-drawn ones, from its own generator."""
        pos = g.npos[who]
        inside = pos + 3 <= normals.width
        if inside.all():
            g.npos[who] = pos + 3
            return normals.take(who, pos, 3)
        out = np.empty((len(who), 3))
        if inside.any():
            out[inside] = normals.take(who[inside], pos[inside], 3)
            g.npos[who[inside]] = pos[inside] + 3
        for j in np.flatnonzero(~inside).tolist():
            i = int(who[j])
            g.npos[i] = normals.width
            out[j] = self._gen(seeds[i]).standard_normal(3)
        return out

    def _uniforms(self, uniforms: _ChunkDraws, g: _Group, who: Arr, seeds: list[int]) -> Arr:
        """One uniform per contact; past its pre-drawn ones, from its own generator."""
        pos = g.upos[who]
        inside = pos < uniforms.width
        out = np.empty(len(who))
        if inside.any():
            out[inside] = uniforms.take(who[inside], pos[inside], 1)[:, 0]
            g.upos[who[inside]] = pos[inside] + 1
        for j in np.flatnonzero(~inside).tolist():
            out[j] = self._gen(seeds[int(who[j])]).random()
        return out

    def _gen(self, seed: int) -> np.random.Generator:
        gen = self._fallback.get(seed)
        if gen is None:
            gen = self._fallback[seed] = reaction_rng(seed)
        return gen


def _policy_draws(
    pdraws: _ChunkDraws,
    g: _Group,
    sub: Arr,
    seeds: list[int],
    policy: str,
    fallback: dict[int, np.random.Generator],
) -> Arr:
    """Three uniforms per contact for one decision (the expert draws none)."""
    if policy == "expert":
        return np.zeros((len(sub), 3))
    pos = g.ppos[sub]
    g.ppos[sub] = pos + 3
    inside = pos + 3 <= pdraws.width
    if inside.all():
        return pdraws.take(sub, pos, 3)
    out = np.empty((len(sub), 3))
    if inside.any():
        out[inside] = pdraws.take(sub[inside], pos[inside], 3)
    for j in np.flatnonzero(~inside).tolist():
        i = int(sub[j])
        key = -1 - seeds[i]  # the policy's own fallback stream, apart from reactions
        gen = fallback.get(key)
        if gen is None:
            gen = fallback[key] = np.random.Generator(np.random.PCG64(policy_seed(seeds[i])))
        out[j] = gen.random(3)
    return out


class _Inputs:
    """Everything batch play reads from the contacts, as arrays.

    Why this shape: one pass of attribute reads over the contacts, then numpy by group; the
    per-contact Python work here was a tenth of the engine's time per contact. What is the
    same for many contacts (an agent's id, policy and speed; a channel's line time; a
    journey's expected pace; an arrival chunk's pre-drawn numbers) is looked up once per
    distinct value and spread by index."""

    def __init__(self, contacts: list[Any], line_s: dict[str, float], pace: Any):
        n = len(contacts)
        # one comprehension per field: a third faster than transposing per-contact tuples
        ids = [c.id for c in contacts]
        channels = [c.channel for c in contacts]
        journeys = [c.journey for c in contacts]
        seeds = [c.seed for c in contacts]
        arrived = [c.arrived for c in contacts]
        answered = [c.answered for c in contacts]
        handle = [c.handle_s for c in contacts]
        people = [c.people for c in contacts]
        rows = [c.row for c in contacts]
        blocks = [c.blocks for c in contacts]
        draws = [c.draw for c in contacts]
        agents = [c.agent for c in contacts]
        self.id, self.channel, self.journey, self.seed = ids, channels, journeys, seeds
        self.arrived = np.array(arrived, dtype=float)
        self.answered = np.array(answered, dtype=float)
        self.wait = self.answered - self.arrived  # as the centre computed it at answering
        self.handle = np.array(handle, dtype=float)
        # per channel and per journey
        ccode, cnames = _codes(channels)
        lines = [line_s[c] for c in cnames]
        self.line_s = np.array(lines, dtype=float)[ccode]
        self.jcode, self.journeys = _codes(journeys)
        paces = [[pace(j, x) or np.nan for x in lines] for j in self.journeys]
        self.pace = np.array(paces, dtype=float).reshape(len(self.journeys), -1)[self.jcode, ccode]
        # per agent
        acode, alist = _codes(agents)
        self.agent_id = np.array([a.id for a in alist], dtype=object)[acode].tolist()
        policies = [a.policy for a in alist]
        self.policy = np.array(policies, dtype=object)[acode].tolist()
        self.speed = np.array([a.speed for a in alist], dtype=float)[acode]
        pcode, self.policy_names = _codes(policies, key=str)
        self.policy_code = pcode[acode]
        # persona fields and pre-drawn numbers: gathered per arrival batch with fancy indexing
        row = np.array(rows, dtype=np.intp)
        code, batches = _codes(people)
        # per batch: which contacts, and their rows in it (the same for every field)
        picks: list[tuple[Any, np.ndarray]] = [(slice(None), row)]
        if len(batches) > 1:
            picks = [(sel, row[sel]) for sel in (code == k for k in range(len(batches)))]

        def gather(parts: list[np.ndarray]) -> np.ndarray:
            arr = np.empty(n, dtype=np.result_type(*parts))  # str columns stay numpy str
            for b, (sel, at) in zip(parts, picks, strict=True):
                arr[sel] = b[at]
            return arr

        self.persona = {
            f: gather([b.columns[f] for b in batches]) for f in (*PERSONA_COLUMNS, *_MOOD)
        }
        self.types = rb.PersonaTypes(gather([rb.PersonaTypes.from_batch(b).code for b in batches]))
        bcode, chunks = _codes(blocks)
        brow = np.array(draws, dtype=np.intp)
        self.normals = _ChunkDraws([b[0] for b in chunks], bcode, brow)
        self.uniforms = _ChunkDraws([b[1] for b in chunks], bcode, brow)
        self.pdraws = _ChunkDraws([b[4] for b in chunks], bcode, brow)


def _codes(values: Any, key: Any = id) -> tuple[np.ndarray, list[Any]]:
    """Small integer codes for `values` (objects by identity, or by `key=str`), and the
    distinct values in order of first appearance."""
    n = len(values)
    if key is id:
        if n and all(map(is_, values, repeat(values[0]))):  # one value (one channel, journey…)
            return np.zeros(n, dtype=np.intp), [values[0]]
        keys = np.fromiter(map(id, values), np.int64, n)
    else:
        keys = np.array([key(v) for v in values])
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[inverse.reshape(-1)], [values[i] for i in first[order].tolist()]


class _ChunkDraws:
    """One kind of pre-drawn numbers (e.g. reaction normals) for a batch's contacts, read
    from their arrival chunks' `DrawBlock`s only at the positions batch play asks for."""

    __slots__ = ("blocks", "code", "draw", "width")

    def __init__(self, blocks: list[DrawBlock], code: np.ndarray, draw: np.ndarray):
        self.blocks = blocks  # one per arrival chunk
        self.code = code  # per contact: which block
        self.draw = draw  # per contact: its column in the block
        self.width = blocks[0].width

    def __getitem__(self, rows: np.ndarray) -> _ChunkDraws:
        """The contacts `rows` of the batch (a group)."""
        return _ChunkDraws(self.blocks, self.code[rows], self.draw[rows])

    def take(self, who: np.ndarray, pos: np.ndarray, k: int) -> np.ndarray:
        """(len(who), k): numbers pos..pos+k-1 of contacts `who` (pos + k <= width)."""
        if len(self.blocks) == 1:
            return self.blocks[0].take(self.draw[who], pos, k)
        out = np.empty((len(who), k))
        code = self.code[who]
        for b in np.unique(code).tolist():
            sel = code == b
            out[sel] = self.blocks[b].take(self.draw[who[sel]], pos[sel], k)
        return out


class _Out:
    """Per-contact results of a batch, filled group by group."""

    def __init__(self, n: int):
        self.n = n
        self.handle = np.zeros(n)
        self.hold = np.zeros(n)
        self.hung = np.zeros(n, dtype=bool)
        self.peak = np.zeros(n)
        self.at = np.zeros(n, dtype=np.intp)  # index into `paths`
        self.paths: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (fields, evidence)

    def fill(self, rows: Arr, table: JourneyTable, g: _Group, peak: Arr) -> None:
        self.handle[rows] = g.handle
        self.hold[rows] = g.hold
        self.hung[rows] = g.hung
        self.peak[rows] = peak
        pairs = g.tid.astype(np.int64) * (1 << 31) + g.sid
        keys, inverse = np.unique(pairs, return_inverse=True)
        base = len(self.paths)
        for key in keys.tolist():
            self.paths.append(table.summary(key >> 31, key & ((1 << 31) - 1)))
        self.at[rows] = base + inverse.reshape(-1)

    def columns(self, inp: _Inputs, anger: Arr, trust: Arr, patience: Arr) -> dict[str, Any]:
        """The batch's records as columns (drawn handle times replace the played ones)."""
        n = self.n
        drawn = inp.handle
        played = self.handle
        # `ContactPlay.rescale`: holds keep their share of the drawn time
        hold = np.where(played > 0, self.hold * drawn / np.where(played > 0, played, 1.0), 0.0)
        hold = np.where(played > 0, hold, self.hold)
        fields = [x[0] for x in self.paths]
        at, at_list = self.at, self.at.tolist()
        kinds = np.array([j.kind for j in inp.journeys], dtype=object)[inp.jcode].tolist()
        out: dict[str, Any] = {
            "contact_id": inp.id,
            "agent_id": inp.agent_id,
            "seat": [None] * n,
            "human": np.zeros(n, dtype=np.int64),
            "policy": inp.policy,
            "channel": inp.channel,
            "journey_id": np.array([j.id for j in inp.journeys], dtype=object)[inp.jcode].tolist(),
            "journey_kind": kinds,
            "kind": kinds,
            "arrived_at": inp.arrived,
            "answered_at": inp.answered,
            "ended_at": inp.answered + drawn,
            "wait_s": inp.wait,
            "handle_s": drawn,
            "hold_s": hold,
            "abandoned": np.zeros(n, dtype=np.int64),
            "anger_peak": round_like_python(self.peak, 3),
            "anger_final": round_like_python(anger, 3),
            "trust_final": round_like_python(trust, 3),
            "patience_final": round_like_python(patience, 3),
        }
        # the path's fields: whole numbers in one gather (one per column cost 0.1 µs a contact)
        counts = np.array([_COUNTS(f) for f in fields], dtype=np.int64).reshape(
            -1, len(_COUNT_NAMES)
        )
        per_contact = np.take(np.ascontiguousarray(counts.T), at, axis=1)  # rows contiguous
        out.update(zip(_COUNT_NAMES, per_contact, strict=True))
        for name in _OTHER_NAMES:
            values = [f[name] for f in fields]
            if BY_NAME[name].kind == "str":
                out[name] = list(map(values.__getitem__, at_list))
            else:
                out[name] = np.array(values, dtype=float)[at]
        cols = inp.persona
        prior = cols["prior_contacts"].astype(np.int64)
        out["fcr"] = out["resolved"] * (prior == 0)
        out["repeat_contact"] = (prior > 0).astype(np.int64)
        hung_outcome = np.array([f["outcome"] == "customer_hung_up" for f in fields], dtype=bool)
        out["hung_up"] = (self.hung | hung_outcome[at]).astype(np.int64)
        for f in PERSONA_COLUMNS:
            v = cols[f]
            out[f] = v.tolist() if v.dtype.kind in "OU" else v
        # rubric: evidence per path, the efficiency's time part per contact
        total = np.zeros(n)
        counted = np.zeros(n)
        for dim in RUBRIC:
            evidence = [np.nan if (v := x[1][dim]) is None else v for x in self.paths]
            col = np.array(evidence, dtype=float)[at]
            if dim == "efficiency":
                col = efficiency_with_pace(col, drawn, inp.pace)
            out[f"rubric_{dim}"] = col
            ok = ~np.isnan(col)  # `overall_score`: the mean of the applicable dimensions
            total = np.where(ok, total + col, total)
            counted += ok
        out["rubric_score"] = np.where(
            counted > 0, round_like_python(total / np.maximum(counted, 1), 2), np.nan
        )
        return out
