"""Independent random streams, one per purpose, all derived from one master seed.

Why named streams: a stream is keyed by a stable name (crc32 of e.g. "arrivals:phone") rather
than by spawn order, so adding a new purpose never shifts an existing one, and a human's
choices (which only consume their own contacts' streams) can never change which customers
arrive. Same seed = same draws, bit for bit.
"""

from __future__ import annotations

import random
import zlib

import numpy as np

#: Mixed into per-contact seeds so the journey's branch stream, the bot's choice stream and the
#: reaction stream of one contact are independent of each other.
_SALT_JOURNEY = 0x4A4F55524E4559
_SALT_POLICY = 0x504F4C494359
_SALT_SERVICE = 0x53455256494345
_MASK63 = (1 << 63) - 1


def _key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Factory of per-purpose generators for one master seed."""

    def __init__(self, seed: int):
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = seed

    def sequence(self, name: str) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.seed, spawn_key=(_key(name),))

    def generator(self, name: str) -> np.random.Generator:
        """A numpy generator for vectorised batch draws of one purpose."""
        return np.random.Generator(np.random.PCG64(self.sequence(name)))

    def python(self, name: str) -> random.Random:
        """A `random.Random` for one purpose (cheap scalar draws)."""
        state = self.sequence(name).generate_state(2, np.uint64)
        return random.Random(int(state[0]) << 64 | int(state[1]))


def journey_seed(contact_seed: int) -> int:
    """Seed of a contact's `JourneyRun` (its random route branches)."""
    return (contact_seed ^ _SALT_JOURNEY) & _MASK63


def policy_rng(contact_seed: int) -> random.Random:
    """The bot policy's stream for one contact."""
    return random.Random((contact_seed ^ _SALT_POLICY) & _MASK63)


def service_rng(contact_seed: int) -> random.Random:
    """Service-time noise for one contact."""
    return random.Random((contact_seed ^ _SALT_SERVICE) & _MASK63)


def reaction_rng(contact_seed: int) -> np.random.Generator:
    """The customer-reaction stream for one contact (numpy, as the reaction model expects)."""
    return np.random.Generator(np.random.PCG64(contact_seed & _MASK63))
