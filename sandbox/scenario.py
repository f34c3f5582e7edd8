"""Scenario files: who calls, on which channels, when, and who answers — loaded strictly.

Why strict: a trainer edits these by hand, and an exam must not silently run a different
centre than the one written. The YAML layer is `journeys.strict_yaml` (no duplicate keys, no
YAML 1.1 coercions); every mistake is reported as `path:line:column: error SCnnn: message`
with a stable code documented in docs/scenario-format.md. A scenario is immutable once loaded;
`with_overrides` derives the variant a command line asks for (`--hours`, `--agents`).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from journeys.diagnostics import Diagnostic, JourneyError, allowed_list, did_you_mean
from journeys.durations import parse_duration as parse_duration  # re-exported: the one grammar
from journeys.policies import POLICIES
from journeys.strict_yaml import Pos, YList, YMap, load_file
from journeys.vocabulary import CHANNELS, KINDS, PERSONA_VALUES
from sandbox import limits as L
from sandbox.kpi_catalogue import KPI_KEYS  # (not sandbox.kpis: no numpy to check a file)
from sandbox.strict_fields import Codes, FieldChecker, document_hash

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
SERVICE_MODELS: tuple[str, ...] = ("journey", "exponential", "lognormal")
PATIENCE_DISTRIBUTIONS: tuple[str, ...] = ("exponential", "lognormal")
ACW_DISTRIBUTIONS: tuple[str, ...] = ("fixed", "exponential", "lognormal")
SL_ABANDONS: tuple[str, ...] = ("exclude_within_threshold", "exclude_short", "count_all", "ignore")
BREAK_KINDS: tuple[str, ...] = ("break", "lunch", "meeting", "training")
EVENT_DETAIL: tuple[str, ...] = ("contacts", "steps")
DEFAULT_LINE_S: dict[str, float] = {"phone": 6.0, "chat": 20.0, "email": 60.0}

#: code -> title. Keep in step with docs/scenario-format.md.
SC_CODES: dict[str, str] = {
    "SC001": "file cannot be read",
    "SC002": "YAML syntax error",
    "SC003": "duplicate key",
    "SC004": "unsupported YAML feature",
    "SC010": "wrong type",
    "SC011": "unknown field",
    "SC012": "missing required field",
    "SC013": "unknown name",
    "SC014": "unknown journey",
    "SC015": "invalid duration or clock time",
    "SC016": "number out of range",
    "SC017": "duplicate id",
    "SC018": "invalid persona mix",
    "SC019": "journey file has errors",
    "SC020": "scenario cannot run as written",
    "SC021": "unknown scenario name",
    "SC022": "run too large for the documented limits",
}
_YAML_CODES = {
    "JY001": "SC001",
    "JY002": "SC002",
    "JY003": "SC003",
    "JY004": "SC004",
    "JY005": "SC004",
}


class ScenarioError(Exception):
    """A scenario has errors; `.diagnostics` are rendered `path:line:column: error SCnnn: ...`."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = tuple(diagnostics)
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)


@dataclass(frozen=True)
class ChannelSpec:
    """Arrivals and customer timing of one channel."""

    name: str
    arrivals_per_hour: float
    profile: tuple[float, ...]
    interval_s: float
    day_factor_cv: float
    line_s: float
    patience: str  # persona | none | exponential | lognormal
    patience_mean_s: float | None = None
    #: lognormal patience: its coefficient of variation
    patience_cv: float = 1.0
    #: a drawn patience (`{mean: …}`) scaled by the persona's own patience on this channel
    #: (temperament, age, segment; `customer_models.personas`) relative to the typical caller's
    patience_by_persona: bool = False
    #: after-call work of each contact a bot finishes on this channel (None: none)
    after_call_work: TimeDist | None = None
    #: each interval's rate × its own Gamma(mean 1, cv) factor: intraday forecast error
    interval_cv: float = 0.0


@dataclass(frozen=True)
class TimeDist:
    """A drawn duration (after-call work): `fixed`, `exponential` or `lognormal` with
    `mean_s` and coefficient of variation `cv` (lognormal only)."""

    distribution: str
    mean_s: float
    cv: float = 0.0


@dataclass(frozen=True)
class ServiceLevelSpec:
    """Which abandons count in the service level's denominator (docs/scoring.md § Service
    level): `exclude_within_threshold` (default: abandons within the threshold are left out),
    `exclude_short` (only abandons within `short_abandon_s` are left out), `count_all` (every
    abandon counts against: answered within T / offered), `ignore` (answered contacts only)."""

    abandons: str = "exclude_within_threshold"
    short_abandon_s: float = 5.0

    def cutoff(self, threshold_s: float) -> float:
        """An abandon after a wait longer than this counts in the denominator."""
        if self.abandons == "exclude_short":
            return self.short_abandon_s
        if self.abandons == "count_all":
            return -1.0
        if self.abandons == "ignore":
            return math.inf
        return threshold_s


@dataclass(frozen=True)
class BreakSpec:
    """A break on a group's shift plan (break, lunch, meeting, training): it starts `at_s`
    after the shift start, agent i of n `spread_s × i / n` later (staggered), and lasts
    `length_s`. An agent still busy finishes its contact (and after-call work) first."""

    kind: str
    at_s: float
    length_s: float
    spread_s: float = 0.0


@dataclass(frozen=True)
class StaffingChannel:
    """The planner's forecast for one channel: AHT (talk + hold + after-call work) and mean
    patience, as a workforce planner takes them from history."""

    aht_s: float
    patience_s: float | None = None


@dataclass(frozen=True)
class StaffingSpec:
    """The workforce plan (`shapan plan`, `sandbox.staffing`): the service-level target, the
    shrinkage factor and each channel's forecast AHT and patience."""

    target: float
    shrinkage: float
    channels: Mapping[str, StaffingChannel]


