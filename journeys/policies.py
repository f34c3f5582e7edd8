"""Bot players for journeys: random, novice, competent, expert.

The engine's bot agents, `shapan journey bots` (difficulty balancing), exam calibration and the
tests use them. They read only the public `JourneyRun` API (`choices()`, `required_behaviours`)
so a bot sees exactly what a trainee sees — no peeking at journey internals. Pure Python, no
numpy on the one-contact path: one decision costs microseconds.

Determinism: every policy but the expert draws three uniforms per decision from the `rng` it
is given (`choose`), or reads them from an (n, 3) array (`choose_many`), so the same numbers
and the same choices on offer give the same decision. Each policy's rule at a node is one
*plan*: the candidates and the cumulative probabilities between them (`_plan`), so one
implementation decides for one contact or many.

What they model (docs/bots.md explains why and shows what it does to the library):
- expert — best practice: satisfy a pending calm three-step first, never take a risk, highest
  score, tie-break on good behaviours, then on the shorter action. Deterministic.
- competent — the expert's choice most of the time; slips to a lesser sound option
  (`COMPETENT_SLIP`), lapses into a mild slip of manner or a vague answer (`COMPETENT_LAPSE`,
  less often under a pending three-step), sometimes forgets the three-step; never a risk.
- novice — rushes: the quickest typical slip (skipping verification, interrupting, a script,
  rushing, jargon, a vague answer, a hard sell) `NOVICE_ERROR_RATE` of the time; otherwise the
  quickest sound option or the sound option that gets the most of the task done (no empathy
  work, no three-step). Never hostile, never invents an answer.
- random — uniform over the available choices.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import Any

from journeys.vocabulary import BEHAVIOURS

POLICIES: tuple[str, ...] = ("random", "novice", "competent", "expert")

#: Probability that the competent bot settles for a lesser sound option (no risk, no flagged
#: behaviour, score >= 0) where one is on offer.
COMPETENT_SLIP = 0.25
#: Probability that the competent bot lapses into a mild slip (`COMPETENT_LAPSES`, no risk) where
#: one is on offer, and while a calm three-step is pending (the alert is on screen: rarer).
COMPETENT_LAPSE = 0.15
COMPETENT_LAPSE_PENDING = 0.07
#: Probability that the competent bot answers as if no calm three-step were pending.
COMPETENT_FORGETS_TRIGGER = 0.2
#: Probability that the novice bot makes one of its typical slips when one is on offer.
NOVICE_ERROR_RATE = 0.45
#: When not slipping, how often the novice takes the quickest sound option (otherwise the
#: sound option that does the most of the task).
NOVICE_PREFERS_FASTEST = 0.5

#: Behaviours that are part of no mistake but cost the rubric a point (hold, transfer) are not
#: "mistakes" for the novice: those are legitimate tools.
_NOT_MISTAKES = frozenset({"hold", "transfer"})
#: The novice's typical mistakes: every behaviour that moves a rubric dimension down.
MISTAKE_BEHAVIOURS: frozenset[str] = frozenset(
    tag
    for tag, b in BEHAVIOURS.items()
    if any(direction < 0 for _, direction in b.rubric) and tag not in _NOT_MISTAKES
)
#: The novice's typical slips named by the training method's seeds: skipping verification,
#: interrupting, robotic scripts, rushing, jargon, a vague answer, pushing a sale. Hostile acts
#: (arguing, blaming, leaking data, overpromising) are not what novices tend to do, and a novice
#: who does not know says so vaguely rather than inventing a rule: wrong information is the
#: random clicker's, not the novice's.
NOVICE_TYPICAL: frozenset[str] = frozenset(
    {
        "skip_verification",
        "interrupt",
        "vague_info",
        "scripted",
        "rush",
        "jargon",
        "pushy_sales",
    }
)
#: The competent agent's lapses: manner under pressure (a script, jargon, rushing, cutting in)
#: or a vague answer when unsure — never a risk.
COMPETENT_LAPSES: frozenset[str] = frozenset(
    {"scripted", "jargon", "rush", "interrupt", "vague_info"}
)
#: What gets the customer's request done: the novice looks for these, not for the soft skills.
TASK_BEHAVIOURS: frozenset[str] = frozenset(
    {
        "offer_solution",
        "accurate_info",
        "explain",
        "compensate",
        "check_knowledge",
        "protect_privacy",
        "follow_up",
        "promise_callback",
    }
)
#: Good practice: behaviours that only move rubric dimensions up.
GOOD_BEHAVIOURS: frozenset[str] = frozenset(
    tag
    for tag, b in BEHAVIOURS.items()
    if b.rubric and all(direction > 0 for _, direction in b.rubric)
)


class PolicyError(ValueError):
    """An unknown policy name or a run with nothing to choose."""


# A view is a `ChoiceView` (or anything with its fields): risk types, behaviours and
# cross-sell (a `CrossSell` or None) as the runtime gives them.
def _risks(view: Any) -> tuple[str, ...]:
    return tuple(view.risk or ())


def _fit(view: Any) -> str | None:
    return view.cross_sell.fit if view.cross_sell else None


def _score(view: Any) -> float:
    return float(view.score or 0)


def _behaviours(view: Any) -> tuple[str, ...]:
    return tuple(view.behaviours or ())


def is_mistake(view: Any) -> bool:
    """A choice a quality reviewer would flag: a risk, a bad behaviour or a poorly fitting sale."""
    if _risks(view):
        return True
    if any(b in MISTAKE_BEHAVIOURS for b in _behaviours(view)):
        return True
    return _fit(view) == "low"


def _typical_slip(view: Any) -> bool:
    return any(b in NOVICE_TYPICAL for b in _behaviours(view)) or _fit(view) == "low"


def _goodness(view: Any) -> int:
    tags = _behaviours(view)
    return sum(t in GOOD_BEHAVIOURS for t in tags) - sum(t in MISTAKE_BEHAVIOURS for t in tags)


def _expert_key(view: Any, pending: frozenset[str]) -> tuple:
    base = _BASE_KEYS.get(id(view))
    if base is None or base[0] is not view:
        base = _base_key(view)
    if not pending:
        return base[1]
    covers = sum(b in pending for b in _behaviours(view))
    risks, _, score, goodness, time_s = base[1]
    return (risks, covers, score, goodness, time_s)


def _base_key(view: Any) -> tuple[Any, tuple]:
    """The parts of a view's expert key that do not depend on what is pending, memoised.

    Why: the runtime shares one immutable view per choice and availability, so the key is
    computed once per view rather than on every decision of every contact. The view itself is
    kept in the entry, so a reused `id()` of a dead object is never mistaken for it."""
    entry = (
        view,
        (
            -len(_risks(view)),
            0,
            _score(view),
            _goodness(view),
            -_time(view),
        ),
    )
    if _frozen(view):
        if len(_BASE_KEYS) > _BASE_KEYS_MAX:
            _BASE_KEYS.clear()
        _BASE_KEYS[id(view)] = entry
    return entry


#: id(view) -> (view, key without the pending part); only immutable (frozen) views are kept.
_BASE_KEYS: dict[int, tuple[Any, tuple]] = {}
_BASE_KEYS_MAX = 100_000


def _ranked(views: Sequence[Any], pending: frozenset[str]) -> list[Any]:
    """Best first; stable, so equal keys keep journey order."""
    return sorted(views, key=lambda v: _expert_key(v, pending), reverse=True)


def _best(views: Sequence[Any], pending: frozenset[str]) -> Any:
    """`_ranked(views, pending)[0]` without sorting: `max` keeps the first of equal keys."""
    return max(views, key=lambda v: _expert_key(v, pending))


_NOTHING_PENDING: frozenset[str] = frozenset()


def _available(run: Any) -> list[Any]:
    views = [v for v in run.choices() if getattr(v, "available", True)]
    if not views:
        raise PolicyError(f"no choice available at node {getattr(run, 'node_id', '?')!r}")
    return views


def _fastest(views: Iterable[Any]) -> Any:
    return min(views, key=_time)


def choose(policy: str, run: Any, rng: Any) -> str:
    """Return the id of the choice `policy` makes at the run's current node.

    The same rules as `choose_many` (one `_plan` of candidates and thresholds) for one
    contact, fed three uniforms from `rng.random()` (the expert draws none, so `rng` may be
    None for it): the engine, offline play and the designer's tools decide exactly alike for
    the same numbers, whether one contact or many are played at a time."""
    views = _available(run)
    required = getattr(run, "required_behaviours", ())
    pending = frozenset(required) if required else _NOTHING_PENDING
    candidates, rule = _plan(policy, views, pending)
    if rule[0] == "expert":
        return str(candidates[0].id)
    u0, _, _ = rng.random(), rng.random(), rng.random()  # three per decision, whatever is used
    return str(candidates[_index(rule, u0)].id)


def choose_many(
    policy: str, views: Sequence[Any], pending: frozenset[str], draws: Any
) -> tuple[list[Any], Any]:
    """The choices `policy` makes for many contacts at the same node and state at once.

    `views`: the available choices (as `run.choices()` gives them); `draws`: a numpy array of
    uniforms in [0, 1), shape (n, 3), one row per contact. Returns (candidates, index) where
    `candidates[index[i]]` is contact i's choice, exactly what `choose` picks with an rng
    whose three `random()` draws are draws[i]."""
    import numpy as np

    views = list(views)
    if not views:
        raise PolicyError("no choice available")
    candidates, rule = _plan(policy, views, pending)
    if rule[0] == "expert":
        return candidates, np.zeros(len(draws), dtype=np.intp)
    return candidates, _index_many(rule, draws)


def _plan(
    policy: str, views: list[Any], pending: frozenset[str]
) -> tuple[list[Any], tuple[Any, ...]]:
    """The policy's candidates at this node and the rule that picks one from three uniforms
    (`_index`, `_index_many`). Memoised per (policy, views, pending): the runtime shares one
    immutable view per choice and availability, so a node's plan is made once."""
    key = (policy, tuple(map(id, views)), pending)
    hit = _PLANS.get(key)
    if hit is not None:  # the entry keeps its views alive, so equal ids are the same views
        return hit[1], hit[2]
    candidates, rule = _make_plan(policy, views, pending)
    if all(_frozen(v) for v in views):
        if len(_PLANS) > _BASE_KEYS_MAX:
            _PLANS.clear()
        _PLANS[key] = (tuple(views), candidates, rule)
    return candidates, rule


