"""Streaming session KPIs: constant memory however many contacts a session runs.

Why streaming: a full day is 40,000+ contacts and a benchmark runs ten times that; memory must
stay flat, so nothing here keeps a per-contact list. Counters and sums, fixed-size histograms,
per-agent and per-interval counters (bounded by staff and by the session length), a
fixed-size reservoir sample of contacts for the timeline, and the full records of human-seat
contacts only (a trainee handles tens, not thousands).

Definitions (rates are fractions 0..1, times seconds; a ratio with no data is None):
- contacts: contacts offered (arrivals).
- handled: contacts answered by an agent.
- abandoned: contacts that left the queue before an answer.
- abandonment_rate: abandoned / (handled + abandoned) — of the contacts whose queue fate is
  known, so contacts still queued when the run stops do not bias it.
- asa_s: mean wait of answered contacts (average speed of answer).
- service_level: answered within the threshold / (answered + abandoned after the threshold);
  abandons shorter than the threshold are excluded (the usual ACD/WFM default). The threshold is
  `threshold_s` (default 20 s). `sandbox.erlang` computes the same quantity. A scenario may
  count other abandons (`service_level_rule`; docs/scoring.md § Service level).
- occupancy: agent busy time / agent staffed time (both fed by the engine; busy time is
  counted only while the agent is staffed, so occupancy <= 1 — a contact that runs past the
  end of a shift is finished off the clock).
- aht_s: average handle time of finished (answered) contacts: talk + hold (record `handle_s`)
  + after-call work (booked by `after_call_work()`), as the industry counts it.
- hangup_rate: finished contacts the customer hung up mid-contact (record `hung_up`) /
  finished contacts; not abandons.
- abandon_wait_s: mean queue wait of abandoned contacts (average time to abandon).
- fcr: first-contact resolution — share of finished contacts resolved on this contact: the
  contact ended with an outcome in `journeys.vocabulary.RESOLVING_OUTCOMES` (resolved, sale),
  so no callback, transfer or escalation is needed (records without an `outcome` use their
  `resolved` flag). Whether the customer had called before does not matter here: the record's
  `fcr` flag (resolved and no prior contact) is the outcome models' input, not this KPI.
- csat_mean: mean predicted CSAT (1..5) of finished contacts with a prediction.
- csat_top_box: mean predicted top-box probability (record `csat_top_box`).
- churn_risk_mean: mean predicted 90-day churn probability.
- cross_sell_offered: number of finished contacts with a cross-sell offer.
- cross_sell_rate: accepted / offered (offer conversion); the funnel in `breakdowns()` also
  gives offers per handled contact.
- risk_points: sum of the records' `risk_points` (weights in `sandbox.scoring.RISK_WEIGHTS`).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from typing import Any, overload

import numpy as np

from customer_models.portable import exp1, log1, log1p1
from journeys.vocabulary import RESOLVING_OUTCOMES, RISK_TYPES, RUBRIC
from sandbox.columns import codes, column_length, column_list, records_from_columns, take_rows
from sandbox.kpi_catalogue import KPI_KEYS

# The KPI keys, names, units, directions and formats live in `sandbox.kpi_catalogue` (one
# table for the report, the screens and the CLI); this module computes the values.

WAIT_BIN_S = 5.0
WAIT_BINS = 120  # 0..600 s, plus one overflow bin
HANDLE_BIN_S = 30.0
HANDLE_BINS = 60  # 0..1800 s, plus one overflow bin
RUBRIC_KEYS: tuple[str, ...] = tuple(RUBRIC)
RISK_KEYS: tuple[str, ...] = tuple(RISK_TYPES)
_RISK_COLUMNS: tuple[tuple[str, str], ...] = tuple((k, f"risk_{k}") for k in RISK_KEYS)


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def _occupancy(busy: float, staffed: float) -> float | None:
    """busy / staffed; the engine books busy time only while staffed, so at most 1 (the
    clamp only absorbs float rounding of the summed spans)."""
    return min(1.0, busy / staffed) if staffed else None


def is_human(record: Mapping[str, Any]) -> bool:
    """A record from a human seat: `seat` holds the seat id (None/False/"" for bots)."""
    return bool(record.get("human") or record.get("seat"))


FIT_LABELS: dict[int, str] = {0: "none", 1: "low", 2: "medium", 3: "high"}


def _fit_word(label: Any, level: Any) -> str:
    """Cross-sell fit as a word: the record's `cross_sell_fit_label`, else its level 0..3."""
    if label:
        return str(label)
    if isinstance(level, (int, float)) and not isinstance(level, bool):
        return FIT_LABELS.get(int(level), "none")
    return str(level) if level else "none"


