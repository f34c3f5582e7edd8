"""Exact queueing theory the engine is validated against: Erlang B, Erlang C and Erlang A.

Why it exists: staffing questions ("how many agents for 80/20?") have closed-form answers for
exponential service, and the simulator must reproduce them (see tests/analytics). Everything is
computed in log space or with normalised recursions, so hundreds of agents neither overflow nor
underflow.

Notation: λ arrivals per second, μ = 1/AHT, a = λ/μ offered load in Erlang, n agents,
θ = 1/mean patience, t the service-level threshold in seconds.

Service level definition (the same one `sandbox.kpis` uses for simulated sessions):

    service_level = answered within t / (answered + abandoned after t)

i.e. abandons shorter than the threshold ("short abandons") are excluded, as most ACD and WFM
tools do by default. Erlang A additionally reports the share of *offered* contacts answered
within t (`sl_offered`) and of *answered* contacts (`sl_answered`). Without abandonment the
three coincide.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np


class UnstableQueueError(ValueError):
    """Erlang C has no steady state when the agents cannot keep up (n <= a)."""


@dataclass(frozen=True)
class QueueFigures:
    """Steady-state figures of one queue (all times in seconds, rates as fractions 0..1)."""

    model: str  # "erlang_c" | "erlang_a"
    agents: int
    offered_load: float  # a, in Erlang
    p_wait: float  # share of arrivals that find every agent busy
    service_level: float  # answered within t / (answered + abandoned after t)
    sl_offered: float  # answered within t / offered
    sl_answered: float  # answered within t / answered
    asa_s: float  # mean wait of answered contacts
    e_wq_s: float  # mean time in queue over all arrivals (answered or abandoned)
    p_abandon: float  # 0 for Erlang C
    occupancy: float  # busy agent time / staffed agent time
    threshold_s: float

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def _check(arrivals_per_s: float, aht_s: float, agents: int) -> None:
    if not (math.isfinite(arrivals_per_s) and arrivals_per_s > 0):
        raise ValueError(f"arrival rate must be a positive number, got {arrivals_per_s!r}")
    if not (math.isfinite(aht_s) and aht_s > 0):
        raise ValueError(f"average handle time must be a positive number, got {aht_s!r}")
    if int(agents) != agents or agents < 1:
        raise ValueError(f"agents must be a whole number >= 1, got {agents!r}")


def log_inverse_erlang_b(n: int, a: float) -> float:
    """log(1 / B(n, a)) by the recursion 1/B(k) = 1 + (k/a)·1/B(k-1), in log space."""
    if a <= 0:
        raise ValueError("offered load must be positive")
    log_inv = 0.0  # 1/B(0) = 1
    log_a = math.log(a)
    for k in range(1, n + 1):
        log_inv = np.logaddexp(0.0, math.log(k) - log_a + log_inv)
    return float(log_inv)


def erlang_b(n: int, a: float) -> float:
    """Blocking probability of M/M/n/n (Erlang B)."""
    return math.exp(-log_inverse_erlang_b(n, a))


def erlang_c_p_wait(n: int, a: float) -> float:
    """P(wait) of M/M/n: n·B / (n − a(1 − B)), computed as n / ((n − a)/B + a)."""
    if n <= a:
        raise UnstableQueueError(
            f"unstable: {n} agents cannot carry an offered load of {a:.3f} Erlang "
            f"(need more than {a:.3f} agents) / 不稳定：坐席数必须大于话务量"
        )
    log_inv_b = log_inverse_erlang_b(n, a)
    log_den = np.logaddexp(math.log(n - a) + log_inv_b, math.log(a))
    return float(math.exp(math.log(n) - log_den))


def erlang_c(
    arrivals_per_s: float, aht_s: float, agents: int, threshold_s: float = 20.0
) -> QueueFigures:
    """M/M/n steady state. Raises `UnstableQueueError` when agents <= offered load."""
    _check(arrivals_per_s, aht_s, agents)
    mu = 1.0 / aht_s
    a = arrivals_per_s * aht_s
    pw = erlang_c_p_wait(agents, a)
    gap = agents * mu - arrivals_per_s  # rate at which the queue drains
    sl = 1.0 - pw * math.exp(-gap * threshold_s)
    asa = pw / gap
    return QueueFigures(
        model="erlang_c",
        agents=int(agents),
        offered_load=a,
        p_wait=pw,
        service_level=sl,
        sl_offered=sl,
        sl_answered=sl,
        asa_s=asa,
        e_wq_s=asa,
        p_abandon=0.0,
        occupancy=a / agents,
        threshold_s=float(threshold_s),
    )


def _queue_distribution(lam: float, mu: float, n: int, theta: float) -> tuple[float, np.ndarray]:
    """Arrival-time distribution of M/M/n+M: (P(fewer than n busy), P(j waiting) for j >= 0).

    Birth–death chain with birth λ and death min(k, n)μ + (k − n)⁺θ. States below n sum to
    π_n / B(n, a); states above n follow π_{n+j} = π_n Π_{m=1..j} λ / (nμ + mθ), summed in log
    space until the terms are negligible.
    """
    a = lam / mu
    log_below = log_inverse_erlang_b(n, a)  # log(Σ_{k<=n} π_k / π_n)
    logs = [0.0]
    log_lam = math.log(lam)
    j = 0
    peak = 0.0
    while True:
        j += 1
        term = logs[-1] + log_lam - math.log(n * mu + j * theta)
        logs.append(term)
        peak = max(peak, term)
        # past the mode the terms fall geometrically; stop when they are ~1e-18 of the peak
        if n * mu + j * theta > lam and term < peak - 41.5:
            break
        if j > 10_000_000:  # pragma: no cover - guard against nonsense inputs
            raise ValueError("queue distribution does not converge")
    log_terms = np.array(logs)
    # P(k < n) relative to π_n: Σ_{k<=n} − π_n itself = exp(log_below) − 1
    ref = max(peak, log_below)
    above = np.exp(log_terms - ref)
    below = math.exp(log_below - ref) - math.exp(-ref)
    total = below + float(above.sum())
    return below / total, above / total


def erlang_a(
    arrivals_per_s: float,
    aht_s: float,
    agents: int,
    patience_s: float,
    threshold_s: float = 20.0,
) -> QueueFigures:
    """M/M/n+M (Erlang A, exponential patience) exact steady state.

    A tagged arrival that finds j contacts waiting is answered when the j ahead of it and then
    itself reach an agent; with i ahead the line moves at rate nμ + iθ while the tagged
    customer abandons at rate θ. So P(answered | j) = nμ / (nμ + (j+1)θ) (telescoping), the
    conditional wait is a sum of exponential stages, and the distribution at the threshold
    comes from uniformising that small absorbing chain. P(abandon) = θ·E[Wq] holds exactly.
    """
    _check(arrivals_per_s, aht_s, agents)
    if not (math.isfinite(patience_s) and patience_s > 0):
        raise ValueError(f"mean patience must be a positive number, got {patience_s!r}")
    if threshold_s < 0:
        raise ValueError("service-level threshold must be >= 0 seconds")
    lam = arrivals_per_s
    mu = 1.0 / aht_s
    theta = 1.0 / patience_s
    n = int(agents)
    p_free, p_queue = _queue_distribution(lam, mu, n, theta)
    j = np.arange(p_queue.size, dtype=float)
    nmu = n * mu
    p_served_given_j = nmu / (nmu + (j + 1) * theta)
    p_wait = float(p_queue.sum())
    p_served_wait = float((p_queue * p_served_given_j).sum())
    p_answered = p_free + p_served_wait
    p_abandon = 1.0 - p_answered
    e_wq = p_abandon / theta
    # E[wait · 1{answered} | j] = P(answered | j) · Σ_{i=0..j} 1 / (nμ + (i+1)θ)
    stage_means = np.cumsum(1.0 / (nmu + (j + 1) * theta))
    wait_answered = float((p_queue * p_served_given_j * stage_means).sum())
    asa = wait_answered / p_answered if p_answered > 0 else math.inf

    still, served_by_t = _waiting_at(p_queue, nmu, theta, threshold_s)
    answered_within = p_free + served_by_t
    # a customer still waiting at t with i ahead abandons later with prob 1 − P(answered | i)
    abandoned_after = float((still * (1.0 - p_served_given_j)).sum())
    sl = answered_within / (p_answered + abandoned_after)
    return QueueFigures(
        model="erlang_a",
        agents=n,
        offered_load=lam / mu,
        p_wait=p_wait,
        service_level=float(sl),
        sl_offered=float(answered_within),
        sl_answered=float(answered_within / p_answered) if p_answered > 0 else 0.0,
        asa_s=asa,
        e_wq_s=e_wq,
        p_abandon=p_abandon,
        occupancy=lam * p_answered / nmu,
        threshold_s=float(threshold_s),
    )


def _waiting_at(
    p_start: np.ndarray, nmu: float, theta: float, t: float
) -> tuple[np.ndarray, float]:
    """Uniformise the tagged customer's chain up to time t.

    States: i = contacts ahead (0..J), plus absorbing "answered" and "abandoned". From i the
    line moves (to i − 1, or answered from 0) at rate nμ + iθ; abandonment at rate θ.
    Returns (probability still waiting with i ahead at t, probability answered by t).
    """
    size = p_start.size
    if t <= 0:
        return p_start.copy(), 0.0
    advance = nmu + np.arange(size) * theta
    rate = float(advance[-1] + theta)
    p_move = advance / rate
    p_stay = 1.0 - p_move - theta / rate
    lt = rate * t
    # Poisson(lt) weights, computed in log space; stop when the tail is negligible
    m_max = int(lt + 12.0 * math.sqrt(lt) + 30)
    vec = p_start.astype(float).copy()
    still = np.zeros(size)
    served = 0.0
    served_acc = 0.0  # probability absorbed into "answered" after m uniformised steps
    log_w = -lt
    for m in range(m_max + 1):
        w = math.exp(log_w)
        still += w * vec
        served += w * served_acc
        moved = vec * p_move
        served_acc += moved[0]
        nxt = vec * p_stay
        nxt[:-1] += moved[1:]
        vec = nxt
        log_w += math.log(lt) - math.log(m + 1)
    return still, float(served)


def agents_for_service_level(
    arrivals_per_s: float,
    aht_s: float,
    target: float,
    threshold_s: float = 20.0,
    patience_s: float | None = None,
    max_agents: int = 100_000,
) -> QueueFigures:
    """The fewest agents reaching `target` service level (Erlang C, or Erlang A with patience)."""
    if not 0 < target < 1:
        raise ValueError("target service level must be between 0 and 1 (exclusive)")
    _check(arrivals_per_s, aht_s, 1)
    a = arrivals_per_s * aht_s

    def figures(n: int) -> QueueFigures:
        if patience_s is None:
            return erlang_c(arrivals_per_s, aht_s, n, threshold_s)
        return erlang_a(arrivals_per_s, aht_s, n, patience_s, threshold_s)

    # the service level rises with agents: start near the load (a planner's hundreds of
    # agents are not searched from one), step down while one fewer still meets the target
    n = max(1, math.floor(a) + 1) if patience_s is None else max(1, int(a * 0.9))
    while patience_s is not None and n > 1 and figures(n - 1).service_level >= target:
        n -= 1
    while n <= max_agents:
        fig = figures(n)
        if fig.service_level >= target:
            return fig
        n += 1
    raise ValueError(f"no staffing up to {max_agents} agents reaches the target")