def _frozen(view: Any) -> bool:
    params = getattr(view, "__dataclass_params__", None)
    return params is not None and bool(getattr(params, "frozen", False))


#: (policy, ids of the views, pending) -> (views, candidates, rule); see `_plan`.
_PLANS: dict[tuple[Any, ...], tuple[tuple[Any, ...], list[Any], tuple[Any, ...]]] = {}


def _make_plan(
    policy: str, views: list[Any], pending: frozenset[str]
) -> tuple[list[Any], tuple[Any, ...]]:
    if policy == "expert":
        return [_best(views, pending)], ("expert",)
    if policy == "random":
        return list(views), ("random", len(views))
    if policy == "competent":
        weights = _competent_weights(views, pending)
    elif policy == "novice":
        weights = _novice_weights(views)
    else:
        raise PolicyError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")
    candidates = [v for v in views if weights.get(id(v), 0.0) > 0.0]
    total = sum(weights[id(v)] for v in candidates)
    cumulative: list[float] = []
    running = 0.0
    for v in candidates:
        running += weights[id(v)]
        cumulative.append(running / total)
    return candidates, ("weighted", tuple(cumulative))


def _spread(weights: dict[int, float], views: Sequence[Any], mass: float) -> float:
    """Add `mass` evenly over `views`; returns the mass placed (0 when there are none)."""
    if not views:
        return 0.0
    for v in views:
        weights[id(v)] = weights.get(id(v), 0.0) + mass / len(views)
    return mass


