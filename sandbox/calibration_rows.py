"""The calibration table (shared/calibration.md), measured by playing contacts through the engine.

Why through the engine: a relationship is only worth reporting if it holds for the contacts a
trainee meets — queued, drained of patience, reacting to the agent, hanging up, played by the
bot policies with the engine's one contact kernel. So every outcome row is computed on
contacts of real engine runs (`sandbox.session.Session`, the `full-day` scenario):

- the shipped `full-day` (8 h, its own staffing) — the realistic center: rows 12-15;
- the same center for 2 h staffed with one policy mix each (random, novice, novice+competent,
  competent, competent+expert, expert) — the centers of row 1, the competent one for row 2.

All answered contacts of all centers together are the population of rows 3-11. The outcome
models under test predict every contact (rows 11 and 15 also on the same contacts with the
contract or the fit changed). Each statistic gets a 95% percentile bootstrap interval over
contacts (`sandbox.bootstrap`). The runs go through the sweep executor (`sandbox.sweeps`), one
task per center, seeds per task, so the table is the same on any number of workers.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

#: Master seed of the engine runs (each center's run seed derives from it and its index).
CALIBRATION_SEED = 7_000_003
#: Hours each policy-mix center runs (the shipped center runs its full day).
CENTER_HOURS = 2.0
SCENARIO = "full-day"
#: Policy mixes of the centers (agents of each group split evenly between the policies).
CENTER_MIXES: tuple[tuple[str, ...], ...] = (
    ("random",),
    ("novice",),
    ("novice", "competent"),
    ("competent",),
    ("competent", "expert"),
    ("expert",),
)
#: None = the scenario's own staffing (the realistic center).
CENTERS: tuple[tuple[str, ...] | None, ...] = (*CENTER_MIXES, None)
COMPETENT = CENTERS.index(("competent",))
REALISTIC = CENTERS.index(None)
#: Bootstrap resamples (drawn in chunks to bound memory).
RESAMPLES = 400
_CHUNK = 25

#: Columns a center's run hands back (raw features + what the rows and KPIs need).
_EXTRA = ("abandoned", "contact_id", "policy", "journey_id", "outcome", "channel")


def center_name(mix: tuple[str, ...] | None) -> str:
    return "full-day as shipped" if mix is None else "+".join(mix)


def _center_scenario(mix: tuple[str, ...] | None, hours: float | None = None) -> Any:
    """The center's scenario: full-day as shipped, or `CENTER_HOURS` of it staffed with one
    policy mix (`hours` shortens either, for tests)."""
    from sandbox.scenario import load_scenario

    sc = load_scenario(SCENARIO)
    if mix is None:
        return sc if hours is None else sc.with_overrides(hours=hours)
    sc = sc.with_overrides(hours=CENTER_HOURS if hours is None else hours)
    groups = []
    for g in sc.agents:
        shares = [g.count // len(mix) + (i < g.count % len(mix)) for i in range(len(mix))]
        for i, (policy, count) in enumerate(zip(mix, shares, strict=True)):
            if count:
                gid = g.id if len(mix) == 1 else f"{g.id}-{policy}-{i}"
                groups.append(dataclasses.replace(g, id=gid, policy=policy, count=count))
    return dataclasses.replace(sc, agents=tuple(groups))


class _Columns:
    """A recorder writer that keeps every column batch the engine emits."""

    def __init__(self, keys: tuple[str, ...]):
        self.keys = keys
        self.parts: dict[str, list[Any]] = {k: [] for k in keys}

    def write_columns(self, cols: Mapping[str, Any]) -> None:
        for k in self.keys:
            col = cols[k]
            self.parts[k].append(col if isinstance(col, np.ndarray) else np.asarray(col, object))

    def joined(self) -> dict[str, np.ndarray]:
        return {k: np.concatenate(v) if v else np.asarray([]) for k, v in self.parts.items()}


#: One sweep task: (center index, run seed or None for the scenario's own, hours or None
#: for the center's own).
CenterTask = tuple[int, int | None, float | None]


def play_center(task: CenterTask) -> dict[str, Any]:
    """Worker: run one center through the engine; its contacts' columns, the scenario's
    inputs (rows 12, 14) and its KPIs."""
    from customer_models.features import RAW_FIELDS
    from sandbox.session import Session

    index, seed, hours = task
    sc = _center_scenario(CENTERS[index], hours)
    session = Session(sc, seed=seed)
    run_seed = session.seed
    keep = _Columns(tuple(dict.fromkeys((*RAW_FIELDS, *_EXTRA))))
    session.recorder.writers.append(keep)
    session.run_to_end()
    kpis = session.results()["kpis"]
    session.close()
    return {"columns": keep.joined(), "kpis": kpis, "inputs": scenario_inputs(sc),
            "seed": run_seed}  # fmt: skip


def scenario_inputs(sc: Any) -> dict[str, Any]:
    """What the scenario puts in as rows 12 and 14: its service model (with each channel's
    after-call work, if any) and its arrivals, as plain data (whatever fields it declares)."""
    service = _plain(sc.service)
    arrivals = {}
    for ch in sc.channels:
        prof = list(ch.profile)
        arrivals[ch.name] = {
            "per_hour": ch.arrivals_per_hour,
            "peak_over_first": max(prof) / prof[0] if prof and prof[0] else None,
            "day_factor_cv": ch.day_factor_cv,
            "interval_cv": getattr(ch, "interval_cv", 0.0),
            "after_call_work": _plain(getattr(ch, "after_call_work", None)),
        }
    return {"service": service, "arrivals": arrivals}


def _plain(obj: Any) -> Any:
    if obj is None:
        return None
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {k: _plain(v) for k, v in dataclasses.asdict(obj).items()}
    if isinstance(obj, Mapping):
        return {str(k): _plain(v) for k, v in obj.items()}
    return obj if isinstance(obj, str | int | float | bool) else str(obj)


def _words(d: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}"
                     for k, v in d.items() if v is not None)  # fmt: skip


def _bootstrap(
    fn: Any, n: int, seed: int, resamples: int = RESAMPLES
) -> dict[str, tuple[float, float]]:
    """95% percentile intervals of every statistic `fn(weights)` returns, resampling contacts
    (`sandbox.bootstrap.resample_indices`; a resample is given as each contact's count)."""
    from sandbox.bootstrap import percentile_interval, resample_indices

    draws: dict[str, list[float]] = {}
    for c in range(0, resamples, _CHUNK):
        idx = resample_indices(n, seed + c, min(_CHUNK, resamples - c))
        for row in idx:
            for k, v in fn(np.bincount(row, minlength=n)).items():
                draws.setdefault(k, []).append(v)
    out = {}
    for k, vals in draws.items():
        a = np.asarray(vals, dtype=float)
        a = a[np.isfinite(a)]
        if a.size:
            out[k] = percentile_interval(a)
    return out


def play_centers(seed: int, sweep: Any = None, hours: float | None = None) -> list[dict[str, Any]]:
    """Every center's run (in center order), through `sweep` (in process when None). With the
    default seed the realistic center runs on full-day's own seed: its figures are those of
    `shapan run --scenario full-day`."""
    from sandbox.sweeps import Sweep, task_seed

    # the longest run first, so two workers finish together
    order = [REALISTIC, *(i for i in range(len(CENTERS)) if i != REALISTIC)]
    tasks: list[CenterTask] = [
        (i, None if i == REALISTIC and seed == CALIBRATION_SEED else task_seed(seed, i), hours)
        for i in order
    ]
    done = (sweep or Sweep()).map(play_center, tasks)
    by_index = dict(zip(order, done, strict=True))
    return [by_index[i] for i in range(len(CENTERS))]


def all_rows(
    models: Any = None, seed: int | None = None, sweep: Any = None, hours: float | None = None
) -> list[dict[str, Any]]:
    """The calibration table, in row order: every outcome row measured on engine-played
    contacts with a 95% bootstrap interval; inputs and generator-asserted rows as inputs.
    `hours` runs every center that long instead (a quick table for tests; not the table)."""
    from customer_models import calibration as cal
    from customer_models.models import OutcomeModels
    from sandbox.engine.recorder import accept_draw

    models = models or OutcomeModels.load_default()
    seed = CALIBRATION_SEED if seed is None else seed
    runs = play_centers(seed, sweep, hours)

    parts: list[dict[str, np.ndarray]] = []
    centers: list[np.ndarray] = []
    abandoned_waits = np.zeros(0)
    for k, run in enumerate(runs):
        cols = run["columns"]
        gone = np.asarray(cols["abandoned"], dtype=float) > 0
        answered = {key: np.asarray(v)[~gone] for key, v in cols.items()}
        prepared = cal.prepare(answered, models)
        # an offer is taken as the engine decides it: the contact's own uniform draw
        accepted = np.zeros(len(prepared["offered"]))
        for i in np.flatnonzero(prepared["offered"]).tolist():
            draw = accept_draw(run["seed"], str(answered["contact_id"][i]))
            accepted[i] = float(draw < prepared["xs"][i])
        prepared["accepted"] = accepted
        parts.append(prepared)
        centers.append(np.full(int((~gone).sum()), k))
        if k == REALISTIC:
            abandoned_waits = np.asarray(cols["wait_s"], dtype=float)[gone]
    pop = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    pop["effort_band"] = cal.quintile_bands(pop["effort"])  # bands of the whole population
    center = np.concatenate(centers)
    n = len(center)

    def stats_of(weights: np.ndarray | None) -> dict[str, float]:
        return cal.statistics(pop, center, len(CENTERS), COMPETENT, REALISTIC, weights)

    stats = stats_of(None)
    cis = _bootstrap(stats_of, n, seed)
    rows = [cal.judged_row(rid, stats, cis) for rid in cal.JUDGES]
    rows[0]["details"]["centers"] = [center_name(m) for m in CENTERS]
    real = runs[REALISTIC]
    # the run's own KPI (predicted by the shipped models inside the engine): with the shipped
    # models and the default seed, row 15 is `shapan run --scenario full-day`'s conversion
    row15 = next(r for r in rows if r["id"] == 15)["details"]
    row15["run_cross_sell_rate"] = real["kpis"].get("cross_sell_rate")
    row15["run_seed"] = real["seed"]
    rows.append(_row13(abandoned_waits, seed))
    rows.append(_row12(real))
    rows.append(_row14(real))
    return sorted(rows, key=lambda r: r["id"])


def _row13(waits: np.ndarray, seed: int) -> dict[str, Any]:
    """Abandoners' observed mean wait in full-day (an outcome of patience and load)."""
    from customer_models import calibration as cal
    from sandbox.bootstrap import mean_intervals

    n = len(waits)
    mean = float(waits.mean()) if n else float("nan")
    ci = mean_intervals(waits, seed) [0] if n else None  # fmt: skip
    ok = n > 0 and 37.0 <= mean <= 72.0
    median = float(np.median(waits)) if n else float("nan")
    text = (
        f"{mean:.1f} s [95% CI {ci[0]:.1f} … {ci[1]:.1f} s]; {n} abandoners in {SCENARIO}, "
        f"median {median:.1f} s"
        if ci is not None else f"no abandoner in {SCENARIO}"
    )  # fmt: skip
    return cal.make_row(13, text, mean, ci, "pass" if ok else "fail", abandoners=n,
                        median_s=median)  # fmt: skip


def _row12(run: Mapping[str, Any]) -> dict[str, Any]:
    """Handle time: the scenario's service model, with what it gave for information."""
    from customer_models import calibration as cal

    cols = run["columns"]
    gone = np.asarray(cols["abandoned"], dtype=float) > 0
    phone = (np.asarray(cols["channel"], dtype=object) == "phone") & ~gone
    h = np.asarray(cols["handle_s"], dtype=float)[phone]
    svc = run["inputs"]["service"]
    used = "service " + _words(svc)
    acw = {ch: a["after_call_work"] for ch, a in run["inputs"]["arrivals"].items()
           if a.get("after_call_work")}  # fmt: skip
    if acw:
        used += "; after-call work " + "; ".join(f"{ch} {_words(d)}" for ch, d in acw.items())
    if h.size:
        logs = np.log(h[h > 0])
        skew = float(((logs - logs.mean()) ** 3).mean() / logs.std() ** 3) if logs.size > 2 else 0.0
        within = float(((h >= 180) & (h <= 420)).mean())
        info = (f"; gave phone AHT {h.mean() / 60:.1f} min, median {np.median(h) / 60:.1f} min, "
                f"{100 * within:.0f}% within 3–7 min, skew of log(handle) {skew:+.2f}")  # fmt: skip
    else:
        info = ""
    return cal.make_row(12, f"input: {used}{info}", float(h.mean()) if h.size else None, None,
                        "input", service=svc)  # fmt: skip


def _row14(run: Mapping[str, Any]) -> dict[str, Any]:
    """Arrivals: the scenario's time-of-day profile and day-level rate factor."""
    from customer_models import calibration as cal

    arr = run["inputs"]["arrivals"]
    parts = []
    for name, a in arr.items():
        peak = a["peak_over_first"]
        shape = (
            f", peak {peak:.1f}× the first hour" if peak is not None and math.isfinite(peak) else ""
        )
        parts.append(f"{name} {a['per_hour']:g}/h{shape}, day factor CV {a['day_factor_cv']:g}, "
                     f"interval CV {a['interval_cv']:g}")  # fmt: skip
    phone = arr.get("phone", {}).get("peak_over_first")
    return cal.make_row(14, "input: time-varying Poisson, " + "; ".join(parts), phone, None,
                        "input", arrivals=arr)  # fmt: skip
