"""Drawn durations of a realistic centre: patience, after-call work and case complexity.

Why a module of its own: these are opt-in per channel (docs/scenario-format.md) and each has
its own named stream (`acw:<channel>`, `complexity:<channel>`, `patience_shape:<channel>`),
drawn a chunk of customers at a time alongside the other customer draws. A scenario that does
not ask for them draws nothing from them, so its numbers stay exactly what they were.

Every exp/log is the portable one (`customer_models.portable`): the same bits on every CPU.
"""

from __future__ import annotations

import math

import numpy as np

from customer_models import portable
from sandbox.scenario import ChannelSpec, ServiceSpec, TimeDist


def lognormal_params(mean: float, cv: float) -> tuple[float, float]:
    """(mu, sigma) of the lognormal with this mean and coefficient of variation."""
    sigma2 = portable.log1p1(cv * cv)
    return portable.log1(mean) - sigma2 / 2.0, math.sqrt(sigma2)


def lognormal_draws(mean: float, cv: float, rng: np.random.Generator, n: int) -> list[float]:
    """`n` lognormal draws with this mean and coefficient of variation."""
    mu, sigma = lognormal_params(mean, cv)
    draws: list[float] = portable.exp(mu + sigma * rng.standard_normal(n)).tolist()
    return draws


def draw_durations(dist: TimeDist, rng: np.random.Generator, n: int) -> list[float]:
    """`n` draws of a `TimeDist` (after-call work), seconds."""
    if dist.distribution == "fixed" or dist.mean_s <= 0:
        return [float(dist.mean_s)] * n
    if dist.distribution == "exponential":
        draws: list[float] = (-portable.log(1.0 - rng.random(n)) * dist.mean_s).tolist()
        return draws
    return lognormal_draws(dist.mean_s, dist.cv, rng, n)


def complexity_factors(service: ServiceSpec, rng: np.random.Generator, n: int) -> list[float]:
    """Per contact, how much longer than usual its case takes: lognormal, mean 1, cv
    `service.contact_cv` (the contact's action and line times are multiplied by it)."""
    return lognormal_draws(1.0, service.contact_cv, rng, n)


def typical_patience_s(channel: str) -> float:
    """The typical caller's mean queue patience on a channel (the personas' population model):
    a persona's own mean divided by it is how patient this customer is relative to others."""
    from customer_models.personas import POPULATION

    base = float(POPULATION["queue_patience_phone_s"])
    return base * float(POPULATION["queue_patience_channel"][channel])


def patience_unit(
    ch: ChannelSpec, expo: list[float], rng: np.random.Generator | None
) -> list[float]:
    """Per customer, patience for a mean of 1 (before the channel mean and persona factor):
    the pre-drawn Exp(1) for exponential patience; for lognormal, exp(mu + sigma·z) with z from
    the channel's own `patience_shape` stream."""
    if ch.patience != "lognormal":
        return expo
    assert rng is not None
    return lognormal_draws(1.0, ch.patience_cv, rng, len(expo))
