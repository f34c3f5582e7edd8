"""Load an exam file strictly (docs/exam-format.md); every mistake is one `EXnnn` diagnostic.

The YAML layer is `journeys.strict_yaml` (duplicate keys, no YAML 1.1 coercions, positions),
durations go through `journeys.durations`, names come from `journeys.vocabulary`: an exam is
checked exactly as strictly as the journeys and scenarios it is built on.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from journeys.diagnostics import Diagnostic, JourneyError, allowed_list, did_you_mean
from journeys.strict_yaml import Pos, YList, YMap, load_file
from journeys.vocabulary import (
    LANGUAGES,
    OUTCOMES,
    PERSONA_FIELDS,
    PERSONA_VALUES,
    RISK_TYPES,
    RUBRIC,
)
from sandbox.exam.errors import YAML_CODES, ExamError
from sandbox.exam.model import (
    FAILS,
    MEASURES,
    MODES,
    CriticalError,
    Exam,
    Form,
    Measure,
    PassRule,
    Retake,
)
from sandbox.scenario import StationSpec
from sandbox.strict_fields import Codes, Fail, FieldChecker, document_hash

EXAM_DIR = Path(__file__).resolve().parent.parent / "exams"
_ID_RE = re.compile(r"^[a-z][a-z0-9_\-]*$")
_FORM_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
MEASURE_NAMES: tuple[str, ...] = MEASURES + tuple(f"rubric.{d}" for d in RUBRIC)
#: A station's numeric persona constraints: field -> (lowest, highest, whole numbers only),
#: the range `customer_models.personas` can produce (categorical fields: PERSONA_VALUES).
PERSONA_RANGES: dict[str, tuple[float, float, bool]] = {
    "tenure_years": (0, 40, False),
    "products": (1, 8, True),
    "value": (0, 10_000_000, False),
    "prior_contacts": (0, 6, True),
    "churn_risk": (0, 1, False),
    "anger": (0, 10, True),
    "trust": (0, 10, True),
    "patience": (0, 10, True),
}
assert set(PERSONA_RANGES) | set(PERSONA_VALUES) == set(PERSONA_FIELDS)
MAX_STATIONS = 200


def shipped_exams() -> list[str]:
    """Ids of the exams shipped in `sandbox/exams/`."""
    return sorted(p.stem for p in EXAM_DIR.glob("*.yaml"))


def resolve_exam(name_or_path: str | Path) -> Path:
    """A shipped exam id or a path to a YAML file."""
    text = str(name_or_path)
    shipped = EXAM_DIR / f"{text}.yaml"
    if "/" not in text and not text.endswith((".yaml", ".yml")) and shipped.exists():
        return shipped
    return Path(text)


def load_exam(name_or_path: str | Path) -> Exam:
    """Load and validate an exam (shipped id or path); raises `ExamError`."""
    path = resolve_exam(name_or_path)
    try:
        doc = load_file(path)
    except JourneyError as err:
        raise ExamError(
            [replace(d, code=YAML_CODES.get(d.code, "EX002")) for d in err.diagnostics]
        ) from None
    return _Checker(str(path), path.resolve().parent).exam(doc)


def check_exam(name_or_path: str | Path) -> tuple[Exam | None, list[Diagnostic]]:
    """(exam, []) or (None, diagnostics): for validators that report rather than raise."""
    try:
        return load_exam(name_or_path), []
    except ExamError as err:
        return None, list(err.diagnostics)


class _Checker(FieldChecker):
    TOP = (
        "exam", "version", "title", "instructions", "lang", "scenario", "seat", "forms",
        "time_limits", "mode", "scoring", "retake", "stations",
    )  # fmt: skip
    FORM = ("id", "seed", "customers", "gap")
    STATION = ("journey", "channel", "persona")
    SCORING = ("measures", "critical_errors", "pass")
    MEASURE = ("weight", "against", "zero_at")
    CRITICAL = ("risk", "outcome", "fails")
    PASS = ("cut", "contact_cut", "contacts_passed")

    CODES = Codes(type="EX010", unknown="EX011", missing="EX012", name="EX013",
                  duration="EX014", range="EX015")  # fmt: skip
    ID_TEXT = 'an id of letters, digits, "_" or "-"'

    def __init__(self, path: str, base: Path):
        super().__init__(path)
        self.base = base
        self.station_items: list[YMap] = []  # each station's mapping, for EX024's position

    # -- helpers

    def name(self, parent: YMap, key: str, allowed: tuple[str, ...] | list[str], what: str) -> str:
        value = parent[key]
        if not isinstance(value, str):
            raise self.err(parent.value_pos(key), "EX010", f'"{key}" must be a name, got {value!r}')
        if value not in allowed:
            hint = did_you_mean(value, allowed) or f"; one of: {allowed_list(allowed)}"
            raise self.err(parent.value_pos(key), "EX013", f'unknown {what} "{value}"{hint}')
        return value

    def text(self, parent: YMap, key: str) -> dict[str, str]:
        """Required text in both languages: {zh-CN: ..., en: ...}."""
        if key not in parent:
            raise self.missing(parent, key)
        value = parent[key]
        if not isinstance(value, YMap) or not all(isinstance(v, str) for v in value.values()):
            raise self.err(
                parent.value_pos(key), "EX010", f'"{key}" must be {{zh-CN: ..., en: ...}}'
            )
        for lang in value:
            if lang not in LANGUAGES:
                raise self.err(value.key_pos(lang), "EX013",
                               f'unknown language "{lang}"; use zh-CN and en')  # fmt: skip
        for lang in LANGUAGES:
            if not value.get(lang, "").strip():
                raise self.err(value, "EX012", f'"{key}" needs a non-empty "{lang}" text')
        return dict(value)

    # -- the document
    def exam(self, doc: Any) -> Exam:
        if not isinstance(doc, YMap):
            pos = doc.pos if isinstance(doc, (YMap, YList)) else Pos()
            self.err(pos, "EX010", "an exam file must be a mapping with a top-level 'exam:' id")
            raise ExamError(self.diags)
        self.unknown(doc, self.TOP, "the exam")
        g = self.guard
        exam_id = g(self.ident, doc, "exam", default="?")
        version = g(self.number, doc, "version", None, 1, 1_000_000, integer=True, default=1)
        title = g(self.text, doc, "title", default={})
        instructions = g(self.text, doc, "instructions", default={})
        lang = g(self.lang, doc, default="zh-CN")
        scenario, ref = g(self.scenario, doc, default=(None, ""))
        seat = g(self.seat, doc, scenario, default="")
        stations = g(self.stations, doc, scenario, seat, default=None)
        forms = g(self.forms, doc, stations, default=())
        if stations and forms and scenario is not None and not self.diags:
            g(self.fill_stations, scenario, seat, stations, forms)
        limits = g(self.time_limits, doc, default=(0.0, None))
        mode = g(self.mode, doc, default="timed")
        scoring = g(self.scoring, doc, forms, default=None)
        retake = g(self.retake, doc, default=Retake())
        if self.diags:
            raise ExamError(sorted(self.diags, key=lambda d: (d.line, d.column)))
        measures, critical, pass_rule = scoring
        return Exam(
            id=exam_id, version=int(version), title=title, instructions=instructions, lang=lang,
            path=str(Path(self.path).resolve()), scenario_ref=ref, scenario=scenario, seat=seat,
            forms=forms, exam_limit_s=limits[0], contact_limit_s=limits[1], mode=mode,
            measures=measures, critical=critical, pass_rule=pass_rule, retake=retake,
            content_hash=document_hash(doc), stations=stations or (),
        )  # fmt: skip

    def lang(self, doc: YMap) -> str:
        if "lang" not in doc:
            raise self.missing(doc, "lang")
        return self.name(doc, "lang", LANGUAGES, "language")

    def scenario(self, doc: YMap) -> tuple[Any, str]:
        from sandbox.scenario import SCENARIO_DIR, ScenarioError, load_scenario, shipped_scenarios

        if "scenario" not in doc:
            raise self.missing(doc, "scenario")
        ref = doc["scenario"]
        where = doc.value_pos("scenario")
        if not isinstance(ref, str) or not ref:
            raise self.err(where, "EX010", '"scenario" must be a shipped scenario name or a path')
        if ref.endswith((".yaml", ".yml")) or "/" in ref:
            path = self.base / ref
            if not path.is_file():
                raise self.err(
                    where, "EX017", f"no scenario file {ref} (relative to the exam file)"
                )
        else:
            path = SCENARIO_DIR / f"{ref}.yaml"
            if not path.is_file():
                names = shipped_scenarios()
                hint = did_you_mean(ref, names) or f"; shipped scenarios: {allowed_list(names)}"
                raise self.err(where, "EX017", f'no shipped scenario named "{ref}"{hint}')
        try:
            return load_scenario(path), ref
        except ScenarioError as err:
            d = err.diagnostics[0]
            first = f"{ref}:{d.line}:{d.column}: {d.code}: {d.message}"
            raise self.err(
                where, "EX018", f"{len(err.diagnostics)} error(s) in the scenario; first: {first}"
            ) from None

    def seat(self, doc: YMap, scenario: Any) -> str:
        seat = self.ident(doc, "seat")
        if scenario is None:
            return seat
        seats = [s.id for s in scenario.seats]
        if seat not in seats:
            hint = did_you_mean(seat, seats) or (
                f"; its seats: {allowed_list(seats)}" if seats else "; it has no human seat"
            )
            raise self.err(doc.value_pos("seat"), "EX019",
                           f'scenario "{scenario.name}" has no seat "{seat}"{hint}')  # fmt: skip
        return seat

    def forms(self, doc: YMap, stations: tuple[StationSpec, ...] | None) -> tuple[Form, ...]:
        if "forms" not in doc:
            raise self.missing(doc, "forms")
        items = doc["forms"]
        if not isinstance(items, YList) or not items:
            raise self.err(doc.value_pos("forms"), "EX010", '"forms" must be a non-empty list')
        out: list[Form] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(items):
            if not isinstance(item, YMap):
                self.err(items.item_pos(i), "EX010", "each form must be a mapping")
                continue
            form = self.guard(self.form, item, "stations" in doc, stations)
            if form is None:
                continue
            if form.id in seen:
                self.err(item.value_pos("id"), "EX016",
                         f'duplicate form id "{form.id}" (first on line {seen[form.id]})')  # fmt: skip
                continue
            seen[form.id] = item.value_pos("id").line
            twin = next((f for f in out if f.seed == form.seed), None)
            if twin is not None:
                self.err(item.value_pos("seed"), "EX020",
                         f'form "{form.id}" has the seed of form "{twin.id}": they would be '
                         "the same customers, not parallel forms")  # fmt: skip
                continue
            if out and form.customers != out[0].customers:
                self.err(item.value_pos("customers"), "EX020",
                         f"parallel forms must have the same number of customers: form "
                         f'"{out[0].id}" has {out[0].customers}, "{form.id}" has {form.customers}')  # fmt: skip
                continue
            out.append(form)
        return tuple(out)

    def form(
        self, item: YMap, with_stations: bool, stations: tuple[StationSpec, ...] | None
    ) -> Form:
        """A form; with stations (written once at the top, `stations` None when they have
        errors) `customers` may be left out: it is the number of stations."""
        if "stations" in item:
            self.err(item.key_pos("stations"), "EX011",
                     'unknown field "stations" in a form; stations are written once, at the '
                     "top level of the exam, and every parallel form meets them")  # fmt: skip
        self.unknown(item, (*self.FORM, "stations"), "a form")
        fid = self.ident(item, "id", _FORM_ID_RE)
        seed = int(self.number(item, "seed", None, 0, 2**63 - 1, integer=True))
        if not with_stations:
            customers = int(self.number(item, "customers", None, 1, 200, integer=True))
        else:
            customers = len(stations or ())
            if "customers" in item:
                given = int(self.number(item, "customers", None, 1, 200, integer=True))
                if stations and given != customers:
                    raise self.err(item.value_pos("customers"), "EX020",
                                   f'form "{fid}" has {given} customers but the exam has '
                                   f'{customers} stations; leave "customers" out (one customer '
                                   "per station)")  # fmt: skip
        gap = self.duration(item, "gap", 5.0, 0.0, 3600.0)
        return Form(fid, seed, customers, gap)

    # -- stations (docs/exam-format.md#stations)

    def stations(self, doc: YMap, scenario: Any, seat: str) -> tuple[StationSpec, ...]:
        """The exam's stations, or () when it has none (the scenario's journey mix)."""
        if "stations" not in doc:
            return ()
        items = doc["stations"]
        where = doc.value_pos("stations")
        if not isinstance(items, YList) or not items:
            raise self.err(where, "EX010",
                           '"stations" must be a non-empty list of {journey, channel, persona}')  # fmt: skip
        if len(items) > MAX_STATIONS:
            raise self.err(where, "EX015",
                           f"{len(items)} stations; an exam has at most {MAX_STATIONS}")  # fmt: skip
        group = None
        if scenario is not None:
            group = next((s for s in scenario.seats if s.id == seat), None)
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, YMap):
                self.err(items.item_pos(i), "EX010",
                         "each station must be a mapping {journey, channel, persona}")  # fmt: skip
                continue
            station = self.guard(self.station, item, scenario, group)
            if station is not None:
                out.append(station)
                self.station_items.append(item)
        if len(out) < len(items):
            raise Fail()  # a partial list would misnumber the stations
        return tuple(out)

    def station(self, item: YMap, scenario: Any, group: Any) -> StationSpec:
        self.unknown(item, self.STATION, "a station")
        if "journey" not in item:
            raise self.missing(item, "journey")
        jid = item["journey"]
        if not isinstance(jid, str) or not jid:
            raise self.err(item.value_pos("journey"), "EX010",
                           f'"journey" must be a journey id, got {jid!r}')  # fmt: skip
        journey = None
        if scenario is not None:
            journey = scenario.journeys.get(jid)
            if journey is None:
                names = list(scenario.journeys)
                hint = did_you_mean(jid, names) or f"; its journeys: {allowed_list(names, 20)}"
                raise self.err(item.value_pos("journey"), "EX021",
                               f'scenario "{scenario.name}" has no journey "{jid}"{hint}')  # fmt: skip
        channel = self.guard(self.station_channel, item, scenario, group, journey)
        persona = self.guard(self.station_persona, item, scenario, journey, default=None)
        if channel is None or persona is None:
            raise Fail()
        return StationSpec(jid, channel or None, persona[0], persona[1])

    def station_channel(self, item: YMap, scenario: Any, group: Any, journey: Any) -> str:
        """The station's channel: as written, else the first of the seat's channels the
        journey supports (what `FormFeed` would pick); '' when it cannot be checked."""
        given = item.get("channel")
        if "channel" in item and not isinstance(given, str):
            raise self.err(item.value_pos("channel"), "EX010",
                           f'"channel" must be a channel name, got {given!r}')  # fmt: skip
        if scenario is None or group is None or journey is None:
            return given or ""
        if "channel" in item and given not in scenario.channel_names:
            names = scenario.channel_names
            hint = did_you_mean(given, names) or f"; its channels: {allowed_list(names)}"
            raise self.err(item.value_pos("channel"), "EX013",
                           f'scenario "{scenario.name}" has no channel "{given}"{hint}')  # fmt: skip
        where = item.value_pos("journey")
        if journey.kind not in group.kinds:
            raise self.err(where, "EX022",
                           f'seat "{group.id}" takes only {allowed_list(group.kinds)} journeys '
                           f'and "{journey.id}" is of kind {journey.kind}')  # fmt: skip
        seat_channels = [c for c in group.channels if c in scenario.channel_names]
        usable = [c for c in seat_channels if c in journey.channels]
        if not usable:
            raise self.err(where, "EX022",
                           f'journey "{journey.id}" runs on {allowed_list(journey.channels)} and '
                           f'seat "{group.id}" takes {allowed_list(seat_channels)}: no channel '
                           "in common")  # fmt: skip
        if "channel" not in item:
            return str(usable[0])
        if given not in usable:
            raise self.err(item.value_pos("channel"), "EX022",
                           f'journey "{journey.id}" cannot come in by {given} at seat '
                           f'"{group.id}"; use {allowed_list(usable)}')  # fmt: skip
        return str(given)

    def station_persona(
        self, item: YMap, scenario: Any, journey: Any
    ) -> tuple[
        tuple[tuple[str, tuple[str, ...]], ...], tuple[tuple[str, float | None, float | None], ...]
    ]:
        """(values, ranges) of a station's `persona:` constraints."""
        m = self.mapping(item, "persona")
        if m is None:
            return (), ()
        values: list[tuple[str, tuple[str, ...]]] = []
        ranges: list[tuple[str, float | None, float | None]] = []
        failed = False
        for fld in m:
            if fld in PERSONA_VALUES:
                got = self.guard(self.persona_values, m, fld, scenario, journey)
                if got is not None:
                    values.append((fld, got))
            elif fld in PERSONA_RANGES:
                got = self.guard(self.persona_range, m, fld)
                if got is not None:
                    ranges.append((fld, *got))
            else:
                hint = did_you_mean(fld, PERSONA_FIELDS) or (
                    f"; one of: {allowed_list(PERSONA_FIELDS, 20)}"
                )
                self.err(m.key_pos(fld), "EX013", f'unknown persona field "{fld}"{hint}')
                got = None
            failed |= got is None
        if failed:
            raise Fail()
        return tuple(values), tuple(ranges)

    def persona_values(self, m: YMap, fld: str, scenario: Any, journey: Any) -> tuple[str, ...]:
        """`segment: vip` or `segment: [vip, mass]`; EX023 when the journey's own filter or
        the scenario's persona mix leaves none of them."""
        raw = m[fld]
        allowed = PERSONA_VALUES[fld]
        listed = [raw] if isinstance(raw, str) else raw
        if not isinstance(listed, YList | list) or not listed:
            raise self.err(m.value_pos(fld), "EX010",
                           f'"{fld}" must be a value or a list of values of: {allowed_list(allowed)}')  # fmt: skip
        out: list[str] = []
        for i, value in enumerate(listed):
            where = listed.item_pos(i) if isinstance(listed, YList) else m.value_pos(fld)
            if not isinstance(value, str):
                raise self.err(where, "EX010", f'"{fld}" values are names, got {value!r}')
            if value not in allowed:
                hint = did_you_mean(value, allowed) or f"; one of: {allowed_list(allowed)}"
                raise self.err(where, "EX013", f'unknown {fld} value "{value}"{hint}')
            if value not in out:
                out.append(value)
        if journey is not None and not set(out) & set(journey.persona.get(fld, out)):
            raise self.err(m.value_pos(fld), "EX023",
                           f'journey "{journey.id}" only takes callers with {fld} '
                           f"{allowed_list(journey.persona[fld])}, so no caller can have "
                           f"{fld} {allowed_list(out)}")  # fmt: skip
        if scenario is not None and scenario.persona_mix and fld in scenario.persona_mix:
            from customer_models.personas import CATEGORIES, PersonaMix

            probs = PersonaMix.from_mapping(scenario.persona_mix).probabilities(fld)
            weight = dict(zip(CATEGORIES[fld], probs.tolist(), strict=True))
            if not any(weight[v] > 0 for v in out):
                raise self.err(m.value_pos(fld), "EX023",
                               f'scenario "{scenario.name}" gives {fld} {allowed_list(out)} no '
                               "weight in its persona mix, so no caller has it")  # fmt: skip
        return tuple(out)

    def persona_range(self, m: YMap, fld: str) -> tuple[float | None, float | None]:
        """`anger: 4` (whole-number fields: exactly) or `anger: {min: 3, max: 8}` (inclusive,
        either may be left out), within what the persona model produces."""
        lo, hi, integer = PERSONA_RANGES[fld]
        raw = m[fld]
        if not isinstance(raw, YMap):
            if not integer:
                raise self.err(m.value_pos(fld), "EX010",
                               f'"{fld}" takes a range {{min: ..., max: ...}}, got {raw!r}')  # fmt: skip
            exact = self.number(m, fld, None, lo, hi, integer=True)
            return exact, exact
        self.unknown(raw, ("min", "max"), f'persona field "{fld}"')
        if id(raw) in self.unknown_keys:
            raise Fail()
        if not raw:
            raise self.err(raw, "EX012", f'"{fld}" needs "min", "max" or both')
        low = self.number(raw, "min", None, lo, hi, integer=integer) if "min" in raw else None
        high = self.number(raw, "max", None, lo, hi, integer=integer) if "max" in raw else None
        if low is not None and high is not None and low > high:
            raise self.err(raw.value_pos("max"), "EX020",
                           f'"{fld}": max {high:g} is below min {low:g}; no caller fits')  # fmt: skip
        return low, high

    def fill_stations(
        self, scenario: Any, seat: str, stations: tuple[StationSpec, ...], forms: tuple[Form, ...]
    ) -> None:
        """EX024 for a station that no persona meets within the engine's bound, found by
        drawing exactly as `FormFeed` will, with each form's own seed (so a validated exam's
        forms always fill and never hang)."""
        from customer_models.personas import PersonaMix
        from sandbox.engine.customers import STATION_DRAWS, station_persona

        mix = PersonaMix.from_mapping(scenario.persona_mix) if scenario.persona_mix else None
        for k, station in enumerate(stations):
            journey = scenario.journeys[station.journey]
            for form in forms:
                if station_persona(form.seed, seat, k, station, journey, mix) is not None:
                    continue
                item = self.station_items[k]
                where = item.value_pos("persona") if "persona" in item else item.pos
                self.err(where, "EX024",
                         f"station {k + 1} ({station.journey}): none of the {STATION_DRAWS} "
                         f'callers drawn for form "{form.id}" (seed {form.seed}) meets its '
                         "persona constraints and the journey's own filter; loosen them")  # fmt: skip
                break

    def time_limits(self, doc: YMap) -> tuple[float, float | None]:
        block = self.mapping(doc, "time_limits", required=True)
        assert block is not None
        self.unknown(block, ("exam", "contact"), "time_limits")
        exam = self.duration(block, "exam", None, 60.0, 4 * 3600.0)
        contact = None
        if "contact" in block:
            contact = self.duration(block, "contact", None, 10.0, 4 * 3600.0)
            if contact > exam:
                raise self.err(block.value_pos("contact"), "EX020",
                               f"the contact limit ({contact:g} s) is longer than the whole exam ({exam:g} s)")  # fmt: skip
        return exam, contact

    def mode(self, doc: YMap) -> str:
        if "mode" not in doc:
            return "timed"
        return self.name(doc, "mode", MODES, "mode")

    def scoring(self, doc: YMap, forms: tuple[Form, ...]) -> tuple[Any, ...]:
        block = self.mapping(doc, "scoring", required=True)
        assert block is not None
        self.unknown(block, self.SCORING, "scoring")
        measures = self.guard(self.measures, block, default=())
        critical = self.guard(self.critical_errors, block, default=())
        rule = self.guard(self.pass_rule, block, forms, default=None)
        if rule is None or not measures:
            raise Fail()
        return measures, critical, rule

    def measures(self, block: YMap) -> tuple[Measure, ...]:
        m = self.mapping(block, "measures", required=True)
        assert m is not None
        if not m:
            raise self.err(block.value_pos("measures"), "EX020", "give at least one measure")
        out = []
        for key, spec in m.items():
            if key not in MEASURE_NAMES:
                hint = (
                    did_you_mean(key, MEASURE_NAMES)
                    or f"; one of: {allowed_list(MEASURE_NAMES, 20)}"
                )
                self.err(m.key_pos(key), "EX013", f'unknown measure "{key}"{hint}')
                continue
            got = self.guard(self.measure, m, key, spec)
            if got is not None:
                out.append(got)
        if not out:
            raise Fail()
        return tuple(out)

    def measure(self, m: YMap, key: str, spec: Any) -> Measure:
        if not isinstance(spec, YMap):
            return Measure(key, float(self.number(m, key, None, 0.001, 1000)))
        self.unknown(spec, self.MEASURE, f'measure "{key}"')
        weight = float(self.number(spec, "weight", None, 0.001, 1000))
        against = zero_at = None
        if "against" in spec:
            if key != "handle_time":
                raise self.err(
                    spec.key_pos("against"), "EX011", '"against" belongs to handle_time only'
                )
            if spec["against"] != "pace":
                against = self.duration(spec, "against", None, 10.0, 4 * 3600.0)
        if "zero_at" in spec:
            if key != "risk_points":
                raise self.err(
                    spec.key_pos("zero_at"), "EX011", '"zero_at" belongs to risk_points only'
                )
            zero_at = float(self.number(spec, "zero_at", None, 1, 1000))
        return Measure(key, weight, against, zero_at if zero_at is not None else 10.0)

    def critical_errors(self, block: YMap) -> tuple[CriticalError, ...]:
        if "critical_errors" not in block:
            return ()
        items = block["critical_errors"]
        if not isinstance(items, YList):
            raise self.err(block.value_pos("critical_errors"), "EX010",
                           '"critical_errors" must be a list')  # fmt: skip
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, YMap):
                self.err(items.item_pos(i), "EX010", "each critical error must be a mapping")
                continue
            got = self.guard(self.critical, item)
            if got is not None:
                out.append(got)
        return tuple(out)

    def critical(self, item: YMap) -> CriticalError:
        self.unknown(item, self.CRITICAL, "a critical error")
        if ("risk" in item) == ("outcome" in item):
            raise self.err(
                item, "EX020", 'a critical error names exactly one of "risk" or "outcome"'
            )
        risk = self.name(item, "risk", tuple(RISK_TYPES), "risk type") if "risk" in item else None
        outcome = (
            self.name(item, "outcome", tuple(OUTCOMES), "outcome") if "outcome" in item else None
        )
        if "fails" not in item:
            raise self.missing(item, "fails")
        return CriticalError(risk, outcome, self.name(item, "fails", FAILS, "scope"))

    def pass_rule(self, block: YMap, forms: tuple[Form, ...]) -> PassRule:
        rule = self.mapping(block, "pass", required=True)
        assert rule is not None
        self.unknown(rule, self.PASS, "pass")
        cut = float(self.number(rule, "cut", None, 0, 100))
        contact_cut = float(self.number(rule, "contact_cut", None, 0, 100))
        k = int(self.number(rule, "contacts_passed", 0, 0, 200, integer=True))
        if forms and 0 < forms[0].customers < k:
            raise self.err(rule.value_pos("contacts_passed"), "EX020",
                           f"{k} contacts must pass but a form has only {forms[0].customers} customers")  # fmt: skip
        return PassRule(cut, contact_cut, k)

    def retake(self, doc: YMap) -> Retake:
        block = self.mapping(doc, "retake")
        if block is None:
            return Retake()
        self.unknown(block, ("attempts", "wait", "rotate_forms"), "retake")
        attempts = int(self.number(block, "attempts", 1, 1, 20, integer=True))
        wait = self.duration(block, "wait", 0.0, 0.0, 366 * 86400.0)
        rotate = block.get("rotate_forms", True)
        if not isinstance(rotate, bool):
            raise self.err(
                block.value_pos("rotate_forms"), "EX010", '"rotate_forms" must be true or false'
            )
        return Retake(attempts, wait, rotate)
