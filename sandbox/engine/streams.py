"""Independent random streams, one per purpose, all derived from one master seed.

Why named streams: a stream is keyed by a stable name (crc32 of e.g. "arrivals:phone") rather
than by spawn order, so adding a new purpose never shifts an existing one, and a human's
choices (which only consume their own contacts' streams) can never change which customers
arrive. Same seed = same draws, bit for bit.
"""

from __future__ import annotations

import random
import zlib
from typing import Any

import numpy as np

from customer_models.portable import exp1, log1

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


def policy_seed(contact_seed: int) -> int:
    """Seed of a contact's bot-policy stream."""
    return (contact_seed ^ _SALT_POLICY) & _MASK63


def policy_rng(contact_seed: int, uniforms: list[float] | None = None) -> PolicyStream:
    """The bot policy's stream for one contact: its pre-drawn uniforms, then its own
    generator (the same numbers batch play reads, so both decide alike)."""
    return PolicyStream(contact_seed, uniforms)


def service_seed(contact_seed: int) -> int:
    return (contact_seed ^ _SALT_SERVICE) & _MASK63


def service_rng(contact_seed: int) -> Any:
    """Service-time noise for one contact when no pre-drawn block is given."""
    return BlockRng(service_seed(contact_seed))


def reaction_rng(contact_seed: int) -> np.random.Generator:
    """The customer-reaction stream for one contact (numpy, as the reaction model expects)."""
    return np.random.Generator(np.random.PCG64(contact_seed & _MASK63))


class BlockRng:
    """A contact's stream served from numbers pre-drawn in a vectorised batch.

    Why: building a numpy generator per contact costs ~12 µs and a `random.Random` ~5 µs;
    the engine instead draws a block of normals and uniforms for a whole interval of arrivals
    in one numpy call and hands each contact its row. When a long contact uses up its row,
    draws continue from a generator seeded by the contact's own seed, so the stream stays
    deterministic and private to the contact. Offers the methods the reaction model and the
    service-time code use (`standard_normal`, `random`, `lognormvariate`, `expovariate`);
    anything else is served by the fallback generator.
    """

    __slots__ = ("_gen", "_ni", "_normals", "_seed", "_ui", "_uniforms")

    def __init__(
        self, seed: int, normals: list[float] | None = None, uniforms: list[float] | None = None
    ):
        self._seed = seed
        self._normals = normals or []
        self._uniforms = uniforms or []
        self._ni = 0
        self._ui = 0
        self._gen: np.random.Generator | None = None

    def _fallback(self) -> np.random.Generator:
        if self._gen is None:
            self._gen = reaction_rng(self._seed)
        return self._gen

    def standard_normal(self, size: int | None = None) -> Any:
        if size is None:
            if self._ni < len(self._normals):
                self._ni += 1
                return self._normals[self._ni - 1]
            return float(self._fallback().standard_normal())
        n = int(size)
        if self._ni + n <= len(self._normals):
            out = self._normals[self._ni : self._ni + n]
            self._ni += n
            return out
        self._ni = len(self._normals)
        return self._fallback().standard_normal(n).tolist()

    def random(self) -> float:
        if self._ui < len(self._uniforms):
            self._ui += 1
            return self._uniforms[self._ui - 1]
        return float(self._fallback().random())

    def lognormvariate(self, mu: float, sigma: float) -> float:
        return exp1(mu + sigma * self.standard_normal())

    def expovariate(self, lambd: float) -> float:
        return -log1(1.0 - self.random()) / lambd

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fallback(), name)


class DrawBlock:
    """Numbers pre-drawn for a chunk of `n` contacts, `width` each, drawn a position at a time
    as they are needed.

    Contact `i`'s numbers are column `i` of a (width, n) array filled row by row from the
    block's own generator, so its first k numbers are the same whether or not later rows are
    ever drawn. Why: a contact played one at a time takes its whole column (`column`), but
    batch play of a short journey reads the first two or three positions of every contact
    (`take`), and drawing all of them cost more than the rest of batch play's inputs."""

    __slots__ = ("_gen", "_normal", "n", "rows", "width")

    def __init__(self, seed: int, n: int, width: int, *, normal: bool):
        self._gen = np.random.Generator(np.random.PCG64(seed))
        self._normal = normal
        self.n = n
        self.width = width
        self.rows = np.empty((0, n))

    def ensure(self, k: int) -> np.ndarray:
        """The rows drawn so far, at least `min(k, width)` of them (doubling as it grows)."""
        have = len(self.rows)
        if k > have:
            k = min(self.width, max(k, 2 * have))
            shape = (k - have, self.n)
            more = self._gen.standard_normal(shape) if self._normal else self._gen.random(shape)
            self.rows = np.concatenate((self.rows, more)) if have else more
        return self.rows

    def column(self, i: int) -> list[float]:
        """All `width` numbers of contact `i`."""
        column: list[float] = self.ensure(self.width)[:, i].tolist()
        return column

    def take(self, at: np.ndarray, pos: np.ndarray, k: int) -> np.ndarray:
        """(len(at), k): numbers pos..pos+k-1 of contacts `at` (pos + k <= width)."""
        if not len(at):
            return np.empty((0, k))
        rows = self.ensure(int(pos.max()) + k)
        taken: np.ndarray = rows[pos[:, None] + np.arange(k), at[:, None]]
        return taken


class PolicyStream:
    """A contact's bot-policy uniforms: its pre-drawn column of the arrival chunk's policy
    block, then a generator seeded by the contact's policy seed (built on first use: the
    expert never draws). Batch play reads the same column three numbers a decision and
    falls back to the same generator, so a contact decides alike whichever way it is played."""

    __slots__ = ("_gen", "_i", "_seed", "_uniforms")

    def __init__(self, contact_seed: int, uniforms: list[float] | None = None):
        self._seed = contact_seed
        self._uniforms = uniforms or []
        self._i = 0
        self._gen: np.random.Generator | None = None

    def random(self) -> float:
        if self._i < len(self._uniforms):
            self._i += 1
            return self._uniforms[self._i - 1]
        if self._gen is None:
            self._gen = np.random.Generator(np.random.PCG64(policy_seed(self._seed)))
        return float(self._gen.random())
