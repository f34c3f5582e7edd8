"""Who calls: the customers of each channel (arrivals) and of each seat's form.

Everything about a customer is drawn here, ahead of time, in numpy chunks from streams of its
own purpose: journey, persona, patience, the contact's seed, its pre-drawn reaction, service
and bot-policy numbers (`DrawBlock`), and, when handle times are drawn, its handle time. Why
ahead and per purpose: nothing that happens in the centre (who answers, how fast, what a
trainee chooses) can change who calls or what they will do.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import simpy

from customer_models.personas import PersonaBatch, PersonaMix, sample_personas
from sandbox.engine.agents import Agent, Contact
from sandbox.engine.arrivals import interval_batches
from sandbox.engine.streams import DrawBlock, Streams
from sandbox.engine.timing import (
    complexity_factors,
    draw_durations,
    patience_unit,
    typical_patience_s,
)
from sandbox.scenario import ChannelSpec, FormSpec, Scenario, ServiceSpec, StationSpec

#: Numbers pre-drawn per contact: reaction normals/uniforms, service normals/uniforms and
#: policy uniforms (three per decision); past them a contact draws from its own generator.
RX_NORMALS, RX_UNIFORMS, SV_NORMALS, SV_UNIFORMS, POLICY_UNIFORMS = 30, 8, 12, 2, 24

Blocks = tuple[DrawBlock, DrawBlock, DrawBlock, DrawBlock, DrawBlock]


def drawn_handles(service: ServiceSpec, sv_n: DrawBlock, sv_u: DrawBlock) -> list[float]:
    """Handle times of a chunk for drawn service models, from each contact's first service
    uniform (exponential) or normal (lognormal). exp/log are the portable ones: the same
    bits on every CPU (`customer_models.portable`)."""
    from customer_models import portable

    mean = float(service.mean_s or 0.0)
    if service.model == "exponential":
        return list((-portable.log(1.0 - sv_u.ensure(1)[0]) * mean).tolist())
    sigma = service.sigma
    mu = portable.log1(mean) - sigma * sigma / 2.0
    return list(portable.exp(mu + sigma * sv_n.ensure(1)[0]).tolist())


def accepts(journey: Any, columns: dict[str, np.ndarray]) -> np.ndarray:
    """Which personas of a batch pass the journey's `persona:` filter (vectorised)."""
    ok = np.ones(len(columns["persona_id"]), dtype=bool)
    for fld, allowed in journey.persona.items():
        ok &= np.isin(columns[fld], list(allowed))
    return ok


#: A station's customer is the first persona that meets its constraints among at most this many
#: drawn (in batches of `STATION_BATCH`) from the station's own stream of the form; an exam
#: whose station finds none within the bound is refused at validation (EX024), never a hang.
STATION_DRAWS, STATION_BATCH = 4096, 256


def station_fits(station: StationSpec, journey: Any, columns: dict[str, np.ndarray]) -> np.ndarray:
    """Which personas of a batch meet a station: its journey's filter and its constraints."""
    ok = accepts(journey, columns)
    for fld, allowed in station.values:
        ok &= np.isin(columns[fld], list(allowed))
    for fld, lo, hi in station.ranges:
        if lo is not None:
            ok &= columns[fld] >= lo
        if hi is not None:
            ok &= columns[fld] <= hi
    return ok