class _Group:
    """Sums for one agent or one channel (a few dozen numbers; one per agent/channel)."""

    __slots__ = (
        "abandon_wait_sum",
        "abandoned",
        "abandoned_after",
        "accepted",
        "acw_sum",
        "answered",
        "answered_within",
        "busy_s",
        "churn_n",
        "churn_sum",
        "csat_n",
        "csat_sum",
        "fcr",
        "finished",
        "handle_sum",
        "human",
        "hung_up",
        "offered",
        "policy",
        "risk_points",
        "rubric_n",
        "rubric_sum",
        "staffed_s",
        "top_box_sum",
        "wait_sum",
        "xs_offered",
    )

    def __init__(self) -> None:
        self.offered = self.answered = self.abandoned = 0
        self.answered_within = self.abandoned_after = 0
        self.wait_sum = self.abandon_wait_sum = 0.0
        self.finished = self.fcr = self.hung_up = 0
        self.handle_sum = self.acw_sum = 0.0
        self.csat_n = 0
        self.csat_sum = self.top_box_sum = 0.0
        self.churn_n = 0
        self.churn_sum = 0.0
        self.xs_offered = self.accepted = 0
        self.risk_points = 0
        self.rubric_sum = [0.0] * len(RUBRIC_KEYS)
        self.rubric_n = [0] * len(RUBRIC_KEYS)  # per dimension: sales may be not applicable
        self.busy_s = self.staffed_s = 0.0
        self.human = False
        self.policy: str | None = None

    # -- column batches: the contact sums as two rows (counts exact ints, float sums) --------
    def count_row(self) -> list[int]:
        """finished, fcr, csat_n, churn_n, xs_offered, accepted, risk_points, hung_up,
        rubric_n[...]."""
        return [self.finished, self.fcr, self.csat_n, self.churn_n, self.xs_offered,
                self.accepted, self.risk_points, self.hung_up, *self.rubric_n]  # fmt: skip

    def sum_row(self) -> list[float]:
        """handle_sum, csat_sum, top_box_sum, churn_sum, rubric_sum[...]."""
        return [self.handle_sum, self.csat_sum, self.top_box_sum, self.churn_sum,
                *self.rubric_sum]  # fmt: skip

    def add_counts(self, row: Sequence[int]) -> None:
        self.finished += row[0]
        self.fcr += row[1]
        self.csat_n += row[2]
        self.churn_n += row[3]
        self.xs_offered += row[4]
        self.accepted += row[5]
        self.risk_points += row[6]
        self.hung_up += row[7]
        self.rubric_n = [a + b for a, b in zip(self.rubric_n, row[8:], strict=True)]

    def set_sums(self, row: Sequence[float]) -> None:
        self.handle_sum, self.csat_sum, self.top_box_sum, self.churn_sum = row[:4]
        self.rubric_sum = list(row[4:])

    def merged(self, counts: Sequence[int], sums: Sequence[float]) -> _Group:
        """A copy with contact sums kept elsewhere (the agents' batch rows) added."""
        out = _Group()
        for name in self.__slots__:
            setattr(out, name, getattr(self, name))
        out.add_counts(counts)
        out.set_sums([a + b for a, b in zip(self.sum_row(), sums, strict=True)])
        return out

    def queue_figures(self) -> dict[str, Any]:
        return {
            "contacts": self.offered,
            "handled": self.answered,
            "abandoned": self.abandoned,
            "abandonment_rate": _ratio(self.abandoned, self.answered + self.abandoned),
            "asa_s": _ratio(self.wait_sum, self.answered),
            "service_level": _ratio(self.answered_within, self.answered + self.abandoned_after),
            "abandon_wait_s": _ratio(self.abandon_wait_sum, self.abandoned),
        }

    def contact_figures(self) -> dict[str, Any]:
        return {
            "finished": self.finished,
            # AHT = talk + hold + after-call work (the industry's definition)
            "aht_s": _ratio(self.handle_sum + self.acw_sum, self.finished),
            "hangup_rate": _ratio(self.hung_up, self.finished),
            "fcr": _ratio(self.fcr, self.finished),
            "csat_mean": _ratio(self.csat_sum, self.csat_n),
            "csat_top_box": _ratio(self.top_box_sum, self.csat_n),
            "churn_risk_mean": _ratio(self.churn_sum, self.churn_n),
            "cross_sell_offered": self.xs_offered,
            "cross_sell_accepted": self.accepted,
            "cross_sell_rate": _ratio(self.accepted, self.xs_offered),
            "risk_points": self.risk_points,
            "rubric": {
                k: _ratio(self.rubric_sum[i], self.rubric_n[i]) for i, k in enumerate(RUBRIC_KEYS)
            },
        }


_N_COUNTS = 8 + len(RUBRIC_KEYS)  # `_Group.count_row()`
_N_SUMS = 4 + len(RUBRIC_KEYS)  # `_Group.sum_row()`
_TIMELINE_KEYS: tuple[str, ...] = (
    "contact_id", "agent_id", "channel", "journey_id", "human", "seat", "arrived_at",
    "answered_at", "ended_at", "outcome", "csat_mean", "risk_points",
)  # fmt: skip