@dataclass(frozen=True)
class ServiceSpec:
    """How long work takes: `journey` = the journey's times × agent speed × lognormal noise
    (sigma); `exponential`/`lognormal` = the contact's total handle time is drawn with `mean_s`
    and the journey's step times are rescaled to it (queueing validation)."""

    model: str = "journey"
    mean_s: float | None = None
    sigma: float = 0.25
    #: journey model: each contact's times (agent actions and customer lines) × a lognormal
    #: factor of mean 1 and this cv — how complex this customer's case is (0: off)
    contact_cv: float = 0.0


@dataclass(frozen=True)
class PracticeSpec:
    """The practice room (docs/scenario-format.md § Practice room): `feedback` = every seat
    decision gets its predicted effect (`sandbox.engine.foresight`) and a seat contact's
    outcome includes the later cost of a breach; `nudge_s` = a customer left waiting this
    long for the agent's reply says so once and gets crosser (None: never); `time_scale` =
    the seat's action times (and the efficiency yardstick) multiplied by it."""

    feedback: bool = False
    nudge_s: float | None = None
    time_scale: float = 1.0


@dataclass(frozen=True)
class FormSpec:
    """A seat's form: its own fixed, ordered sequence of customers, routed to that seat only.

    Why: every candidate of an exam (or team of a competition) must meet the same k-th
    customer whatever their speed and whatever the bots around them do. `seed` picks one of
    several parallel forms (None: the session's seed); `customers` caps the sequence (None:
    as many as the seat finishes before the horizon); `gap_s` is the time between finishing a
    customer and the next one being put through."""

    seed: int | None = None
    customers: int | None = None
    gap_s: float = 5.0
    #: an exam's stations: customer k is station k (its journey, channel and a persona that
    #: meets its constraints) instead of a draw from the journey mix; () = the mix
    stations: tuple[StationSpec, ...] = ()
    #: a queue in front of the seat: customer k arrives on the form's own schedule (this
    #: many an hour; the first one at once) and waits up to about `patience_s` (exponential
    #: mean) for the seat (sandbox.engine.form_queue); None = the next rings `gap_s` after
    #: the last, so nobody waits
    arrivals_per_hour: float | None = None
    patience_s: float = 120.0


@dataclass(frozen=True)
class StationSpec:
    """One fixed contact of a form (an exam's OSCE station): the journey, the channel (None:
    the first of the seat's channels the journey supports) and persona constraints that the
    customer drawn for it must meet on top of the journey's own `persona:` filter.

    `values` holds (categorical field, allowed values), `ranges` (numeric field, min, max),
    both inclusive, None = open; field names are `journeys.vocabulary.PERSONA_FIELDS`."""

    journey: str
    channel: str | None = None
    values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    ranges: tuple[tuple[str, float | None, float | None], ...] = ()


@dataclass(frozen=True)
class AgentGroup:
    """`count` identical agents (bots) or one human seat (with its form, if it has one)."""

    id: str
    human: bool
    count: int
    policy: str | None
    name: dict[str, str]
    channels: tuple[str, ...]
    kinds: tuple[str, ...]
    speed: float
    chat_concurrency: int
    shift_start_s: float
    shift_end_s: float
    form: FormSpec | None = None
    breaks: tuple[BreakSpec, ...] = ()


@dataclass(frozen=True)
class Scenario:
    """A validated, immutable scenario. `journeys` maps id -> loaded `Journey`."""

    name: str
    version: int
    title: dict[str, str]
    description: dict[str, str]
    path: str
    duration_s: float
    day_s: float
    start_clock_s: float
    seed: int
    threshold_s: float
    drain_s: float
    channels: tuple[ChannelSpec, ...]
    service: ServiceSpec
    journey_mix: tuple[tuple[str, float], ...]
    journeys: Mapping[str, Any]
    persona_mix: Mapping[str, Any] | None
    priority: Mapping[str, int]
    agents: tuple[AgentGroup, ...]
    seats: tuple[AgentGroup, ...]
    targets: Mapping[str, float]
    hangups: bool
    events: str
    content_hash: str
    overrides: Mapping[str, Any] = field(default_factory=dict)
    practice: PracticeSpec = field(default_factory=PracticeSpec)
    service_level: ServiceLevelSpec = field(default_factory=ServiceLevelSpec)
    staffing: StaffingSpec | None = None

    @property
    def channel_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.channels)

    def journey_hashes(self) -> dict[str, str]:
        return {jid: self.journeys[jid].content_hash for jid, _ in self.journey_mix}

    def with_overrides(self, *, hours: float | None = None, agents: int | None = None) -> Scenario:
        """The scenario run for `hours` (the day repeats) and/or with `agents` bots in total
        (group sizes scaled proportionally, largest remainder; human seats unchanged)."""
        out = self
        done: dict[str, Any] = dict(self.overrides)
        if hours is not None:
            if not (0 < hours <= L.MAX_HOURS):
                raise ValueError(
                    f"--hours is {hours:g}; it must be above 0 and at most {L.MAX_HOURS:g} "
                    "(docs/limits.md)"
                )
            out = replace(out, duration_s=float(hours) * 3600.0)
            done["hours"] = float(hours)
        if agents is not None:
            if not (1 <= agents <= L.MAX_AGENTS):
                raise ValueError(
                    f"--agents is {agents}; it must be between 1 and {L.MAX_AGENTS} "
                    "(about 8 KB of memory each; docs/limits.md)"
                )
            if not self.agents:
                raise ValueError("this scenario has no bot agent groups to scale")
            out = replace(out, agents=_scale_groups(self.agents, agents))
            done["agents"] = int(agents)
        too_big = L.run_problems(out)
        if too_big:
            raise ValueError(f"{too_big[0]} (docs/limits.md)")
        return replace(out, overrides=done)

    def effective_hash(self) -> str:
        """Hash of the file content plus any overrides (what a result must record)."""
        if not self.overrides:
            return self.content_hash
        blob = json.dumps([self.content_hash, dict(sorted(self.overrides.items()))])
        return hashlib.sha256(blob.encode()).hexdigest()