def _sound(view: Any) -> bool:
    """Defensible: no risk, no flagged behaviour, no poorly fitting sale, no penalty."""
    return not is_mistake(view) and _score(view) >= 0


def _serious(view: Any) -> bool:
    """A flagged behaviour that is no typical novice slip: arguing, blaming, leaking data,
    overpromising, a flat refusal, wrong information."""
    return any(b in MISTAKE_BEHAVIOURS and b not in NOVICE_TYPICAL for b in _behaviours(view))


def _competent_weights(views: list[Any], pending: frozenset[str]) -> dict[int, float]:
    """The expert's choice, less the slips: a lesser sound option, a mild lapse (rarer under
    a pending three-step) and forgetting the three-step; each only where it is on offer."""
    best = _best(views, pending)
    weights: dict[int, float] = {}
    rest = 1.0
    if pending:
        forgot = _best(views, frozenset())
        if forgot is not best:
            rest -= _spread(weights, [forgot], COMPETENT_FORGETS_TRIGGER)
    lesser = [v for v in views if v is not best and _sound(v)]
    lapses = [
        v
        for v in views
        if v is not best
        and not _risks(v)
        and not _serious(v)
        and any(b in COMPETENT_LAPSES for b in _behaviours(v))
    ]
    rest -= _spread(weights, lesser, COMPETENT_SLIP)
    rest -= _spread(weights, lapses, COMPETENT_LAPSE_PENDING if pending else COMPETENT_LAPSE)
    _spread(weights, [best], rest)
    return weights