class _Reservoir:
    """A seeded uniform sample of at most `size` items: Li's algorithm L.

    Why not algorithm R: R draws a random number for every item, so a column batch would need a
    Python loop over all its rows; L draws only when an item enters and jumps over the ones in
    between (O(size · log(seen / size)) draws in all). Records are numbered 1, 2, ... as
    offered; `next` is the number of the next one to enter. `plan` offers a batch's rows at
    once and makes the same draws in the same order however the batches are cut, so the
    sample does not depend on them.
    """

    __slots__ = ("_rng", "_w", "items", "next", "seen", "size")

    def __init__(self, size: int, seed: int) -> None:
        self.size = max(0, int(size))
        self.items: list[dict[str, Any]] = []
        self.seen = 0
        self.next: float = 1 if self.size else math.inf
        self._rng = random.Random(seed)
        self._w = 1.0

    def _uniform(self) -> float:
        """A draw in (0, 1] (the logarithms below need it above 0)."""
        return 1.0 - self._rng.random()

    def _skip(self) -> float:
        """How many items to pass over before the next one enters."""
        w = self._w
        if w >= 1.0:
            return 0
        if w <= 0.0:
            return math.inf
        # portable log/log1p: the same sample on every CPU (customer_models.portable)
        gap = log1(self._uniform()) / log1p1(-w)
        return math.floor(gap) if gap < 1e18 else math.inf

    def advance(self) -> int:
        """Item number `next` enters: its slot (-1 = appended); moves `next` on."""
        k = self.size
        if self.next <= k:  # still filling: the first `size` items all enter
            if self.next == k:
                self._w = exp1(log1(self._uniform()) / k)
                self.next = k + self._skip() + 1
            else:
                self.next += 1
            return -1
        slot = self._rng.randrange(k)
        self._w *= exp1(log1(self._uniform()) / k)
        self.next += self._skip() + 1
        return slot

    def plan(self, n: int) -> list[tuple[int, int]]:
        """Offer the next `n` items at once: (row 0..n-1, slot) of those that enter, in order."""
        start = self.seen
        end = start + n
        out = []
        while self.next <= end:
            row = int(self.next) - start - 1
            out.append((row, self.advance()))
        self.seen = end
        return out

    def put(self, slot: int, item: dict[str, Any]) -> None:
        if slot < 0:
            self.items.append(item)
        else:
            self.items[slot] = item


def _floats(cols: Mapping[str, Any], key: str, n: int, missing: float) -> np.ndarray:
    """A numeric column as float64; NaN (None in a record) and absent read as `missing`."""
    col = cols.get(key)
    if col is None:
        return np.full(n, missing)
    arr = np.asarray(col, dtype=np.float64)
    if not math.isnan(missing):
        nan = np.isnan(arr)
        if nan.any():
            arr = np.where(nan, missing, arr)
    return arr


def _flags(cols: Mapping[str, Any], key: str, n: int) -> np.ndarray:
    """`bool(record[key])` per row (NaN is None: false)."""
    col = cols.get(key)
    if col is None:
        return np.zeros(n, dtype=bool)
    arr = np.asarray(col)
    if arr.dtype.kind == "f":
        return (arr != 0) & ~np.isnan(arr)
    return arr != 0


def _ints(cols: Mapping[str, Any], key: str, n: int) -> np.ndarray:
    """`int(record[key] or 0)` per row."""
    col = cols.get(key)
    if col is None:
        return np.zeros(n, dtype=np.int64)
    arr = np.asarray(col)
    if arr.dtype.kind == "f":
        arr = np.nan_to_num(arr, nan=0.0)
    return arr.astype(np.int64)


def _csat_probs(cols: Mapping[str, Any], n: int) -> np.ndarray | None:
    """The rows of `csat_probs` with a prediction (a row with a NaN has none)."""
    col = cols.get("csat_probs")
    if col is None:
        return None
    arr = np.asarray(col, dtype=np.float64).reshape(n, 5)
    valid = ~np.isnan(arr).any(axis=1)
    return arr if valid.all() else arr[valid]


def _truthy(cols: Mapping[str, Any], key: str, n: int) -> np.ndarray:
    """`bool(record[key])` per row of a column of any kind (e.g. the `seat` ids)."""
    col = cols.get(key)
    if col is None or isinstance(col, np.ndarray):
        return _flags(cols, key, n)
    return np.fromiter(map(bool, col), dtype=bool, count=n)