def station_persona(
    seed: int, seat: str, k: int, station: StationSpec, journey: Any, mix: PersonaMix | None
) -> tuple[PersonaBatch, int] | None:
    """(batch, row) of station `k`'s customer (0-based) on the form with `seed`, or None when
    none of `STATION_DRAWS` personas meets it. Why a stream per station: station k's
    customer depends on the form's seed and station k alone, so tightening one station's
    constraints changes no other station's customer; the validator calls this very function."""
    rng = Streams(seed).generator(f"form:{seat}:station:{k}")
    for _ in range(STATION_DRAWS // STATION_BATCH):
        batch = sample_personas(rng, STATION_BATCH, mix)
        hits = np.flatnonzero(station_fits(station, journey, batch.columns))
        if len(hits):
            return batch, int(hits[0])
    return None


def _chunk_seed(stream: np.random.Generator) -> int:
    """The seed of a chunk's `DrawBlock`, the next number of the purpose's stream."""
    return int(stream.integers(0, 2**63 - 1))


class _Source:
    """A sequence of customers drawn from streams named `<prefix>…`, chunk by chunk."""

    def __init__(
        self,
        scenario: Scenario,
        streams: Streams,
        names: dict[str, str],
        journeys: list[Any],
        weights: list[float],
        mix: PersonaMix | None,
    ):
        self.scenario = scenario
        self.journeys = journeys
        w = np.array(weights, dtype=float)
        self.weights = w / w.sum()
        self.mix = mix
        self.r_jny = streams.generator(names["journeys"])
        self.r_per = streams.generator(names["personas"])
        self.r_pat = streams.generator(names["patience"])
        self.r_con = streams.generator(names["contacts"])
        self.r_rx = streams.generator(names["reactions"])
        self.r_sv = streams.generator(names["service"])
        self.r_pol = streams.generator(names["policies"])
        self.pool = PersonaPool(self.r_per, mix)

    def draw(self, n: int) -> Draws:
        return Draws(self, n)

    def who(self, d: Draws, i: int) -> tuple[PersonaBatch, int]:
        """Customer i's persona (batch, row): the drawn one, or a spare from the pool when the
        journey's `persona:` filter rejects it."""
        ok = d.fits.get(d.jidx[i])
        if ok is None or ok[i]:
            return d.people, i
        return self.pool.take(self.journeys[d.jidx[i]])


class Draws:
    """Everything drawn for the next `n` customers of a source, in numpy batches.

    Why chunks rather than one draw per interval: each batch costs a fixed ~1 ms of numpy
    calls (personas above all); drawing a chunk of at least `CHUNK` customers at a time keeps
    that under a microsecond a contact. Every purpose keeps its own stream."""

    CHUNK = 2048

    def __init__(self, source: _Source, n: int):
        s = source
        self.n = n
        self.jidx: list[int] = s.r_jny.choice(len(s.journeys), size=n, p=s.weights).tolist()
        self.people = sample_personas(s.r_per, n, s.mix)
        self.expo: list[float] = s.r_pat.exponential(1.0, size=n).tolist()
        self.seeds: list[int] = s.r_con.integers(0, 2**63 - 1, size=n, dtype=np.int64).tolist()
        # each contact's reaction, service and policy numbers, drawn as they are needed
        # (`DrawBlock`; kept as numpy: a contact's numbers become Python floats only if it
        # is played one at a time, so they cost 8 bytes each, not a Python float's 32)
        rx_n = DrawBlock(_chunk_seed(s.r_rx), n, RX_NORMALS, normal=True)
        rx_u = DrawBlock(_chunk_seed(s.r_rx), n, RX_UNIFORMS, normal=False)
        sv_n = DrawBlock(_chunk_seed(s.r_sv), n, SV_NORMALS, normal=True)
        sv_u = DrawBlock(_chunk_seed(s.r_sv), n, SV_UNIFORMS, normal=False)
        pol_u = DrawBlock(_chunk_seed(s.r_pol), n, POLICY_UNIFORMS, normal=False)
        self.blocks: Blocks = (rx_n, rx_u, sv_n, sv_u, pol_u)
        svc = s.scenario.service
        self.handles = drawn_handles(svc, sv_n, sv_u) if svc.model != "journey" else None
        self.fits: dict[int, list[bool]] = {
            j: accepts(s.journeys[j], self.people.columns).tolist()
            for j in sorted(set(self.jidx))
            if s.journeys[j].persona
        }
        self.segments: list[str] = self.people.column("segment")
        self.next = 0


class ChannelArrivals(_Source):
    """One channel's customers: time-varying Poisson arrival times per interval, and per
    customer a journey, a persona, patience and private random streams.

    Arrivals are a chain of SimPy timeouts with a callback (one event per customer, no
    process to resume), each scheduling the next; each customer goes to `arrive`."""

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        streams: Streams,
        mix: PersonaMix | None,
        ch: ChannelSpec,
        arrive: Callable[[Contact], None],
    ):
        name = ch.name
        eligible = [
            (jid, w) for jid, w in scenario.journey_mix if name in scenario.journeys[jid].channels
        ]
        names = {p: f"{p}:{name}" for p in _PURPOSES}
        super().__init__(
            scenario, streams, names,
            [scenario.journeys[jid] for jid, _ in eligible], [w for _, w in eligible], mix,
        )  # fmt: skip
        self.env = env
        self.ch = ch
        self.name = name
        self.arrive = arrive
        self.prefix = name[0].upper()
        self.seq = 0
        self.batches = interval_batches(
            name,
            per_hour=ch.arrivals_per_hour,
            profile=ch.profile,
            interval_s=ch.interval_s,
            cv=ch.day_factor_cv,
            horizon_s=scenario.duration_s,
            rng=streams.generator(f"arrivals:{name}"),
            interval_cv=ch.interval_cv,
            interval_rng=streams.generator(f"interval_factor:{name}") if ch.interval_cv else None,
        )
        self.times: list[float] = []
        self.i = 0
        self.draws: Draws | None = None
        # opt-in draws of a realistic centre, each from its own stream (sandbox.engine.timing)
        self.r_acw = streams.generator(f"acw:{name}") if ch.after_call_work else None
        journey_times = scenario.service.model == "journey"  # drawn handle times: no factor
        cv = scenario.service.contact_cv if journey_times else 0.0
        self.r_cx = streams.generator(f"complexity:{name}") if cv > 0 else None
        lognormal = ch.patience == "lognormal"
        self.r_pshape = streams.generator(f"patience_shape:{name}") if lognormal else None
        self.typical = typical_patience_s(name) if ch.patience_by_persona else 0.0
        self.acw: list[float] | None = None
        self.factors: list[float] | None = None
        self.units: list[float] = []

    def start(self) -> None:
        self._schedule()

    def _schedule(self) -> None:
        while self.i >= len(self.times):
            batch = next(self.batches, None)
            if batch is None:
                return
            self.times = batch.times.tolist()
            self.i = 0
        ev = self.env.timeout(max(0.0, self.times[self.i] - self.env.now))
        ev.callbacks.append(self._fire)

    def _fire(self, _ev: simpy.Event) -> None:
        env_now = self.env.now
        times = self.times
        # customers arriving at the same instant are all let in now
        while True:
            self.i += 1
            self.arrive(self._customer(env_now))
            if self.i >= len(times) or times[self.i] > env_now:
                break
        self._schedule()

    def _customer(self, now: float) -> Contact:
        d = self.draws
        if d is None or d.next >= d.n:
            left = len(self.times) - self.i + 1
            d = self.draws = self.draw(max(Draws.CHUNK, left))
            self._draw_extras(d)
        i = d.next
        d.next = i + 1
        j = d.jidx[i]
        journey = self.journeys[j]
        who, row = self.who(d, i)
        segment = d.segments[i] if who is d.people else str(who.columns["segment"][row])
        persona = None
        ch = self.ch
        mode = ch.patience
        if mode == "none":
            patience = math.inf
        elif mode in ("exponential", "lognormal"):
            patience = self.units[i] * float(ch.patience_mean_s or 0.0)
            if ch.patience_by_persona:  # this customer's patience relative to the typical one
                patience *= float(who.columns[f"patience_{self.name}_s"][row]) / self.typical
        else:
            persona = who.persona(row)
            patience = d.expo[i] * persona.patience_s[self.name]
        self.seq += 1
        seq = self.seq
        # the id is prefix + the number in at least 6 digits (zfill: half the cost of `:06d`)
        c = Contact(
            self.prefix + str(seq).zfill(6), seq, self.name, journey, who, row, d.seeds[i], now,
            patience, self.scenario.priority.get(segment, 0), d.blocks, i,
            d.handles[i] if d.handles is not None else 0.0, persona,
        )  # fmt: skip
        if self.acw is not None:
            c.acw_s = self.acw[i]
        if self.factors is not None:
            c.factor = self.factors[i]
        return c

    def _draw_extras(self, d: Draws) -> None:
        """A new chunk's opt-in draws (after-call work, complexity, lognormal patience)."""
        ch = self.ch
        if self.r_acw is not None and ch.after_call_work is not None:
            self.acw = draw_durations(ch.after_call_work, self.r_acw, d.n)
        if self.r_cx is not None:
            self.factors = complexity_factors(self.scenario.service, self.r_cx, d.n)
        self.units = patience_unit(ch, d.expo, self.r_pshape)