def _scale_groups(groups: tuple[AgentGroup, ...], total: int) -> tuple[AgentGroup, ...]:
    current = sum(g.count for g in groups)
    quotas = [g.count * total / current for g in groups]
    counts = [int(q) for q in quotas]
    order = sorted(range(len(groups)), key=lambda i: (-(quotas[i] - counts[i]), i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return tuple(replace(g, count=c) for g, c in zip(groups, counts, strict=True) if c > 0)


# --------------------------------------------------------------------------- lookup


def shipped_scenarios() -> list[str]:
    """Names of the scenarios shipped in `sandbox/scenarios/`."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def resolve_scenario(name_or_path: str | Path) -> Path:
    """A shipped scenario name or a path to a YAML file."""
    text = str(name_or_path)
    path = Path(text)
    if path.suffix in (".yaml", ".yml") or path.exists() or "/" in text:
        return path
    shipped = SCENARIO_DIR / f"{text}.yaml"
    if shipped.exists():
        return shipped
    names = shipped_scenarios()
    hint = did_you_mean(text, names) or f"; shipped scenarios: {allowed_list(names)}"
    raise ScenarioError(
        [Diagnostic(text, 1, 1, "error", "SC021", f'no scenario named "{text}"{hint}')]
    )


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load and validate a scenario (shipped name or path); raises `ScenarioError`."""
    path = resolve_scenario(name_or_path)
    try:
        doc = load_file(path)
    except JourneyError as err:
        raise ScenarioError([_remap(d) for d in err.diagnostics]) from None
    return _Checker(str(path), path.resolve().parent).scenario(doc)


def _remap(d: Diagnostic) -> Diagnostic:
    return replace(d, code=_YAML_CODES.get(d.code, "SC002"))


# --------------------------------------------------------------------------- checking

_CLOCK_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
_ID_RE = re.compile(r"^[a-z][a-z0-9_\-]*$")


class _Checker(FieldChecker):
    """Walks the parsed document collecting diagnostics (one per mistake)."""

    TOP = (
        "scenario", "version", "title", "description", "duration", "start_time", "seed",
        "service_level_threshold", "drain", "channels", "service", "journeys", "journey_files",
        "personas", "routing", "agents", "seats", "targets", "hangups", "events", "practice",
        "service_level", "staffing",
    )  # fmt: skip
    CHANNEL = ("arrivals_per_hour", "profile", "interval", "day_factor_cv", "interval_cv",
               "line_time", "patience", "after_call_work")  # fmt: skip
    GROUP = (
        "id",
        "count",
        "policy",
        "name",
        "channels",
        "kinds",
        "speed",
        "chat_concurrency",
        "shift",
        "breaks",
    )
    SEAT = ("id", "name", "channels", "kinds", "chat_concurrency", "shift", "form")
    FORM = ("seed", "customers", "gap", "arrivals_per_hour", "patience")

    CODES = Codes(type="SC010", unknown="SC011", missing="SC012", name="SC013",
                  duration="SC015", range="SC016")  # fmt: skip

    def __init__(self, path: str, base: Path):
        super().__init__(path)
        self.base = base
        self.group_pos: dict[tuple[bool, str], Pos] = {}

    def text(self, parent: YMap, key: str, *, required: bool = False) -> dict[str, str]:
        if key not in parent:
            if required:
                raise self.missing(parent, key)
            return {}
        value = parent[key]
        if isinstance(value, str):
            return {"zh-CN": value, "en": value}
        if isinstance(value, YMap) and value and all(isinstance(v, str) for v in value.values()):
            for lang in value:
                if lang not in ("zh-CN", "en"):
                    raise self.err(
                        value.key_pos(lang), "SC013", f'unknown language "{lang}"; use zh-CN or en'
                    )
            out = dict(value)
            out.setdefault("en", out.get("zh-CN", ""))
            out.setdefault("zh-CN", out["en"])
            return out
        raise self.err(
            parent.value_pos(key), "SC010", f'"{key}" must be text or {{zh-CN: ..., en: ...}}'
        )

    def names(self, parent: YMap, key: str, allowed: tuple[str, ...], default: tuple[str, ...]
              ) -> tuple[str, ...]:  # fmt: skip
        if key not in parent:
            return default
        value = parent[key]
        if not isinstance(value, YList) or not value:
            raise self.err(parent.value_pos(key), "SC010", f'"{key}" must be a non-empty list')
        for i, item in enumerate(value):
            if item not in allowed:
                hint = did_you_mean(item, allowed) or f"; one of: {allowed_list(allowed)}"
                raise self.err(value.item_pos(i), "SC013", f'unknown {key[:-1]} "{item}"{hint}')
        return tuple(dict.fromkeys(value))

    # -- the document
    def scenario(self, doc: Any) -> Scenario:
        if not isinstance(doc, YMap):
            pos = doc.pos if isinstance(doc, YList) else Pos()
            self.err(
                pos, "SC010", "a scenario file must be a mapping with a top-level 'scenario:' id"
            )
            raise ScenarioError(self.diags)
        self.unknown(doc, self.TOP, "the scenario")
        g = self.guard
        name = g(self.ident, doc, "scenario", default="?")
        version = g(self.number, doc, "version", 1, 1, 1_000_000, integer=True, default=1)
        title = g(self.text, doc, "title", required=True, default={})
        description = g(self.text, doc, "description", default={})
        duration = g(self.duration, doc, "duration", None, 0.0, L.MAX_DURATION_S, default=3600.0)
        if duration is not None and duration <= 0:
            self.err(doc.value_pos("duration"), "SC016", "duration must be longer than 0")
        start_clock = g(self.clock, doc, default=9 * 3600.0)
        seed = g(self.number, doc, "seed", 1, 0, L.MAX_SEED, integer=True, default=1)
        threshold = g(self.duration, doc, "service_level_threshold", 20.0, 0.0,
                      L.MAX_THRESHOLD_S, default=20.0)  # fmt: skip
        threshold, sl_spec = g(self.service_level, doc, threshold,
                               default=(threshold, ServiceLevelSpec()))  # fmt: skip
        drain = g(self.duration, doc, "drain", 3600.0, 0.0, L.MAX_DRAIN_S, default=3600.0)
        hangups = g(self.boolean, doc, "hangups", True, default=True)
        events = g(self.choice, doc, "events", EVENT_DETAIL, "contacts", default="contacts")
        channels = g(self.channels, doc, default=())
        service = g(self.service, doc, default=ServiceSpec())
        journeys, mix = g(self.journeys, doc, channels or (), default=({}, ()))
        persona_mix = g(self.personas, doc, default=None)
        if journeys and not self.diags:
            self.persona_reach(doc, journeys, persona_mix)
        priority = g(self.routing, doc, default={})
        agents = g(self.groups, doc, "agents", False, duration, drain, default=())
        seats = g(self.groups, doc, "seats", True, duration, drain, default=())
        targets = g(self.targets, doc, default={})
        practice = g(self.practice, doc, default=PracticeSpec())
        staffing = g(self.staffing, doc, channels or (), default=None)
        if not self.diags:
            self.size(doc, agents, seats)
        if not self.diags:
            groups = self.coverage(doc, channels, journeys, mix, agents + seats)
            agents = tuple(g for g in groups if not g.human)
            seats = tuple(g for g in groups if g.human)
        if self.diags:
            raise ScenarioError(sorted(self.diags, key=lambda d: (d.line, d.column)))
        scenario = Scenario(
            name=name, version=int(version), title=title, description=description,
            path=str(Path(self.path).resolve()), duration_s=float(duration), day_s=float(duration),
            start_clock_s=float(start_clock), seed=int(seed), threshold_s=float(threshold),
            drain_s=float(drain), channels=channels, service=service, journey_mix=mix,
            journeys=journeys, persona_mix=persona_mix, priority=priority, agents=agents,
            seats=seats, targets=targets, hangups=bool(hangups), events=events,
            content_hash=document_hash(doc), practice=practice, service_level=sl_spec,
            staffing=staffing,
        )  # fmt: skip
        for problem in L.run_problems(scenario):
            self.err(doc.pos, "SC022", f"{problem} (docs/limits.md)")
        if self.diags:
            raise ScenarioError(self.diags)
        return scenario

    def size(self, doc: YMap, agents: tuple[AgentGroup, ...], seats: tuple[AgentGroup, ...]
             ) -> None:  # fmt: skip
        """Groups and agents within the limits (the number of each is what costs memory)."""
        if len(agents) + len(seats) > L.MAX_GROUPS:
            where = doc.value_pos("agents") if "agents" in doc else doc.value_pos("seats")
            self.err(where, "SC022", f"{len(agents) + len(seats)} agent groups and seats; the "
                     f"limit is {L.MAX_GROUPS} (docs/limits.md): merge groups")  # fmt: skip
        total = sum(g.count for g in agents) + len(seats)
        if total > L.MAX_AGENTS:
            where = doc.value_pos("agents") if "agents" in doc else doc.value_pos("seats")
            self.err(where, "SC022", f"{total} agents in all; the limit is {L.MAX_AGENTS} "
                     "(about 8 KB of memory each; docs/limits.md): use fewer")  # fmt: skip

    def practice(self, doc: YMap) -> PracticeSpec:
        block = self.mapping(doc, "practice")
        if block is None:
            return PracticeSpec()
        self.unknown(block, ("feedback", "nudge", "time_scale"), "practice")
        feedback = self.boolean(block, "feedback", False)
        nudge = self.duration(block, "nudge", 0.0, 0.0, 3600.0) if "nudge" in block else None
        scale = self.number(block, "time_scale", 1.0, 0.2, 2.0)
        return PracticeSpec(bool(feedback), float(nudge) if nudge else None, float(scale))

    def service_level(self, doc: YMap, threshold: float) -> tuple[float, ServiceLevelSpec]:
        """`service_level: {threshold, abandons, short_abandon}` (docs/scoring.md)."""
        block = self.mapping(doc, "service_level")
        if block is None:
            return threshold, ServiceLevelSpec()
        self.unknown(block, ("threshold", "abandons", "short_abandon"), "service_level")
        if "threshold" in block and "service_level_threshold" in doc:
            raise self.err(block.key_pos("threshold"), "SC010",
                           'give the threshold once: "service_level_threshold" or '
                           '"service_level.threshold", not both')  # fmt: skip
        threshold = self.duration(block, "threshold", threshold, 0.0, L.MAX_THRESHOLD_S)
        abandons = self.choice(block, "abandons", SL_ABANDONS, "exclude_within_threshold")
        short = self.duration(block, "short_abandon", 5.0, 0.0, 600.0)
        if "short_abandon" in block and abandons != "exclude_short":
            raise self.err(block.key_pos("short_abandon"), "SC010",
                           '"short_abandon" applies only with "abandons: exclude_short"')  # fmt: skip
        return threshold, ServiceLevelSpec(abandons, short)

    def staffing(self, doc: YMap, channels: tuple[ChannelSpec, ...]) -> StaffingSpec | None:
        """`staffing: {target, shrinkage, channels: {phone: {aht, patience}}}` (`shapan plan`)."""
        block = self.mapping(doc, "staffing")
        if block is None:
            return None
        self.unknown(block, ("target", "shrinkage", "channels"), "staffing")
        target = self.number(block, "target", 0.8, 0.05, 0.999)
        shrinkage = self.number(block, "shrinkage", 0.0, 0.0, 0.8)
        per = self.mapping(block, "channels", required=True)
        names = {c.name for c in channels}
        out: dict[str, StaffingChannel] = {}
        for name, spec in per.items():
            if name not in names:
                hint = (
                    did_you_mean(name, sorted(names))
                    or f"; channels: {allowed_list(sorted(names))}"
                )
                raise self.err(per.key_pos(name), "SC013",
                               f'staffing for channel "{name}" that the scenario does not define{hint}')  # fmt: skip
            if not isinstance(spec, YMap):
                raise self.err(
                    per.value_pos(name), "SC010", f'staffing of "{name}" must be a mapping'
                )
            self.unknown(spec, ("aht", "patience"), f'staffing of channel "{name}"')
            aht = self.duration(spec, "aht", None, L.MIN_SERVICE_MEAN_S, L.MAX_SERVICE_MEAN_S)
            patience = None
            if "patience" in spec:
                patience = self.duration(spec, "patience", None, L.MIN_PATIENCE_MEAN_S,
                                         L.MAX_PATIENCE_MEAN_S)  # fmt: skip
            out[name] = StaffingChannel(float(aht), patience)
        return StaffingSpec(float(target), float(shrinkage), out)

    def time_dist(self, parent: YMap, key: str, allowed: tuple[str, ...]) -> TimeDist:
        """`{distribution, mean, cv}`: a drawn duration."""
        block = self.mapping(parent, key, required=True)
        self.unknown(block, ("distribution", "mean", "cv"), f'"{key}"')
        dist = self.choice(block, "distribution", allowed, "lognormal")
        mean = self.duration(block, "mean", None, 0.0, L.MAX_SERVICE_MEAN_S)
        if dist == "lognormal":
            cv = float(self.number(block, "cv", 0.5, 0.01, 3.0))
        elif "cv" in block:
            raise self.err(block.key_pos("cv"), "SC010",
                           f'"cv" applies only with "distribution: lognormal" (here {dist})')  # fmt: skip
        else:
            cv = 1.0 if dist == "exponential" else 0.0
        return TimeDist(dist, float(mean), cv)

    def patience(self, spec: YMap) -> tuple[str, float | None, float, bool]:
        """`persona` | `none` | `{mean, distribution, cv, persona}` (docs/scenario-format.md)."""
        raw = spec["patience"]
        if raw in ("persona", "none"):
            return raw, None, 1.0, False
        if not isinstance(raw, YMap) or "mean" not in raw:
            raise self.err(spec.value_pos("patience"), "SC010",
                           '"patience" must be persona, none, or {mean: DURATION} (exponential; '
                           "optionally distribution, cv, persona)")  # fmt: skip
        self.unknown(raw, ("mean", "distribution", "cv", "persona"), '"patience"')
        mean = self.duration(raw, "mean", None, L.MIN_PATIENCE_MEAN_S, L.MAX_PATIENCE_MEAN_S)
        dist = self.choice(raw, "distribution", PATIENCE_DISTRIBUTIONS, "exponential")
        cv = 1.0
        if dist == "lognormal":
            cv = float(self.number(raw, "cv", 1.0, 0.05, 3.0))
        elif "cv" in raw:
            raise self.err(raw.key_pos("cv"), "SC010",
                           '"cv" applies only with "distribution: lognormal"')  # fmt: skip
        by_persona = self.boolean(raw, "persona", False)
        return dist, float(mean), cv, by_persona

    def breaks(self, item: YMap, start: float, end: float) -> tuple[BreakSpec, ...]:
        """A group's `breaks:` list: each `{kind, at, length, spread}` inside the shift."""
        raw = item["breaks"]
        if not isinstance(raw, YList):
            raise self.err(item.value_pos("breaks"), "SC010", '"breaks" must be a list')
        if len(raw) > 16:
            raise self.err(item.value_pos("breaks"), "SC016", f"{len(raw)} breaks; at most 16")
        out = []
        for i, b in enumerate(raw):
            if not isinstance(b, YMap):
                raise self.err(raw.item_pos(i), "SC010",
                               "each break must be a mapping {kind, at, length, spread}")  # fmt: skip
            self.unknown(b, ("kind", "at", "length", "spread"), "a break")
            kind = self.choice(b, "kind", BREAK_KINDS, "break")
            at = self.duration(b, "at", None, 0.0, L.MAX_DURATION_S)
            length = self.duration(b, "length", None, 60.0, 4 * 3600.0)
            spread = self.duration(b, "spread", 0.0, 0.0, L.MAX_DURATION_S)
            if start + at + spread + length > end:
                raise self.err(b, "SC016",
                               f"the {kind} (at {at / 60:g} min, spread {spread / 60:g} min, "
                               f"{length / 60:g} min long) must end within the shift "
                               f"({(end - start) / 60:g} min)")  # fmt: skip
            out.append(BreakSpec(kind, at, length, spread))
        return tuple(out)

    def boolean(self, parent: YMap, key: str, default: bool) -> bool:
        value = parent.get(key, default)
        if not isinstance(value, bool):
            raise self.err(parent.value_pos(key), "SC010", f'"{key}" must be true or false')
        return value

    def choice(self, parent: YMap, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = parent.get(key, default)
        if value not in allowed:
            hint = did_you_mean(value, allowed) or f"; one of: {allowed_list(allowed)}"
            raise self.err(parent.value_pos(key), "SC013", f'"{key}" is {value!r}{hint}')
        return value

    def clock(self, doc: YMap) -> float:
        value = doc.get("start_time", "09:00")
        m = _CLOCK_RE.match(value) if isinstance(value, str) else None
        if not m:
            raise self.err(doc.value_pos("start_time"), "SC015",
                           f'"start_time" must be a clock time like "09:00"; got {value!r}')  # fmt: skip
        return int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3) or 0)

    def channels(self, doc: YMap) -> tuple[ChannelSpec, ...]:
        block = self.mapping(doc, "channels", required=True)
        if not block:
            raise self.err(doc.value_pos("channels"), "SC020", "define at least one channel")
        out = []
        for name, spec in block.items():
            if name not in CHANNELS:
                hint = did_you_mean(name, CHANNELS) or f"; one of: {allowed_list(CHANNELS)}"
                self.err(block.key_pos(name), "SC013", f'unknown channel "{name}"{hint}')
                continue
            if not isinstance(spec, YMap):
                self.err(block.value_pos(name), "SC010", f'channel "{name}" must be a mapping')
                continue
            got = self.guard(self.channel, name, spec)
            if got is not None:
                out.append(got)
        return tuple(out)

    def channel(self, name: str, spec: YMap) -> ChannelSpec:
        self.unknown(spec, self.CHANNEL, f'channel "{name}"')
        rate = self.number(spec, "arrivals_per_hour", None, 0, L.MAX_ARRIVALS_PER_HOUR)
        profile: tuple[float, ...] = (1.0,)
        if "profile" in spec:
            raw = spec["profile"]
            if not isinstance(raw, YList) or not raw:
                raise self.err(
                    spec.value_pos("profile"),
                    "SC010",
                    '"profile" must be a non-empty list of numbers',
                )
            if len(raw) > L.MAX_PROFILE_LENGTH:
                raise self.err(spec.value_pos("profile"), "SC016",
                               f'"profile" has {len(raw)} weights; at most {L.MAX_PROFILE_LENGTH}')  # fmt: skip
            for i, w in enumerate(raw):
                if isinstance(w, bool) or not isinstance(w, (int, float)) or not (0 <= w < 1e6):
                    raise self.err(
                        raw.item_pos(i), "SC016", f"profile weight must be a number >= 0; got {w!r}"
                    )
            if sum(raw) <= 0:
                raise self.err(raw, "SC016", "profile weights must not all be 0")
            profile = tuple(float(w) for w in raw)
        interval = self.duration(spec, "interval", 3600.0, L.MIN_INTERVAL_S, L.MAX_INTERVAL_S)
        cv = self.number(spec, "day_factor_cv", 0.0, 0.0, 2.0)
        interval_cv = float(self.number(spec, "interval_cv", 0.0, 0.0, 1.0))
        line_s = self.duration(spec, "line_time", DEFAULT_LINE_S[name], 0.0, L.MAX_LINE_S)
        patience, mean, pcv, by_persona = "persona", None, 1.0, False
        if "patience" in spec:
            patience, mean, pcv, by_persona = self.patience(spec)
        acw = None
        if "after_call_work" in spec:
            acw = self.time_dist(spec, "after_call_work", ACW_DISTRIBUTIONS)
        return ChannelSpec(name, float(rate), profile, interval, float(cv), line_s, patience, mean,
                           pcv, by_persona, acw, interval_cv)  # fmt: skip

    def service(self, doc: YMap) -> ServiceSpec:
        block = self.mapping(doc, "service")
        if block is None:
            return ServiceSpec()
        self.unknown(block, ("model", "mean", "sigma", "contact_cv"), "service")
        model = self.choice(block, "model", SERVICE_MODELS, "journey")
        mean = None
        if model != "journey":
            mean = self.duration(block, "mean", None, L.MIN_SERVICE_MEAN_S, L.MAX_SERVICE_MEAN_S)
        sigma = self.number(block, "sigma", 0.25 if model == "journey" else 0.5, 0.0, 3.0)
        contact_cv = 0.0
        if "contact_cv" in block:
            if model != "journey":
                raise self.err(block.key_pos("contact_cv"), "SC010",
                               '"contact_cv" applies only with "model: journey" (drawn handle '
                               "times have their own spread: sigma)")  # fmt: skip
            contact_cv = float(self.number(block, "contact_cv", 0.0, 0.0, 3.0))
        return ServiceSpec(model, mean, float(sigma), contact_cv)

    def journeys(self, doc: YMap, channels: tuple[ChannelSpec, ...]) -> tuple[dict, tuple]:
        from journeys import load_journey
        from journeys.library import load_shipped

        local: dict[str, Any] = {}
        files = doc.get("journey_files")
        if files is not None:
            if not isinstance(files, YList):
                raise self.err(
                    doc.value_pos("journey_files"),
                    "SC010",
                    '"journey_files" must be a list of paths',
                )
            if len(files) > L.MAX_JOURNEYS:
                raise self.err(doc.value_pos("journey_files"), "SC016",
                               f"{len(files)} journey files; at most {L.MAX_JOURNEYS}")  # fmt: skip
            for i, rel in enumerate(files):
                if not isinstance(rel, str):
                    self.err(files.item_pos(i), "SC010", "a journey file must be a path")
                    continue
                try:
                    j = load_journey(self.base / rel)
                except JourneyError as err:
                    first = err.diagnostics[0]
                    self.err(
                        files.item_pos(i),
                        "SC019",
                        f"{rel}: {len(err.diagnostics)} error(s); first: {first.render()}",
                    )
                    continue
                from journeys.library import shipped_journey_paths

                if j.id in local or j.id in {p.stem for p in shipped_journey_paths()}:
                    where = "another journey file" if j.id in local else "a shipped journey"
                    self.err(
                        files.item_pos(i),
                        "SC017",
                        f'{rel}: journey id "{j.id}" is already the id of {where}; give it '
                        "an id of its own (a journey is never silently replaced)",
                    )
                    continue
                local[j.id] = j
        block = self.mapping(doc, "journeys", required=True)
        if not block:
            raise self.err(doc.value_pos("journeys"), "SC020", "the journey mix is empty")
        if len(block) > L.MAX_JOURNEYS:
            raise self.err(doc.value_pos("journeys"), "SC016",
                           f"{len(block)} journeys in the mix; at most {L.MAX_JOURNEYS}")  # fmt: skip
        loaded: dict[str, Any] = {}
        mix = []
        for jid, weight in block.items():
            if (
                isinstance(weight, bool)
                or not isinstance(weight, (int, float))
                or not (0 < weight < 1e9)
            ):
                self.err(
                    block.value_pos(jid), "SC016", f'weight of journey "{jid}" must be a number > 0'
                )
                continue
            journey = local.get(jid)
            if journey is None:
                try:
                    journey = load_shipped(jid)
                except (KeyError, LookupError, FileNotFoundError, ValueError):
                    journey = None
                except JourneyError as err:
                    self.err(
                        block.key_pos(jid),
                        "SC019",
                        f'shipped journey "{jid}" has errors: {err.diagnostics[0].render()}',
                    )
                    continue
            if journey is None:
                from journeys.library import shipped_journey_paths

                known = [*local, *(p.stem for p in shipped_journey_paths())]
                hint = (
                    did_you_mean(jid, known) or f"; known journeys: {allowed_list(sorted(known))}"
                )
                self.err(block.key_pos(jid), "SC014", f'unknown journey "{jid}"{hint}')
                continue
            loaded[jid] = journey
            mix.append((jid, float(weight)))
        return loaded, tuple(mix)

    def personas(self, doc: YMap) -> dict | None:
        block = self.mapping(doc, "personas")
        if block is None:
            return None
        for fld, weights in block.items():
            if fld not in PERSONA_VALUES:
                hint = (
                    did_you_mean(fld, PERSONA_VALUES) or f"; one of: {allowed_list(PERSONA_VALUES)}"
                )
                raise self.err(
                    block.key_pos(fld), "SC018", f'persona mix field "{fld}" is unknown{hint}'
                )
            if not isinstance(weights, YMap):
                raise self.err(block.value_pos(fld), "SC018", f'"{fld}" must map values to weights')
            for value, w in weights.items():
                if value not in PERSONA_VALUES[fld]:
                    hint = (
                        did_you_mean(value, PERSONA_VALUES[fld])
                        or f"; one of: {allowed_list(PERSONA_VALUES[fld])}"
                    )
                    raise self.err(
                        weights.key_pos(value), "SC018", f'unknown {fld} "{value}"{hint}'
                    )
                if (
                    isinstance(w, bool)
                    or not isinstance(w, (int, float))
                    or not 0 <= w <= L.MAX_PERSONA_WEIGHT
                ):
                    raise self.err(
                        weights.value_pos(value),
                        "SC018",
                        f"weight of {value} must be a number from 0 to {L.MAX_PERSONA_WEIGHT:g}",
                    )
        plain = {k: dict(v) for k, v in block.items()}
        try:
            from customer_models.personas import PersonaMix

            PersonaMix.from_mapping(plain)
        except ValueError as err:
            raise self.err(block, "SC018", f"invalid persona mix: {err}") from None
        return plain

    #: A journey whose persona filter passes fewer customers than this is refused: the engine
    #: draws spare personas 16,384 at a time and would give up (docs/scenario-format.md).
    MIN_PERSONA_SHARE = 0.001

    def persona_reach(self, doc: YMap, journeys: Mapping[str, Any], mix: dict | None) -> None:
        """SC020 for a journey in the mix whose `persona:` filter (almost) no customer of this
        scenario's persona mix can pass — found here, not as an engine error mid-run."""
        from customer_models.personas import CATEGORIES, PersonaMix

        pm = PersonaMix.from_mapping(mix or {})
        block = doc.get("journeys")
        for jid, journey in journeys.items():
            share = 1.0
            for fld, allowed in journey.persona.items():
                probs = dict(zip(CATEGORIES[fld], pm.probabilities(fld), strict=True))
                share *= sum(float(probs.get(v, 0.0)) for v in allowed)
            if share >= self.MIN_PERSONA_SHARE:
                continue
            where = block.key_pos(jid) if isinstance(block, YMap) and jid in block else doc.pos
            filt = ", ".join(f"{k}: [{', '.join(v)}]" for k, v in journey.persona.items())
            self.err(
                where,
                "SC020",
                f'journey "{jid}": no customer of this scenario passes its persona filter '
                f"({filt}; {share:.2%} of the persona mix); widen the filter or the personas mix",
            )

    def routing(self, doc: YMap) -> dict[str, int]:
        block = self.mapping(doc, "routing")
        if block is None:
            return {}
        self.unknown(block, ("priority",), "routing")
        prio = self.mapping(block, "priority")
        if prio is None:
            return {}
        out = {}
        for seg in prio:
            if seg not in PERSONA_VALUES["segment"]:
                hint = (
                    did_you_mean(seg, PERSONA_VALUES["segment"])
                    or f"; one of: {allowed_list(PERSONA_VALUES['segment'])}"
                )
                raise self.err(prio.key_pos(seg), "SC013", f'unknown segment "{seg}"{hint}')
            out[seg] = int(self.number(prio, seg, None, 0, 9, integer=True))
        return out

    def groups(self, doc: YMap, key: str, human: bool, duration: float | None, drain: float | None
               ) -> tuple[AgentGroup, ...]:  # fmt: skip
        if key not in doc:
            return ()
        items = doc[key]
        if not isinstance(items, YList):
            raise self.err(doc.value_pos(key), "SC010", f'"{key}" must be a list')
        out: list[AgentGroup] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if not isinstance(item, YMap):
                self.err(items.item_pos(i), "SC010", f"each entry of {key} must be a mapping")
                continue
            got = self.guard(self.group, item, human, duration or 0.0, drain or 0.0)
            if got is None:
                continue
            if got.id in seen:
                self.err(
                    item.value_pos("id"),
                    "SC017",
                    f'duplicate id "{got.id}" (first on line {seen[got.id]})',
                )
                continue
            seen[got.id] = item.value_pos("id").line
            self.group_pos[(human, got.id)] = (
                item.value_pos("channels") if "channels" in item else item.pos
            )
            out.append(got)
        return tuple(out)

    def group(self, item: YMap, human: bool, duration: float, drain: float) -> AgentGroup:
        what = "a seat" if human else "an agent group"
        self.unknown(item, self.SEAT if human else self.GROUP, what)
        gid = self.ident(item, "id")
        policy = None
        if not human:
            if "policy" not in item:
                raise self.err(
                    item, "SC012", f'agent group "{gid}" needs a "policy" ({", ".join(POLICIES)})'
                )
            policy = self.choice(item, "policy", POLICIES, "")
        count = 1 if human else int(self.number(item, "count", 1, 1, L.MAX_AGENTS, integer=True))
        name = self.text(item, "name") or (
            {"zh-CN": "学员", "en": "Trainee"} if human else {"zh-CN": gid, "en": gid}
        )
        channels = self.names(item, "channels", CHANNELS, ())
        kinds = self.names(item, "kinds", KINDS, KINDS)
        speed = 1.0 if human else float(self.number(item, "speed", 1.0, 0.2, 5.0))
        conc = int(self.number(item, "chat_concurrency", 1, 1, 8, integer=True))
        start, end = 0.0, duration
        if "shift" in item:
            shift = self.mapping(item, "shift", required=True)  # present: checked above
            self.unknown(shift, ("start", "end"), "shift")
            start = self.duration(shift, "start", 0.0)
            end = self.duration(shift, "end", duration)
            if not (start < end <= duration + drain):
                raise self.err(shift, "SC016",
                               f"shift must start before it ends and end by duration + drain ({(duration + drain) / 3600:g} h)")  # fmt: skip
        form = self.form(item) if human and "form" in item else None
        breaks = self.breaks(item, start, end) if "breaks" in item else ()
        return AgentGroup(
            gid, human, count, policy, name, channels, kinds, speed, conc, start, end, form, breaks
        )

    def form(self, item: YMap) -> FormSpec | None:
        """`form: true` (the defaults), `form: false`, or `form: {seed, customers, gap}`."""
        value = item["form"]
        if isinstance(value, bool):
            return FormSpec() if value else None
        block = self.mapping(item, "form")
        assert block is not None
        self.unknown(block, self.FORM, "form")
        seed = block.get("seed")
        if seed is not None:
            seed = int(self.number(block, "seed", None, 0, L.MAX_SEED, integer=True))
        customers = block.get("customers")
        if customers is not None:
            customers = int(self.number(block, "customers", None, 1, 10_000, integer=True))
        gap = self.duration(block, "gap", 5.0)
        if gap > 3600:
            raise self.err(block.value_pos("gap"), "SC016", f'"gap" is {gap:g} s; at most 1h')
        rate = block.get("arrivals_per_hour")
        if rate is not None:
            rate = float(self.number(block, "arrivals_per_hour", None, 0.5, 600))
        patience = self.duration(block, "patience", 120.0)
        if not 5.0 <= patience <= 3600:
            raise self.err(block.value_pos("patience"), "SC016",
                           f'"patience" is {patience:g} s; use 5s to 1h')  # fmt: skip
        return FormSpec(seed, customers, gap, arrivals_per_hour=rate, patience_s=patience)

    def targets(self, doc: YMap) -> dict[str, float]:
        block = self.mapping(doc, "targets")
        if block is None:
            return {}
        out = {}
        for key in block:
            if key not in KPI_KEYS:
                hint = did_you_mean(key, KPI_KEYS) or f"; KPIs: {allowed_list(KPI_KEYS, 20)}"
                self.err(block.key_pos(key), "SC013", f'unknown KPI "{key}"{hint}')
                continue
            value = self.guard(self.number, block, key, None, 0, 1e12)
            if value is not None:
                out[key] = float(value)
        return out

    def coverage(self, doc, channels, journeys, mix, groups) -> tuple[AgentGroup, ...]:
        """Groups without `channels` serve every defined channel; every channel with arrivals
        has journeys and someone to answer it. Returns the completed groups."""
        names = {c.name for c in channels}
        out = []
        for g in groups:
            if not g.channels:
                g = replace(g, channels=tuple(c for c in CHANNELS if c in names))
            extra = [c for c in g.channels if c not in names]
            if extra:
                self.err(
                    self.group_pos.get((g.human, g.id), doc.value_pos("agents")),
                    "SC020",
                    f'"{g.id}" serves channel "{extra[0]}" that the scenario does not define',
                )
            out.append(g)
        if self.diags:
            return tuple(out)
        for ch in channels:
            if ch.arrivals_per_hour <= 0:
                continue
            fit = [jid for jid, _ in mix if ch.name in journeys[jid].channels]
            if not fit:
                self.err(
                    doc.value_pos("journeys"),
                    "SC020",
                    f'no journey in the mix arrives on channel "{ch.name}"; add one whose channels include it',
                )
                continue
            kinds = sorted({journeys[j].kind for j in fit})
            for kind in kinds:
                if not any(ch.name in g.channels and kind in g.kinds for g in out):
                    self.err(
                        doc.value_pos("channels"),
                        "SC020",
                        f'nobody answers {kind} contacts on channel "{ch.name}"; give an agent '
                        f"group or seat that channel and kind (or drop those journeys from the mix)",
                    )
                    break
        return tuple(out)