def _sequential_add(target: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    """target[rows[i]] += values[i] in row order, in place (one unbuffered `np.add.at` on the
    flattened arrays): each total grows exactly as one `+=` per record would make it."""
    m = target.shape[1]
    flat = (rows.astype(np.intp)[:, None] * m + np.arange(m)).ravel()
    np.add.at(target.reshape(-1), flat, values.reshape(-1))


def _add_to_groups(
    groups: Sequence[_Group | None], group_codes: np.ndarray, counts: np.ndarray, sums: np.ndarray
) -> None:
    """Add each row to the group `groups[code]` (None: not counted), sums in row order."""
    k = len(groups)
    count_rows = np.zeros((k, _N_COUNTS), dtype=np.int64)
    _sequential_add(count_rows, group_codes, counts)
    sum_rows = np.array([g.sum_row() if g is not None else [0.0] * _N_SUMS for g in groups])
    _sequential_add(sum_rows, group_codes, sums)
    for g, c, s in zip(groups, count_rows.tolist(), sum_rows.tolist(), strict=True):
        if g is not None:
            g.add_counts(c)
            g.set_sums(s)


class KpiAccumulator:
    """Feed it queue events and finished contact records; read KPIs at any moment.

    The engine calls `arrival()` when a contact is offered, `answered(wait_s)` when an agent
    takes it, `abandoned(wait_s)` when the customer leaves the queue, `contacts_finished(cols)`
    with a column batch of scored contacts (abandoned ones are accepted and only counted as
    such in the outcome mix), `agent_busy(agent_id, s)` / `staffed(agent_id, s)` for occupancy. The optional
    `channel` and `t` (sim seconds) arguments give per-channel figures and the interval
    timeline; without them those breakdowns stay empty but the KPIs are unaffected.
    """

    def __init__(
        self,
        threshold_s: float = 20.0,
        *,
        interval_s: float = 900.0,
        sample_size: int = 400,
        high_churn: float = 0.3,
        seed: int = 0,
        abandon_cutoff_s: float | None = None,
    ) -> None:
        if threshold_s < 0:
            raise ValueError("service-level threshold must be >= 0 seconds")
        self.threshold_s = float(threshold_s)
        #: an abandon after a longer wait counts against the service level (docs/scoring.md §
        #: Service level; default: the threshold, so abandons within it are left out)
        self.abandon_cutoff_s = self.threshold_s
        if abandon_cutoff_s is not None:
            self.service_level_rule(abandon_cutoff_s)
        self.interval_s = float(interval_s)
        self.sample_size = int(sample_size)
        self.high_churn = float(high_churn)
        self._total = _Group()
        self._agents: dict[str, _Group] = {}
        self._channels: dict[str, _Group] = {}
        self._journeys: dict[str, _Group] = {}
        self._intervals: dict[int, list[float]] = {}
        self._wait_hist = [0] * (WAIT_BINS + 1)
        self._handle_hist = [0] * (HANDLE_BINS + 1)
        self._csat_dist = [0.0] * 5
        self._risk_counts = dict.fromkeys(RISK_KEYS, 0)
        self._outcomes: dict[str, int] = {}
        self._churn_high = 0
        self._xs_by_fit: dict[str, list[int]] = {}
        self._reservoir = _Reservoir(self.sample_size, seed)
        self._human: list[dict[str, Any]] = []
        # Contact sums of the agents (`contacts_finished`): one row per agent, kept apart
        # from the `_Group`s (which hold their queue and shift figures) so a batch updates
        # ~150 agents with two numpy calls; `breakdowns()` adds them to the agent's `_Group`.
        self._batch_rows: dict[str, int] = {}
        self._batch_counts = np.zeros((0, _N_COUNTS), dtype=np.int64)
        self._batch_sums = np.zeros((0, _N_SUMS), dtype=np.float64)

    # -- queue events ---------------------------------------------------------------------
    @overload
    def _channel(self, channel: str) -> _Group: ...
    @overload
    def _channel(self, channel: str | None) -> _Group | None: ...
    def _channel(self, channel: str | None) -> _Group | None:
        if channel is None:
            return None
        group = self._channels.get(channel)
        if group is None:
            group = self._channels[channel] = _Group()
        return group

    @overload
    def _interval(self, t: float) -> list[float]: ...
    @overload
    def _interval(self, t: float | None) -> list[float] | None: ...
    def _interval(self, t: float | None) -> list[float] | None:
        """Counters of one interval: offered, answered, abandoned, within, abandoned_after,
        wait_sum, finished, handle_sum, csat_n, csat_sum."""
        if t is None:
            return None
        key = int(t // self.interval_s)
        row = self._intervals.get(key)
        if row is None:
            row = self._intervals[key] = [0.0] * 10
        return row

    def _interval_row(self, key: int) -> list[float]:
        row = self._intervals.get(key)
        if row is None:
            row = self._intervals[key] = [0.0] * 10
        return row

    # `arrival` and `answered` run for every contact: the channel and interval lookups are
    # written out in them rather than called (a third of their cost was the calls).
    def arrival(self, channel: str | None = None, t: float | None = None) -> None:
        self._total.offered += 1
        if channel is not None:
            g = self._channels.get(channel) or self._channel(channel)
            g.offered += 1
        if t is not None:
            row = self._intervals.get(int(t // self.interval_s)) or self._interval(t)
            row[0] += 1

    def answered(self, wait_s: float, channel: str | None = None, t: float | None = None) -> None:
        """An agent took the contact after `wait_s`; `t` is the arrival time if given."""
        within = wait_s <= self.threshold_s
        g = self._total
        g.answered += 1
        g.wait_sum += wait_s
        g.answered_within += within
        if channel is not None:
            g = self._channels.get(channel) or self._channel(channel)
            g.answered += 1
            g.wait_sum += wait_s
            g.answered_within += within
        if t is not None:
            row = self._intervals.get(int(t // self.interval_s)) or self._interval(t)
            row[1] += 1
            row[3] += within
            row[5] += wait_s
        self._wait_hist[min(int(wait_s // WAIT_BIN_S), WAIT_BINS)] += 1

    def service_level_rule(self, abandon_cutoff_s: float) -> None:
        """Which abandons count against the service level: those after a wait longer than
        `abandon_cutoff_s` (the threshold: the default; `ServiceLevelSpec.cutoff`). Set before
        the first contact."""
        self.abandon_cutoff_s = float(abandon_cutoff_s)

    def abandoned(self, wait_s: float, channel: str | None = None, t: float | None = None) -> None:
        """The customer hung up in the queue after `wait_s`; `t` is the arrival time if given."""
        after = wait_s > self.abandon_cutoff_s
        for g in (self._total, self._channel(channel)):
            if g is not None:
                g.abandoned += 1
                g.abandoned_after += after
                g.abandon_wait_sum += wait_s
        if (row := self._interval(t)) is not None:
            row[2] += 1
            row[4] += after

    def after_call_work(
        self, seconds: float, channel: str | None = None, agent_id: str | None = None
    ) -> None:
        """A finished contact's after-call work (it counts in AHT, as the industry does)."""
        self._total.acw_sum += seconds
        if channel is not None:
            self._channel(channel).acw_sum += seconds
        if agent_id is not None:
            self._agent(agent_id).acw_sum += seconds

    def agent_busy(self, agent_id: str, seconds: float) -> None:
        (self._agents.get(agent_id) or self._agent(agent_id)).busy_s += seconds
        self._total.busy_s += seconds

    def staffed(self, agent_id: str, seconds: float) -> None:
        self._agent(agent_id).staffed_s += seconds
        self._total.staffed_s += seconds

    def _agent(self, agent_id: str) -> _Group:
        group = self._agents.get(agent_id)
        if group is None:
            group = self._agents[agent_id] = _Group()
        return group

    # -- finished contacts ----------------------------------------------------------------
    def agent_info(self, agent_id: str, *, policy: str | None, human: bool) -> None:
        """Who an agent is, for the per-agent breakdown: its bot policy, or "human" for a
        seat a trainee plays (a seat played by a bot policy keeps that policy's name)."""
        group = self._agent(agent_id)
        group.human = group.human or bool(human)
        group.policy = policy if policy else ("human" if human else None)

    # -- column batches -------------------------------------------------------------------
    def contacts_finished(self, cols: Mapping[str, Any]) -> None:
        """Count a batch of finished contacts held as columns (see `sandbox.columns`; one
        contact is a batch of one): answered contacts of bots and seats, and abandoned ones,
        which count in the outcome mix only (their queue figures come from `abandoned()`).

        Float sums are added in row order from the running totals (`np.add.at`), so they grow
        exactly as one `+=` per contact would make them, however the batches are cut.
        """
        n = column_length(cols)
        if n == 0:
            return
        abandoned = _flags(cols, "abandoned", n)
        if abandoned.any():
            gone = int(np.count_nonzero(abandoned))
            self._outcomes["abandoned"] = self._outcomes.get("abandoned", 0) + gone
            if gone == n:
                return
            cols, n = take_rows(cols, np.flatnonzero(~abandoned)), n - gone
        human = _flags(cols, "human", n) | _truthy(cols, "seat", n)
        handle = _floats(cols, "handle_s", n, 0.0)
        csat = _floats(cols, "csat_mean", n, np.nan)
        has_csat = ~np.isnan(csat)
        churn = _floats(cols, "churn", n, np.nan)
        has_churn = ~np.isnan(churn)
        offered = _flags(cols, "cross_sell_offered", n)
        accepted = offered & _flags(cols, "cross_sell_accepted", n)
        resolved, out_names, out_codes = self._resolved(cols, n)
        rubric = np.full((n, len(RUBRIC_KEYS)), np.nan)
        for i, k in enumerate(RUBRIC_KEYS):
            col = cols.get(f"rubric_{k}")
            if col is not None:
                rubric[:, i] = col
        has_rubric = ~np.isnan(rubric)
        # one row per contact: what `_Group.finish` adds (missing values add 0, exactly)
        counts = np.empty((n, _N_COUNTS), dtype=np.int64)
        counts[:, 0] = 1
        counts[:, 1] = resolved
        counts[:, 2] = has_csat
        counts[:, 3] = has_churn
        counts[:, 4] = offered
        counts[:, 5] = accepted
        counts[:, 6] = _ints(cols, "risk_points", n)
        counts[:, 7] = _flags(cols, "hung_up", n)
        counts[:, 8:] = has_rubric
        sums = np.empty((n, _N_SUMS), dtype=np.float64)
        sums[:, 0] = handle
        sums[:, 1] = np.where(has_csat, csat, 0.0)
        sums[:, 2] = np.where(has_csat, _floats(cols, "csat_top_box", n, 0.0), 0.0)
        sums[:, 3] = np.where(has_churn, churn, 0.0)
        sums[:, 4:] = np.where(has_rubric, rubric, 0.0)

        _add_to_groups([self._total], np.zeros(n, dtype=np.intp), counts, sums)
        self._batch_agents(cols, n, counts, sums, human)
        channels = cols.get("channel")
        if channels is not None:
            names, ch_codes = codes(channels)
            groups = [None if c is None else self._channel(c) for c in names]
            _add_to_groups(groups, ch_codes, counts, sums)
        journey_ids = cols.get("journey_id")
        if journey_ids is not None:
            names, j_codes = codes(journey_ids)
            groups = [None if j is None else self._journey(str(j)) for j in names]
            _add_to_groups(groups, j_codes, counts, sums)

        outcomes = self._outcomes
        for name, count in zip(
            out_names, np.bincount(out_codes, minlength=len(out_names)).tolist(), strict=True
        ):
            outcomes[name] = outcomes.get(name, 0) + count
        bins = np.minimum(handle // HANDLE_BIN_S, HANDLE_BINS).astype(np.int64)
        hist = np.bincount(bins % (HANDLE_BINS + 1), minlength=HANDLE_BINS + 1).tolist()
        self._handle_hist = [a + b for a, b in zip(self._handle_hist, hist, strict=True)]
        probs = _csat_probs(cols, n)
        if probs is not None:
            start = np.array([self._csat_dist])
            _sequential_add(start, np.zeros(len(probs), dtype=np.intp), probs)
            self._csat_dist = start[0].tolist()
        risk_counts = self._risk_counts
        for key, column in _RISK_COLUMNS:
            if column in cols:
                risk_counts[key] += int(_ints(cols, column, n).sum())
        self._churn_high += int(np.count_nonzero(has_churn & (churn >= self.high_churn)))
        if offered.any():
            self._batch_cross_sell(cols, n, offered, accepted)
        if "arrived_at" in cols:
            self._batch_intervals(cols, n, handle, has_csat, sums[:, 1])
        self._batch_sample(cols, n)
        if human.any():  # a trainee handles tens of contacts: their full records are kept
            self._human.extend(records_from_columns(take_rows(cols, np.flatnonzero(human))))

    def _resolved(self, cols: Mapping[str, Any], n: int) -> tuple[np.ndarray, list[str], Any]:
        """Per row: resolved on this contact, and the outcome names with each row's code."""
        outcome = cols.get("outcome")
        if outcome is None:
            return _flags(cols, "resolved", n), ["unknown"], np.zeros(n, dtype=np.intp)
        uniq, out_codes = codes(outcome)
        names = [str(u or "unknown") for u in uniq]
        resolved = np.array([name in RESOLVING_OUTCOMES for name in names], dtype=bool)[out_codes]
        if None in uniq:  # no outcome: the record's `resolved` flag decides
            none = out_codes == uniq.index(None)
            resolved[none] = _flags(cols, "resolved", n)[none]
        return resolved, names, out_codes

    def _batch_agents(
        self,
        cols: Mapping[str, Any],
        n: int,
        counts: np.ndarray,
        sums: np.ndarray,
        human: np.ndarray,
    ) -> None:
        agent_ids = cols.get("agent_id")
        if agent_ids is None:
            return
        uniq, agent_codes = codes(agent_ids)
        keys = [None if a is None else str(a) for a in uniq]
        found = [None if k is None else self._batch_rows.get(k) for k in keys]
        if None in found:  # agents without a batch row yet (or rows without an agent)
            for j, key in enumerate(keys):
                if found[j] is None and key is not None:
                    self._agent(key)
                    found[j] = self._batch_row(key)
            found = [-1 if r is None else r for r in found]
        rows = np.array(found, dtype=np.intp)
        groups = [None if k is None else self._agents.get(k) for k in keys]
        if human.any():  # an agent with a seat's contact is a human seat
            for j in np.unique(agent_codes[human]).tolist():
                if (group := groups[j]) is not None:
                    group.human = True
        unset = [(j, g) for j, g in enumerate(groups) if g is not None and g.policy is None]
        if unset:  # the policy of the agent's first row with one, "human" for a seat's row
            policy = cols.get("policy")
            for j, group in unset:
                for i in np.flatnonzero(agent_codes == j).tolist():
                    if policy is not None and policy[i]:
                        group.policy = str(policy[i])
                        break
                    if human[i]:
                        group.policy = "human"
                        break
        row_of = rows[agent_codes]
        if (row_of < 0).any():
            keep = row_of >= 0
            row_of, counts, sums = row_of[keep], counts[keep], sums[keep]
        _sequential_add(self._batch_counts, row_of, counts)
        _sequential_add(self._batch_sums, row_of, sums)

    def _batch_row(self, agent_id: str) -> int:
        row = self._batch_rows[agent_id] = len(self._batch_rows)
        if row >= len(self._batch_counts):
            grow = max(64, len(self._batch_counts))
            self._batch_counts = np.vstack(
                [self._batch_counts, np.zeros((grow, _N_COUNTS), dtype=np.int64)]
            )
            self._batch_sums = np.vstack([self._batch_sums, np.zeros((grow, _N_SUMS))])
        return row

    def _journey(self, journey_id: str) -> _Group:
        group = self._journeys.get(journey_id)
        if group is None:
            group = self._journeys[journey_id] = _Group()
        return group

    def _agent_group(self, agent_id: str) -> _Group:
        """The agent's `_Group` with the sums of its batch-fed contacts added."""
        group = self._agents[agent_id]
        row = self._batch_rows.get(agent_id)
        if row is None:
            return group
        return group.merged(self._batch_counts[row].tolist(), self._batch_sums[row].tolist())

    def _batch_cross_sell(
        self, cols: Mapping[str, Any], n: int, offered: np.ndarray, accepted: np.ndarray
    ) -> None:
        """Offers and acceptances by fit word (`_fit_word` of each distinct label/level)."""
        idx = np.flatnonzero(offered)
        labels = cols.get("cross_sell_fit_label")
        if labels is None:
            label_names: list[Any] = [None]
            label_codes = np.zeros(len(idx), dtype=np.intp)
        else:
            label_names, all_codes = codes(labels)
            label_codes = all_codes[idx]
        fits = cols.get("cross_sell_fit")
        if fits is None:
            fit_values: list[Any] = [None] * len(idx)
        else:
            fit_values = column_list("cross_sell_fit", np.asarray(fits)[idx])
        fit_names, fit_codes = codes(fit_values)
        pair = label_codes * len(fit_names) + fit_codes
        pairs, pair_codes = np.unique(pair, return_inverse=True)
        n_offered = np.bincount(pair_codes, minlength=len(pairs)).tolist()
        took = np.bincount(pair_codes, weights=accepted[idx], minlength=len(pairs))
        n_accepted = took.astype(np.int64)
        by_fit = self._xs_by_fit
        for p, o, a in zip(pairs.tolist(), n_offered, n_accepted.tolist(), strict=True):
            word = _fit_word(label_names[p // len(fit_names)], fit_names[p % len(fit_names)])
            entry = by_fit.setdefault(word, [0, 0])
            entry[0] += o
            entry[1] += a

    def _batch_intervals(
        self,
        cols: Mapping[str, Any],
        n: int,
        handle: np.ndarray,
        has_csat: np.ndarray,
        csat: np.ndarray,
    ) -> None:
        arrived = _floats(cols, "arrived_at", n, np.nan)
        keep = ~np.isnan(arrived)
        keys = arrived[keep] // self.interval_s
        uniq, key_codes = np.unique(keys, return_inverse=True)
        rows = [self._interval_row(int(k)) for k in uniq.tolist()]
        values = np.stack([np.ones(len(keys)), handle[keep], has_csat[keep], csat[keep]], axis=1)
        start = np.array([r[6:10] for r in rows])
        _sequential_add(start, key_codes.reshape(-1), values)
        for r, new in zip(rows, start.tolist(), strict=True):
            r[6:10] = new

    def _batch_sample(self, cols: Mapping[str, Any], n: int) -> None:
        """The rows that enter the reservoir (all of them while it fills, then a few)."""
        res = self._reservoir
        if res.seen + n < res.next:
            res.seen += n
            return
        plan = res.plan(n)
        picked = np.array([row for row, _ in plan], dtype=np.intp)
        fields = {
            key: column_list(key, col[picked]) if isinstance(col, np.ndarray)
            else [col[i] for i in picked.tolist()]
            for key in _TIMELINE_KEYS if (col := cols.get(key)) is not None
        }  # fmt: skip
        for j, (_, slot) in enumerate(plan):
            res.put(slot, timeline_entry({key: values[j] for key, values in fields.items()}))

    # -- reading --------------------------------------------------------------------------
    def kpis(self) -> dict[str, Any]:
        """The session KPIs (`KPI_KEYS`; see the module docstring for definitions)."""
        t = self._total
        out = t.queue_figures()
        c = t.contact_figures()
        out.update(
            occupancy=_occupancy(t.busy_s, t.staffed_s),
            aht_s=c["aht_s"],
            fcr=c["fcr"],
            csat_mean=c["csat_mean"],
            csat_top_box=c["csat_top_box"],
            churn_risk_mean=c["churn_risk_mean"],
            cross_sell_offered=c["cross_sell_offered"],
            cross_sell_rate=c["cross_sell_rate"],
            risk_points=c["risk_points"],
            hangup_rate=c["hangup_rate"],
        )
        return {k: out[k] for k in KPI_KEYS}

    def breakdowns(self) -> dict[str, Any]:
        """Everything the results screen draws besides the KPI tiles (plain data)."""
        from sandbox.scoring import RISK_WEIGHTS

        t = self._total
        c = t.contact_figures()
        csat_total = sum(self._csat_dist)
        agents = []
        for agent_id in sorted(self._agents):
            g = self._agent_group(agent_id)
            row = {"agent_id": agent_id, "human": g.human, "policy": g.policy,
                   **g.contact_figures()}  # fmt: skip
            row["occupancy"] = _occupancy(g.busy_s, g.staffed_s)
            row["busy_s"] = g.busy_s
            row["staffed_s"] = g.staffed_s
            agents.append(row)
        channels = {
            name: {**g.queue_figures(), **g.contact_figures()}
            for name, g in sorted(self._channels.items())
        }
        intervals = []
        for key in sorted(self._intervals):
            r = self._intervals[key]
            intervals.append(
                {
                    "start_s": key * self.interval_s,
                    "contacts": int(r[0]),
                    "handled": int(r[1]),
                    "abandoned": int(r[2]),
                    "answered_within": int(r[3]),
                    "abandoned_after": int(r[4]),
                    "wait_sum_s": r[5],
                    "service_level": _ratio(r[3], r[1] + r[4]),
                    "asa_s": _ratio(r[5], r[1]),
                    "finished": int(r[6]),
                    "aht_s": _ratio(r[7], r[6]),
                    "csat_mean": _ratio(r[9], r[8]),
                }
            )
        return {
            "rubric": c["rubric"],
            "risk_counts_by_type": dict(self._risk_counts),
            "risk_points_by_type": {k: v * RISK_WEIGHTS[k] for k, v in self._risk_counts.items()},
            "csat_distribution": {
                "counts": [round(x, 6) for x in self._csat_dist],
                "shares": [x / csat_total if csat_total else None for x in self._csat_dist],
            },
            "cross_sell_funnel": {
                "contacts": t.finished,
                "offered": t.xs_offered,
                "accepted": t.accepted,
                "offer_rate": _ratio(t.xs_offered, t.finished),
                "acceptance_rate": _ratio(t.accepted, t.xs_offered),
                "by_fit": {
                    fit: {"offered": v[0], "accepted": v[1]}
                    for fit, v in sorted(self._xs_by_fit.items())
                },
            },
            "churn": {
                "mean": c["churn_risk_mean"],
                "high_risk": self._churn_high,
                "high_risk_threshold": self.high_churn,
                "scored": t.churn_n,
            },
            "outcomes": dict(sorted(self._outcomes.items())),
            "agents": agents,
            "channels": channels,
            "journeys": {jid: g.contact_figures() for jid, g in sorted(self._journeys.items())},
            "intervals": intervals,
            "interval_s": self.interval_s,
            "wait_histogram": {"bin_s": WAIT_BIN_S, "counts": list(self._wait_hist)},
            "handle_histogram": {"bin_s": HANDLE_BIN_S, "counts": list(self._handle_hist)},
            "threshold_s": self.threshold_s,
        }

    def timeline_sample(self) -> list[dict[str, Any]]:
        """The seeded reservoir sample of contact spans, in arrival order."""
        return sorted(
            self._reservoir.items, key=lambda e: (e.get("arrived_at") or 0.0, e["contact_id"])
        )

    def human_records(self) -> list[dict[str, Any]]:
        """Full records of human-seat contacts, in the order they finished."""
        return list(self._human)


def timeline_entry(record: Mapping[str, Any]) -> dict[str, Any]:
    """The few fields of a record the timeline chart needs."""
    return {
        "contact_id": str(record.get("contact_id")),
        "agent_id": record.get("agent_id"),
        "channel": record.get("channel"),
        "journey_id": record.get("journey_id"),
        "human": is_human(record),
        "arrived_at": record.get("arrived_at"),
        "answered_at": record.get("answered_at"),
        "ended_at": record.get("ended_at"),
        "outcome": record.get("outcome"),
        "csat_mean": record.get("csat_mean"),
        "risk_points": int(record.get("risk_points") or 0),
    }