def _novice_weights(views: list[Any]) -> dict[int, float]:
    """Rushes: the quickest typical slips; otherwise the quickest sound option or the sound
    option doing most of the task. Never a serious act while anything else is on offer."""
    weights: dict[int, float] = {}
    slips = [v for v in views if _typical_slip(v) and not _serious(v)]
    if slips:
        quickest = min(_time(v) for v in slips)
        slips = [v for v in slips if _time(v) <= quickest * 1.5]
    sound = (
        [v for v in views if _sound(v)]
        or [v for v in views if not is_mistake(v)]
        or [v for v in views if not _serious(v)]
        or list(views)
    )
    rest = 1.0 - _spread(weights, slips, NOVICE_ERROR_RATE)
    fast = rest * NOVICE_PREFERS_FASTEST
    _spread(weights, [_fastest(sound)], fast)
    _spread(weights, [_task(sound)], rest - fast)
    return weights


def _task(views: Sequence[Any]) -> Any:
    """The option doing the most of the customer's request (`TASK_BEHAVIOURS`), then the
    higher score, then the quicker: what a novice who tries to resolve picks."""
    return max(
        views,
        key=lambda v: (sum(b in TASK_BEHAVIOURS for b in _behaviours(v)), _score(v), -_time(v)),
    )


def _time(view: Any) -> float:
    return float(view.time_s or 0)


# The rule for one contact and for many: `_index` and its array form `_index_many` read the
# same plan (tests/library/test_lib_policies.py checks they agree on random draws). Three
# uniforms per decision are drawn whatever the rule uses, so streams stay aligned.
def _index(rule: tuple[Any, ...], u0: float) -> int:
    if rule[0] == "random":
        return _pick1(u0, rule[1])
    cumulative = rule[1]  # weighted: the first candidate whose cumulative share exceeds u0
    return min(bisect_right(cumulative, u0), len(cumulative) - 1)


def _index_many(rule: tuple[Any, ...], draws: Any) -> Any:
    import numpy as np

    u0 = draws[:, 0]
    if rule[0] == "random":
        return _pick(u0, rule[1])
    cumulative = np.asarray(rule[1], dtype=np.float64)
    return np.minimum(np.searchsorted(cumulative, u0, side="right"), len(cumulative) - 1)


def _pick1(u: float, k: int) -> int:
    """`_pick` for one uniform."""
    return min(int(u * k), k - 1)


def _pick(u: Any, k: int) -> Any:
    """Uniform index in range(k) from uniforms in [0, 1) (clipped against rounding up)."""
    import numpy as np

    return np.minimum((u * k).astype(np.intp), k - 1)