_PURPOSES = ("journeys", "personas", "patience", "contacts", "reactions", "service", "policies")


class FormFeed(_Source):
    """A seat's form: its own customers, in a fixed order, put through to that seat only.

    Customer k (journey, channel, persona, seed and every pre-drawn number) comes from the
    form's own streams in chunks of a fixed size, so it is the same whatever the seat's speed,
    whatever the bots and queue around it do, and however many customers came before it were
    finished in what time. The next customer rings `gap_s` after the seat is free (on shift,
    no contact) until the horizon or the form's `customers` count; `deliver` puts it through.

    With `spec.stations` (an exam's stations), customer k's journey and channel are station
    k's and its persona is `station_persona` (drawn up front); everything else about it (seed,
    reaction, service and policy numbers) still comes from the same form streams."""

    CHUNK = 64

    def __init__(
        self,
        env: simpy.Environment,
        scenario: Scenario,
        seed: int,
        mix: PersonaMix | None,
        agent: Agent,
        spec: FormSpec,
        deliver: Callable[[Agent, Contact], None],
        claims: FormClaims | None = None,
    ):
        seat_channels = [c for c in agent.channels if c in scenario.channel_names]
        stations = spec.stations
        if stations:
            eligible = [(s.journey, 1.0) for s in stations]
        else:
            eligible = [
                (jid, w)
                for jid, w in scenario.journey_mix
                if scenario.journeys[jid].kind in agent.kinds
                and any(c in scenario.journeys[jid].channels for c in seat_channels)
            ]
        if not eligible:
            raise ValueError(
                f"seat {agent.id!r}: no journey of the mix fits its channels and kinds"
            )
        form_seed = seed if spec.seed is None else spec.seed
        streams = Streams(form_seed)
        names = {p: f"form:{agent.id}:{p}" for p in _PURPOSES}
        journeys = [scenario.journeys[jid] for jid, _ in eligible]
        super().__init__(scenario, streams, names, journeys, [w for _, w in eligible], mix)
        self.channels = [next((c for c in seat_channels if c in j.channels), "") for j in journeys]
        self.stations = stations
        self.station_people: list[tuple[PersonaBatch, int]] = []
        for k, station in enumerate(stations):
            journey = journeys[k]
            self.channels[k] = station.channel or self.channels[k]
            if self.channels[k] not in seat_channels or self.channels[k] not in journey.channels:
                raise ValueError(
                    f"seat {agent.id!r}: station {k + 1} ({station.journey}) cannot come in "
                    f"by {self.channels[k] or 'any of its channels'}"
                )
            found = station_persona(form_seed, agent.id, k, station, journey, mix)
            if found is None:
                raise ValueError(
                    f"seat {agent.id!r}: no persona meets station {k + 1} ({station.journey}) "
                    f"within {STATION_DRAWS} draws"
                )
            self.station_people.append(found)
        self.env = env
        self.agent = agent
        self.spec = spec
        self.deliver = deliver
        self.k = 0  # the form index of the last customer put through (1-based)
        self.rung = 0  # customers put through so far
        self.chunk = -1  # the index of the last chunk drawn
        self.chunks: dict[int, Draws] = {}  # drawn chunks not yet done with
        self.ringing = False
        self.claims = claims
        self.exhausted = False

    def ring_later(self) -> None:
        """Put the next customer through `gap_s` from now, if the seat is free for it (with
        `claims`, the customer the team's queue gives this seat, when it gives it)."""
        agent = self.agent
        if self.ringing or self.exhausted or agent.active or not agent.on_shift:
            return
        if self.spec.customers is not None and self.rung >= self.spec.customers:
            return
        if self.stations and self.rung >= len(self.stations):
            return
        if self.env.now + self.spec.gap_s >= self.scenario.duration_s:
            return
        self.ringing = True
        if self.claims is not None:
            self.claims.reserve(self.rung + 1, self.env.now)
            self.env.timeout(self.spec.gap_s).callbacks.append(self._claimed)
            return
        self.env.timeout(self.spec.gap_s).callbacks.append(self._ring)

    def _claimed(self, _ev: simpy.Event) -> None:
        assert self.claims is not None
        taken = self.claims.take(self.rung + 1)
        if taken is None:  # the team's queue has no customer for this seat before the end
            self.ringing = False
            self.exhausted = True
            return
        k, ring_at = taken
        wait = ring_at - self.env.now
        if wait > 1e-9:
            self.env.timeout(wait).callbacks.append(lambda ev: self._ring(ev, k))
        else:
            self._ring(_ev, k)

    def _ring(self, _ev: simpy.Event, k: int | None = None) -> None:
        self.ringing = False
        agent = self.agent
        if agent.active or not agent.on_shift:
            return
        self.deliver(agent, self._customer(self.env.now, self.k + 1 if k is None else k))

    def _customer(self, now: float, k: int) -> Contact:
        """Form customer `k` (1-based; never below the last one put through)."""
        if k <= self.k and self.rung:
            raise ValueError(f"seat {self.agent.id!r}: form customer {k} comes after {self.k}")
        if not self.stations:
            for skipped in range(self.k + 1, k):  # customers who hung up before their turn:
                self.who(*self._draws_of(skipped))  # their spare personas, taken in order
        d, i = self._draws_of(k)
        for old in [c for c in self.chunks if c < (k - 1) // self.CHUNK]:
            del self.chunks[old]  # chunks behind the seat are done with
        self.k = k
        self.rung += 1
        if self.stations:
            j = k - 1
            who, row = self.station_people[j]
        else:
            j = d.jidx[i]
            who, row = self.who(d, i)
        return Contact(
            f"{self.agent.id}-{k:03d}", k, self.channels[j], self.journeys[j], who,
            row, d.seeds[i], now, math.inf, 0, d.blocks, i,
            d.handles[i] if d.handles is not None else 0.0,
        )  # fmt: skip

    def _draws_of(self, k: int) -> tuple[Draws, int]:
        """(chunk, row) of form customer k; the form's chunks are drawn in order, so looking
        ahead (a queue shown on screen) draws exactly what delivering would."""
        c, i = divmod(k - 1, self.CHUNK)
        while self.chunk < c:
            self.chunk += 1
            self.chunks[self.chunk] = self.draw(self.CHUNK)
        return self.chunks[c], i

    def peek(self, k: int) -> tuple[str, Any, str | None]:
        """(channel, journey, segment or None) of form customer k, for a queue on screen.
        Never takes a spare persona (that would change who later customers are): a customer
        whose drawn persona the journey rejects shows no segment until it rings."""
        d, i = self._draws_of(k)
        if self.stations:
            who, row = self.station_people[k - 1]
            return self.channels[k - 1], self.journeys[k - 1], str(who.columns["segment"][row])
        j = d.jidx[i]
        ok = d.fits.get(j)
        segment = str(d.people.columns["segment"][i]) if ok is None or ok[i] else None
        return self.channels[j], self.journeys[j], segment


class FormClaims(Protocol):
    """Where a seat whose form is shared by a team gets its customers (sandbox.league).

    Why a hook: which of the team's customers a member takes depends on when the other
    members are free, which only the server sees; the server journals each claim, and a
    replay answers from that journal, so a member's session stays a pure function of its
    decisions and its claims."""

    def reserve(self, n: int, t: float) -> None:
        """The seat is free at session time `t` and asks for its `n`-th customer (1-based)."""

    def take(self, n: int) -> tuple[int, float] | None:
        """(form index k, session time it rings, at least `gap` after the reserve) of the
        seat's `n`-th customer, or None: no customer for it before the end."""


class PersonaPool:
    """Spare personas for journeys whose `persona:` filter rejected the drawn customer.

    Why a pool: a journey for elderly customers rejects most draws; re-sampling one at a
    time costs a numpy call each. The pool draws 256 at once from the same persona stream
    and hands out the first unused one that fits, in a fixed order (deterministic)."""

    SIZE = 256

    def __init__(self, rng: np.random.Generator, mix: PersonaMix | None):
        self.rng = rng
        self.mix = mix
        self.batch: PersonaBatch | None = None
        self.used = np.zeros(0, dtype=bool)
        #: per journey (by identity): which personas of the current batch fit its filter.
        #: Why: `accepts` costs a numpy `isin` per filtered field, and the pool is asked for
        #: most contacts of a filtered journey while its batch stays the same.
        self._fits: dict[int, tuple[Any, np.ndarray]] = {}

    def take(self, journey: Any) -> tuple[PersonaBatch, int]:
        """(persona batch, row) of the first unused spare persona that fits `journey`."""
        for _ in range(64):
            if self.batch is not None:
                fits = self._fits.get(id(journey))
                if fits is None or fits[0] is not journey:
                    fits = self._fits[id(journey)] = (journey, accepts(journey, self.batch.columns))
                hits = np.flatnonzero(fits[1] & ~self.used)
                if len(hits):
                    k = int(hits[0])
                    self.used[k] = True
                    return self.batch, k
            self.batch = sample_personas(self.rng, self.SIZE, self.mix)
            self.used = np.zeros(self.SIZE, dtype=bool)
            self._fits.clear()
        from journeys.runtime import JourneyRunError

        raise JourneyRunError(
            f"journey '{journey.id}': its persona filter accepts almost none of the customers "
            "drawn (16,384 tried); widen the filter or the scenario's personas mix",
            code="SC020",
            where=journey.path,
        )
