"""Bot players for journeys: random, novice, competent, expert.

The engine's bot agents, `shapan journey bots` (difficulty balancing) and the tests use them.
They read only the public `JourneyRun` API (`choices()`, `required_behaviours`, `state`) so a
bot sees exactly what a trainee sees — no peeking at journey internals. Pure Python, no numpy:
one decision costs microseconds.

Determinism: every policy but the expert draws three uniforms per decision from the `rng` it
is given (`choose`), or reads them from an (n, 3) array (`choose_many`), so the same numbers
and the same choices on offer give the same decision.

What they model (docs/bots.md explains why):
- expert — best practice: satisfy a pending calm three-step first, never take a risk, highest
  score, tie-break on good behaviours, then on the shorter action.
- competent — the expert 75–80% of the time; otherwise a lesser but risk-free option; sometimes
  forgets the three-step.
- novice — the typical mistakes of the training method's seeds (skip verification, interrupt,
  vague or wrong info, no empathy, pushing a sale) about 45% of the time; otherwise the fastest
  sound option half the time (short answers, no empathy work), any sound option otherwise.
- random — uniform over the available choices.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from journeys.vocabulary import BEHAVIOURS

POLICIES: tuple[str, ...] = ("random", "novice", "competent", "expert")

#: Probability that the competent bot settles for a lesser (still risk-free) option.
COMPETENT_SLIP = 0.25
#: Probability that the competent bot forgets a pending calm three-step.
COMPETENT_FORGETS_TRIGGER = 0.2
#: Probability that the novice bot makes one of the typical mistakes when one is on offer.
NOVICE_ERROR_RATE = 0.45
#: When not making a mistake, how often the novice takes the quickest sound option.
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
#: interrupting, vague or wrong information, robotic scripts, rushing, jargon, pushing a sale.
#: Hostile acts (arguing, blaming, leaking data, overpromising) are not what novices *tend* to do;
#: they happen to a novice only when nothing else is on offer.
NOVICE_TYPICAL: frozenset[str] = frozenset(
    {
        "skip_verification",
        "interrupt",
        "vague_info",
        "wrong_info",
        "scripted",
        "rush",
        "jargon",
        "pushy_sales",
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


def _risks(view: Any) -> tuple[str, ...]:
    risk = getattr(view, "risk", None)
    if not risk:
        return ()
    if isinstance(risk, str):
        return (risk,)
    return tuple(risk)


def _fit(view: Any) -> str | None:
    offer = getattr(view, "cross_sell", None)
    if not offer:
        return None
    if isinstance(offer, dict):
        return offer.get("fit")
    return getattr(offer, "fit", None)


def _score(view: Any) -> float:
    return float(getattr(view, "score", 0) or 0)


def _behaviours(view: Any) -> tuple[str, ...]:
    return tuple(getattr(view, "behaviours", ()) or ())


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
            -float(getattr(view, "time_s", 0) or 0),
        ),
    )
    if getattr(view, "__dataclass_params__", None) is not None and getattr(
        view.__dataclass_params__, "frozen", False
    ):
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


def _available(run: Any) -> list[Any]:
    views = [v for v in run.choices() if getattr(v, "available", True)]
    if not views:
        raise PolicyError(f"no choice available at node {getattr(run, 'node_id', '?')!r}")
    return views


def _fastest(views: Iterable[Any]) -> Any:
    return min(views, key=lambda v: float(getattr(v, "time_s", 0) or 0))


def choose(policy: str, run: Any, rng: Any) -> str:
    """Return the id of the choice `policy` makes at the run's current node.

    The same rules as `choose_many` (one `_plan` of candidates and thresholds) for one
    contact, fed three uniforms from `rng.random()` (the expert draws none, so `rng` may be
    None for it): the engine, offline play and the designer's tools decide exactly alike for
    the same numbers, whether one contact or many are played at a time."""
    views = _available(run)
    pending = frozenset(getattr(run, "required_behaviours", ()) or ())
    candidates, rule = _plan(policy, views, pending)
    if rule[0] == "expert":
        return str(candidates[0].id)
    return str(candidates[_index(rule, rng.random(), rng.random(), rng.random())].id)


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
    if hit is not None and all(a is b for a, b in zip(hit[0], views, strict=True)):
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
        best = _best(views, pending)
        forgot = _best(views, frozenset()) if pending else best
        ranked = _ranked(views, pending)
        lesser = [v for v in ranked[1:] if not _risks(v) and _fit(v) != "low"]
        lesser = [v for v in lesser if _score(v) >= 0] or [ranked[0]]
        return [best, forgot, *lesser], ("competent", len(lesser), bool(pending))
    if policy == "novice":
        mistakes = [v for v in views if _typical_slip(v)] or [v for v in views if is_mistake(v)]
        clean = [v for v in views if not is_mistake(v)]
        sound = [v for v in clean if _score(v) >= 0] or clean or views
        candidates = [_fastest(sound), *sound]
        pool: list[Any] = []
        if mistakes:
            quickest = min(float(getattr(v, "time_s", 0) or 0) for v in mistakes)
            pool = [v for v in mistakes if float(getattr(v, "time_s", 0) or 0) <= quickest * 1.5]
        return [*candidates, *pool], ("novice", len(sound), len(pool))
    raise PolicyError(f"unknown policy {policy!r}; choose one of {', '.join(POLICIES)}")


# The rules, for one contact and for many: each line of `_index` has its array form in
# `_index_many` (tests/library/test_lib_policies.py checks they agree on random draws).
def _index(rule: tuple[Any, ...], u0: float, u1: float, u2: float) -> int:
    kind = rule[0]
    if kind == "random":
        return _pick1(u0, rule[1])
    if kind == "competent":
        _, n_lesser, pending = rule
        if pending and u0 < COMPETENT_FORGETS_TRIGGER:
            return 1
        return 0 if u0 <= 1.0 - COMPETENT_SLIP else 2 + _pick1(u1, n_lesser)
    _, n_sound, n_pool = rule  # novice
    if n_pool and u0 < NOVICE_ERROR_RATE:
        return 1 + n_sound + _pick1(u1, n_pool)
    return 0 if u1 < NOVICE_PREFERS_FASTEST else 1 + _pick1(u2, n_sound)


def _index_many(rule: tuple[Any, ...], draws: Any) -> Any:
    import numpy as np

    kind = rule[0]
    u0, u1, u2 = draws[:, 0], draws[:, 1], draws[:, 2]
    if kind == "random":
        return _pick(u0, rule[1])
    if kind == "competent":
        _, n_lesser, pending = rule
        index = np.where(u0 <= 1.0 - COMPETENT_SLIP, 0, 2 + _pick(u1, n_lesser))
        return np.where(u0 < COMPETENT_FORGETS_TRIGGER, 1, index) if pending else index
    _, n_sound, n_pool = rule  # novice
    index = np.where(u1 < NOVICE_PREFERS_FASTEST, 0, 1 + _pick(u2, n_sound))
    if n_pool:
        index = np.where(u0 < NOVICE_ERROR_RATE, 1 + n_sound + _pick(u1, n_pool), index)
    return index


def _pick1(u: float, k: int) -> int:
    """`_pick` for one uniform."""
    return min(int(u * k), k - 1)


def _pick(u: Any, k: int) -> Any:
    """Uniform index in range(k) from uniforms in [0, 1) (clipped against rounding up)."""
    import numpy as np

    return np.minimum((u * k).astype(np.intp), k - 1)
