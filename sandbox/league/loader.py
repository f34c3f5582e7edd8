"""Load a competition file strictly (docs/competition-format.md); every mistake is one `LGnnn`
diagnostic at its line and column (docs/competition-errors.md).

The YAML layer is `journeys.strict_yaml` (duplicate keys, no YAML 1.1 coercions, positions),
fields are read by `sandbox.strict_fields.FieldChecker`, durations go through
`journeys.durations`, and a round's `personas:` block is read by the scenario loader's own
reader: a competition is checked exactly as strictly as the scenarios and journeys it plays.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from journeys.diagnostics import Diagnostic, JourneyError, allowed_list, did_you_mean
from journeys.strict_yaml import Pos, YList, YMap, load_file
from journeys.vocabulary import LANGUAGES
from sandbox.league.errors import YAML_CODES, CompetitionError
from sandbox.league.model import (
    DEFAULT_RANGES,
    SCORE_KPIS,
    Competition,
    Round,
    ScoreItem,
    Signup,
    Team,
)
from sandbox.strict_fields import Codes, Fail, FieldChecker, document_hash

COMPETITION_DIR = Path(__file__).resolve().parent.parent / "competitions"

MIN_TEAMS, MAX_TEAMS = 2, 60
MAX_SEATS = 8
MAX_ROUNDS = 12
MAX_SCORECARD = 20
MAX_TEAM_NAME = 40  # characters: a board column, readable from the back row
MAX_SEED = 2**63 - 1
#: What a scorecard's `worst`/`best` may be, per KPI: the values the KPI can take.
KPI_DOMAIN: dict[str, tuple[float, float]] = {
    "csat_mean": (1.0, 5.0),
    "fcr": (0.0, 1.0),
    "aht_s": (0.0, 4 * 3600.0),
    "service_level": (0.0, 1.0),
    "abandonment_rate": (0.0, 1.0),
    "cross_sell_rate": (0.0, 1.0),
    "risk_points": (0.0, 100.0),
    "handled": (0.0, 10_000.0),
    **{k: (0.0, 100.0) for k in SCORE_KPIS if k == "rubric" or k.startswith("rubric.")},
}
assert set(KPI_DOMAIN) == set(SCORE_KPIS) == set(DEFAULT_RANGES)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: The scenario reader's codes, as competition codes (a round's `personas:` block).
_SCENARIO_CODES = {"SC010": "LG010", "SC018": "LG023", "SC020": "LG024"}


def shipped_competitions() -> list[str]:
    """Ids of the competitions shipped in `sandbox/competitions/`."""
    return sorted(p.stem for p in COMPETITION_DIR.glob("*.yaml"))


def resolve_competition(name_or_path: str | Path) -> Path:
    """A shipped competition id or a path to a YAML file."""
    text = str(name_or_path)
    shipped = COMPETITION_DIR / f"{text}.yaml"
    if "/" not in text and not text.endswith((".yaml", ".yml")) and shipped.exists():
        return shipped
    return Path(text)


def load_competition(name_or_path: str | Path) -> Competition:
    """Load and validate a competition (shipped id or path); raises `CompetitionError`."""
    path = resolve_competition(name_or_path)
    try:
        doc = load_file(path)
    except JourneyError as err:
        raise CompetitionError(
            [replace(d, code=YAML_CODES.get(d.code, "LG002")) for d in err.diagnostics]
        ) from None
    return _Checker(str(path), path.resolve().parent).competition(doc)


def check_competition(name_or_path: str | Path) -> tuple[Competition | None, list[Diagnostic]]:
    """(competition, []) or (None, diagnostics): for validators that report rather than raise."""
    try:
        return load_competition(name_or_path), []
    except CompetitionError as err:
        return None, list(err.diagnostics)


class _Checker(FieldChecker):
    TOP = (
        "competition", "version", "lang", "title", "description", "scenario", "seat", "teams",
        "signup", "rounds", "scorecard", "freeze", "tie_breaks",
    )  # fmt: skip
    TEAM = ("id", "name", "seats")
    SIGNUP = ("max_teams", "seats")
    ROUND = (
        "id", "title", "scenario", "seat", "seed", "duration", "weight", "gap",
        "arrivals_per_hour", "patience", "personas", "journeys", "briefing",
    )  # fmt: skip
    SCORE = ("kpi", "weight", "worst", "best")

    CODES = Codes(type="LG010", unknown="LG011", missing="LG012", name="LG013",
                  duration="LG014", range="LG015")  # fmt: skip

    def __init__(self, path: str, base: Path):
        super().__init__(path)
        self.base = base
        self.scenarios: dict[str, Any] = {}  # resolved path -> loaded scenario (one load each)

    # -- helpers

    def name(self, parent: YMap, key: str, allowed: tuple[str, ...], what: str) -> str:
        if key not in parent:
            raise self.missing(parent, key)
        value = parent[key]
        if not isinstance(value, str):
            raise self.err(parent.value_pos(key), "LG010", f'"{key}" must be a name, got {value!r}')
        if value not in allowed:
            hint = did_you_mean(value, allowed) or f"; one of: {allowed_list(allowed, 20)}"
            raise self.err(parent.value_pos(key), "LG013", f'unknown {what} "{value}"{hint}')
        return value

    def text(self, parent: YMap, key: str, *, required: bool = True) -> dict[str, str]:
        """Text in both languages: {zh-CN: ..., en: ...}; {} when optional and absent."""
        if key not in parent:
            if required:
                raise self.missing(parent, key)
            return {}
        value = parent[key]
        if not isinstance(value, YMap) or not all(isinstance(v, str) for v in value.values()):
            raise self.err(
                parent.value_pos(key), "LG010", f'"{key}" must be {{zh-CN: ..., en: ...}}'
            )
        for lang in value:
            if lang not in LANGUAGES:
                raise self.err(value.key_pos(lang), "LG013",
                               f'unknown language "{lang}"; use zh-CN and en')  # fmt: skip
        for lang in LANGUAGES:
            if not value.get(lang, "").strip():
                raise self.err(value, "LG012", f'"{key}" needs a non-empty "{lang}" text')
        return dict(value)

    def items(self, parent: YMap, key: str, lo: int, hi: int, what: str) -> YList:
        """A list of `lo`..`hi` entries."""
        if key not in parent:
            raise self.missing(parent, key)
        items = parent[key]
        if not isinstance(items, YList) or not items:
            raise self.err(parent.value_pos(key), "LG010", f'"{key}" must be a list of {what}')
        if not lo <= len(items) <= hi:
            raise self.err(parent.value_pos(key), "LG015",
                           f'{len(items)} {key}; a competition has {lo} to {hi}')  # fmt: skip
        return items

    # -- the document

    def competition(self, doc: Any) -> Competition:
        if not isinstance(doc, YMap):
            pos = doc.pos if isinstance(doc, (YMap, YList)) else Pos()
            self.err(pos, "LG010",
                     "a competition file must be a mapping with a top-level 'competition:' id")  # fmt: skip
            raise CompetitionError(self.diags)
        self.unknown(doc, self.TOP, "the competition")
        g = self.guard
        cid = g(self.ident, doc, "competition", default="?")
        version = g(self.number, doc, "version", 1, 1, 1_000_000, integer=True, default=1)
        lang = g(self.name, doc, "lang", LANGUAGES, "language", default="zh-CN")
        title = g(self.text, doc, "title", default={})
        description = g(self.text, doc, "description", required=False, default={})
        scenario, ref = g(self.scenario, doc, default=(None, ""))
        seat = g(self.seat, doc, scenario, default="")
        teams, signup = g(self.entrants, doc, default=((), None))
        rounds = g(self.rounds, doc, scenario, ref, seat, default=None)
        scorecard = g(self.scorecard, doc, default=None)
        freeze = g(self.freeze, doc, rounds, default=0.0)
        tie_breaks = g(self.tie_breaks, doc, scorecard, default=())
        if self.diags:
            raise CompetitionError(sorted(self.diags, key=lambda d: (d.line, d.column)))
        return Competition(
            id=cid, version=int(version), title=title, description=description, lang=lang,
            path=str(Path(self.path).resolve()), teams=teams, signup=signup, rounds=rounds,
            scorecard=scorecard, freeze_s=float(freeze), tie_breaks=tie_breaks,
            content_hash=document_hash(doc),
        )  # fmt: skip

    # -- scenario and seat

    def scenario(self, parent: YMap) -> tuple[Any, str]:
        """The scenario `parent` names: a shipped name, or a path relative to this file."""
        from sandbox.scenario import SCENARIO_DIR, ScenarioError, load_scenario, shipped_scenarios

        if "scenario" not in parent:
            raise self.missing(parent, "scenario")
        ref = parent["scenario"]
        where = parent.value_pos("scenario")
        if not isinstance(ref, str) or not ref:
            raise self.err(where, "LG010", '"scenario" must be a shipped scenario name or a path')
        if ref.endswith((".yaml", ".yml")) or "/" in ref:
            path = self.base / ref
            if not path.is_file():
                raise self.err(
                    where, "LG017", f"no scenario file {ref} (relative to the competition file)"
                )
        else:
            path = SCENARIO_DIR / f"{ref}.yaml"
            if not path.is_file():
                names = shipped_scenarios()
                hint = did_you_mean(ref, names) or f"; shipped scenarios: {allowed_list(names)}"
                raise self.err(where, "LG017", f'no shipped scenario named "{ref}"{hint}')
        key = str(path.resolve())
        if key not in self.scenarios:
            try:
                self.scenarios[key] = load_scenario(path)
            except ScenarioError as err:
                d = err.diagnostics[0]
                first = f"{ref}:{d.line}:{d.column}: {d.code}: {d.message}"
                raise self.err(where, "LG018",
                               f"{len(err.diagnostics)} error(s) in the scenario; first: {first}"
                               ) from None  # fmt: skip
        return self.scenarios[key], ref

    def seat(self, doc: YMap, scenario: Any) -> str:
        """The scenario seat the members play: as written, else the scenario's only seat."""
        if "seat" in doc:
            seat = self.ident(doc, "seat")
            if scenario is not None:
                self.check_seat(doc.value_pos("seat"), scenario, seat, "")
            return seat
        if scenario is None:
            raise Fail()
        seats = [s.id for s in scenario.seats]
        if len(seats) == 1:
            return str(seats[0])
        if not seats:
            raise self.err(doc.value_pos("scenario"), "LG019",
                           f'scenario "{scenario.name}" has no human seat for the teams to play')  # fmt: skip
        raise self.err(doc, "LG012",
                       f'missing required field "seat": scenario "{scenario.name}" has the seats '
                       f"{allowed_list(seats)}; name the one the members play")  # fmt: skip

    def check_seat(self, where: Pos, scenario: Any, seat: str, tail: str) -> None:
        seats = [s.id for s in scenario.seats]
        if seat not in seats:
            hint = did_you_mean(seat, seats) or (
                f"; its seats: {allowed_list(seats)}" if seats else "; it has no human seat"
            )
            raise self.err(where, "LG019",
                           f'scenario "{scenario.name}" has no seat "{seat}"{hint}{tail}')  # fmt: skip

    # -- teams or sign-up

    def entrants(self, doc: YMap) -> tuple[tuple[Team, ...], Signup | None]:
        has_teams, has_signup = "teams" in doc, "signup" in doc
        if has_teams and has_signup:
            raise self.err(doc.key_pos("signup"), "LG020",
                           'give "teams" (a fixed list) or "signup" (open sign-up with a join '
                           "code), not both")  # fmt: skip
        if not has_teams and not has_signup:
            if any(
                did_you_mean(k, ("teams", "signup")) for k in self.unknown_keys.get(id(doc), ())
            ):
                raise Fail()  # misspelt: already an unknown field
            raise self.err(doc, "LG020",
                           'give "teams" (a fixed list of teams) or "signup" (open sign-up '
                           "with a join code)")  # fmt: skip
        if has_signup:
            block = self.mapping(doc, "signup", required=True)
            self.unknown(block, self.SIGNUP, "signup")
            max_teams = self.number(block, "max_teams", None, MIN_TEAMS, MAX_TEAMS, integer=True)
            seats = self.number(block, "seats", 1, 1, MAX_SEATS, integer=True)
            return (), Signup(int(max_teams), int(seats))
        items = self.items(doc, "teams", MIN_TEAMS, MAX_TEAMS, "teams {name, seats}")
        out: list[Team] = []
        ids: dict[str, int] = {}
        names: dict[str, int] = {}
        failed = False
        for i, item in enumerate(items):
            if not isinstance(item, YMap):
                self.err(items.item_pos(i), "LG010", "each team must be a mapping {name, seats}")
                failed = True
                continue
            team = self.guard(self.team, item, i)
            if team is None:
                failed = True
                continue
            where = item.value_pos("id") if "id" in item else item.pos
            if team.id in ids:
                self.err(where, "LG016",
                         f'duplicate team id "{team.id}" (first on line {ids[team.id]})')  # fmt: skip
                failed = True
                continue
            folded = team.name.strip().casefold()
            if folded in names:
                self.err(item.value_pos("name"), "LG016",
                         f'duplicate team name "{team.name}" (first on line {names[folded]})')  # fmt: skip
                failed = True
                continue
            ids[team.id] = where.line
            names[folded] = item.value_pos("name").line
            out.append(team)
        if failed:
            raise Fail()
        return tuple(out), None

    def team(self, item: YMap, index: int) -> Team:
        self.unknown(item, self.TEAM, "a team")
        tid = self.ident(item, "id") if "id" in item else f"t{index + 1}"
        if "name" not in item:
            raise self.missing(item, "name")
        name = item["name"]
        where = item.value_pos("name")
        if not isinstance(name, str) or not name.strip():
            raise self.err(where, "LG010", f'"name" must be non-empty text, got {name!r}')
        if _CONTROL.search(name):
            raise self.err(
                where, "LG010", '"name" must be one line of text (no control characters)'
            )
        if len(name.strip()) > MAX_TEAM_NAME:
            raise self.err(where, "LG015",
                           f'"name" has {len(name.strip())} characters; at most {MAX_TEAM_NAME}')  # fmt: skip
        seats = self.number(item, "seats", 1, 1, MAX_SEATS, integer=True)
        return Team(tid, name.strip(), int(seats))

    # -- rounds

    def rounds(self, doc: YMap, scenario: Any, ref: str, seat: str) -> tuple[Round, ...]:
        items = self.items(doc, "rounds", 1, MAX_ROUNDS, "rounds")
        out: list[Round] = []
        seen: dict[str, int] = {}
        failed = False
        for i, item in enumerate(items):
            if not isinstance(item, YMap):
                self.err(items.item_pos(i), "LG010", "each round must be a mapping")
                failed = True
                continue
            rnd = self.guard(self.round, item, i, scenario, ref, seat)
            if rnd is None:
                failed = True
                continue
            where = item.value_pos("id") if "id" in item else item.pos
            if rnd.id in seen:
                self.err(where, "LG016",
                         f'duplicate round id "{rnd.id}" (first on line {seen[rnd.id]})')  # fmt: skip
                failed = True
                continue
            seen[rnd.id] = where.line
            out.append(rnd)
        if failed:
            raise Fail()
        if all(r.weight == 0 for r in out):
            raise self.err(doc.value_pos("rounds"), "LG027",
                           "every round has weight 0, so nothing counts toward the total; give "
                           "at least one round a weight above 0")  # fmt: skip
        return tuple(out)

    def round(self, item: YMap, index: int, scenario: Any, ref: str, seat: str) -> Round:
        self.unknown(item, self.ROUND, "a round")
        g = self.guard
        failed: list[bool] = []

        def need(value: Any) -> Any:
            failed.append(value is None)
            return value

        rid = need(g(self.ident, item, "id") if "id" in item else f"r{index + 1}")
        title = need(g(self.text, item, "title"))
        if "scenario" in item:
            got = need(g(self.scenario, item))
            scenario, ref = got if got is not None else (None, "")
        rseat = need(g(self.round_seat, item, scenario, seat))
        seed = need(g(self.number, item, "seed", None, 0, MAX_SEED, integer=True))
        duration = need(g(self.duration, item, "duration", None, 60.0, 3 * 3600.0))
        weight = need(g(self.number, item, "weight", 1, 0, 100))
        gap = need(g(self.duration, item, "gap", 5.0, 0.0, 3600.0))
        rate = need(g(self.number, item, "arrivals_per_hour", 30, 0.5, 600))
        patience = need(g(self.duration, item, "patience", 120.0, 5.0, 3600.0))
        briefing = need(g(self.text, item, "briefing", required=False))
        group = None
        if scenario is not None and rseat:
            group = next((s for s in scenario.seats if s.id == rseat), None)
        personas = g(self.personas, item, default=False)
        mix = g(self.journey_mix, item, scenario, group, default=False)
        if personas is False or mix is False or any(failed):
            raise Fail()
        if scenario is not None and group is not None:
            self.reach(item, scenario, group, personas, mix)
        return Round(
            id=rid, title=title, scenario_ref=ref, scenario=scenario, seat=rseat, seed=int(seed),
            duration_s=float(duration), weight=float(weight), gap_s=float(gap),
            arrivals_per_hour=float(rate), patience_s=float(patience), personas=personas,
            journeys=mix, briefing=briefing or None,
        )  # fmt: skip

    def round_seat(self, item: YMap, scenario: Any, seat: str) -> str:
        """The round's seat: as written, else the competition's (which the round's own
        scenario must then have)."""
        if "seat" in item:
            rseat = self.ident(item, "seat")
            if scenario is not None:
                self.check_seat(item.value_pos("seat"), scenario, rseat, "")
            return rseat
        if not seat:
            raise Fail()  # the competition's seat has its own error
        if scenario is not None and "scenario" in item:
            self.check_seat(item.value_pos("scenario"), scenario, seat,
                            ' (the competition\'s seat); name one with "seat:" in the round')  # fmt: skip
        return seat

    def personas(self, item: YMap) -> dict[str, dict[str, float]] | None:
        """A harder persona mix: the scenario's `personas:` grammar, read by the scenario
        loader's own reader (its SC codes become LG codes, positions unchanged)."""
        if "personas" not in item:
            return None
        from sandbox.scenario import _Checker as ScenarioFields

        reader = ScenarioFields(self.path, self.base)
        try:
            mix = reader.personas(item)
        finally:
            self.diags.extend(
                replace(d, code=_SCENARIO_CODES.get(d.code, "LG023")) for d in reader.diags
            )
        if not mix:
            raise self.err(item.value_pos("personas"), "LG023",
                           '"personas" is empty; give at least one field (e.g. temperament: '
                           "{irritable: 2, anxious: 1, calm: 1}) or leave it out")  # fmt: skip
        return dict(mix)

    def journey_mix(
        self, item: YMap, scenario: Any, group: Any
    ) -> tuple[tuple[str, float], ...] | None:
        """The round's journey mix override {journey id: weight}: each one of the round
        scenario's journeys that the seat takes."""
        m = self.mapping(item, "journeys")
        if m is None:
            if scenario is not None and group is not None:
                self.seat_takes_some(item, scenario, group, scenario.journey_mix)
            return None
        if not m:
            raise self.err(item.value_pos("journeys"), "LG010",
                           '"journeys" must map journey ids to weights, e.g. '
                           "{broadband_cross_sell: 3, privacy_trap: 1}")  # fmt: skip
        out: list[tuple[str, float]] = []
        failed = False
        for jid in m:
            weight = self.guard(self.number, m, jid, None, 0, 1000)
            if weight is not None and weight <= 0:
                self.err(m.value_pos(jid), "LG015",
                         f'"{jid}" has weight {weight}; a journey in the mix weighs above 0 '
                         "(leave it out to drop it)")  # fmt: skip
                weight = None
            ok = scenario is None or self.guard(
                self.journey_fits, m, jid, scenario, group, default=False
            )
            if weight is None or ok is False:
                failed = True
                continue
            out.append((str(jid), float(weight)))
        if failed:
            raise Fail()
        return tuple(out)

    def journey_fits(self, m: YMap, jid: str, scenario: Any, group: Any) -> bool:
        where = m.key_pos(jid)
        journey = scenario.journeys.get(jid)
        if journey is None:
            names = list(scenario.journeys)
            hint = did_you_mean(jid, names) or f"; its journeys: {allowed_list(names, 20)}"
            raise self.err(where, "LG021",
                           f'scenario "{scenario.name}" has no journey "{jid}" (a round mixes the '
                           f"journeys its scenario loads){hint}")  # fmt: skip
        if group is None:
            return True
        if journey.kind not in group.kinds:
            raise self.err(where, "LG022",
                           f'seat "{group.id}" takes only {allowed_list(group.kinds)} journeys '
                           f'and "{jid}" is of kind {journey.kind}')  # fmt: skip
        seat_channels = [c for c in group.channels if c in scenario.channel_names]
        if not any(c in journey.channels for c in seat_channels):
            raise self.err(where, "LG022",
                           f'journey "{jid}" runs on {allowed_list(journey.channels)} and seat '
                           f'"{group.id}" takes {allowed_list(seat_channels)}: no channel in '
                           "common")  # fmt: skip
        return True

    def seat_takes_some(
        self, item: YMap, scenario: Any, group: Any, mix: tuple[tuple[str, float], ...]
    ) -> None:
        """LG022 when the seat can take none of the scenario's journeys."""
        seat_channels = [c for c in group.channels if c in scenario.channel_names]
        for jid, _ in mix:
            j = scenario.journeys[jid]
            if j.kind in group.kinds and any(c in j.channels for c in seat_channels):
                return
        key = "seat" if "seat" in item else "scenario" if "scenario" in item else None
        raise self.err(item.value_pos(key) if key else item.pos, "LG022",
                       f'seat "{group.id}" takes none of the journeys of scenario '
                       f'"{scenario.name}"; give the round a "journeys:" mix it can take')  # fmt: skip

    def reach(self, item: YMap, scenario: Any, group: Any, personas: Any, mix: Any) -> None:
        """LG024 when the round's persona mix (it replaces the scenario's) leaves a journey of
        the round's mix (almost) no caller — the scenario loader's own check."""
        if personas is None and mix is None:
            return  # the scenario's own mix: the scenario loader checked it
        from sandbox.scenario import _Checker as ScenarioFields

        effective = personas if personas is not None else dict(scenario.persona_mix or {})
        seat_channels = [c for c in group.channels if c in scenario.channel_names]
        playing = {
            jid: scenario.journeys[jid]
            for jid, _ in (mix or scenario.journey_mix)
            if scenario.journeys[jid].kind in group.kinds
            and any(c in scenario.journeys[jid].channels for c in seat_channels)
        }
        reader = ScenarioFields(self.path, self.base)
        reader.persona_reach(item, playing, effective)
        fallback = item.value_pos("personas") if "personas" in item else item.pos
        for d in reader.diags:
            if (d.line, d.column) == (item.pos.line, item.pos.column):
                d = replace(d, line=fallback.line, column=fallback.column)
            message = d.message.replace("of this scenario", "of this round")
            self.diags.append(
                replace(d, code=_SCENARIO_CODES.get(d.code, "LG024"), message=message)
            )
        if reader.diags:
            raise Fail()

    # -- the scorecard

    def scorecard(self, doc: YMap) -> tuple[ScoreItem, ...]:
        items = self.items(doc, "scorecard", 1, MAX_SCORECARD, "{kpi, weight, worst, best}")
        out: list[ScoreItem] = []
        seen: dict[str, int] = {}
        failed = False
        for i, item in enumerate(items):
            if not isinstance(item, YMap):
                self.err(items.item_pos(i), "LG010",
                         "each scorecard line must be a mapping {kpi, weight, worst, best}")  # fmt: skip
                failed = True
                continue
            line = self.guard(self.score_item, item)
            if line is None:
                failed = True
                continue
            if line.kpi in seen:
                self.err(item.value_pos("kpi"), "LG016",
                         f'"{line.kpi}" is already on the scorecard (line {seen[line.kpi]}); '
                         "give each KPI one line")  # fmt: skip
                failed = True
                continue
            seen[line.kpi] = item.value_pos("kpi").line
            out.append(line)
        if failed:
            raise Fail()
        return tuple(out)

    def score_item(self, item: YMap) -> ScoreItem:
        self.unknown(item, self.SCORE, "a scorecard line")
        kpi = self.name(item, "kpi", SCORE_KPIS, "scorecard KPI")
        weight = self.number(item, "weight", None, 0, 100)
        if weight <= 0:
            raise self.err(item.value_pos("weight"), "LG015",
                           f'"weight" is {weight}; a scorecard line weighs above 0 (leave the '
                           "line out instead)")  # fmt: skip
        lo, hi = KPI_DOMAIN[kpi]
        worst0, best0 = DEFAULT_RANGES[kpi]
        read = self.duration if kpi == "aht_s" else self.number
        worst = self.guard(read, item, "worst", worst0, lo, hi)
        best = self.guard(read, item, "best", best0, lo, hi)
        if worst is None or best is None:
            raise Fail()
        if worst == best:
            key = "best" if "best" in item else "worst"
            raise self.err(item.value_pos(key), "LG027",
                           f'"{kpi}": worst and best are both {worst:g}, so every team would '
                           "score the same; make them differ")  # fmt: skip
        return ScoreItem(kpi, float(weight), float(worst), float(best))

    def freeze(self, doc: YMap, rounds: tuple[Round, ...] | None) -> float:
        freeze = self.duration(doc, "freeze", 0.0, 0.0, 3 * 3600.0)
        if rounds and freeze > 0 and freeze >= rounds[-1].duration_s:
            raise self.err(doc.value_pos("freeze"), "LG025",
                           f"the board would freeze {freeze:g} s before the end, but the last "
                           f'round ("{rounds[-1].id}") lasts only {rounds[-1].duration_s:g} s; '
                           "freeze must be shorter than the last round")  # fmt: skip
        return freeze

    def tie_breaks(self, doc: YMap, scorecard: tuple[ScoreItem, ...] | None) -> tuple[str, ...]:
        if "tie_breaks" not in doc:
            return ()
        items = doc["tie_breaks"]
        if not isinstance(items, YList):
            raise self.err(doc.value_pos("tie_breaks"), "LG010",
                           '"tie_breaks" must be a list of scorecard KPIs, e.g. [csat_mean, fcr]')  # fmt: skip
        out: list[str] = []
        kpis = [s.kpi for s in scorecard] if scorecard is not None else None
        for i, kpi in enumerate(items):
            where = items.item_pos(i)
            if not isinstance(kpi, str):
                self.err(where, "LG010", f"a tie-break is a scorecard KPI name, got {kpi!r}")
            elif kpi not in SCORE_KPIS:
                hint = did_you_mean(kpi, SCORE_KPIS) or f"; one of: {allowed_list(SCORE_KPIS, 20)}"
                self.err(where, "LG013", f'unknown KPI "{kpi}"{hint}')
            elif kpis is not None and kpi not in kpis:
                self.err(where, "LG026",
                         f'tie-break "{kpi}" is not on the scorecard ({allowed_list(kpis, 20)}); '
                         "add a scorecard line for it or drop it")  # fmt: skip
            elif kpi in out:
                self.err(where, "LG016", f'tie-break "{kpi}" is listed twice')
            else:
                out.append(kpi)
                continue
            raise Fail()
        return tuple(out)
