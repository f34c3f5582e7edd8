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
from journeys.vocabulary import LANGUAGES, OUTCOMES, RISK_TYPES, RUBRIC
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
from sandbox.strict_fields import Codes, Fail, FieldChecker, document_hash

EXAM_DIR = Path(__file__).resolve().parent.parent / "exams"
_ID_RE = re.compile(r"^[a-z][a-z0-9_\-]*$")
_FORM_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
MEASURE_NAMES: tuple[str, ...] = MEASURES + tuple(f"rubric.{d}" for d in RUBRIC)


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
        "time_limits", "mode", "scoring", "retake",
    )  # fmt: skip
    FORM = ("id", "seed", "customers", "gap")
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
        forms = g(self.forms, doc, default=())
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
            content_hash=document_hash(doc),
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

    def forms(self, doc: YMap) -> tuple[Form, ...]:
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
            form = self.guard(self.form, item)
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

    def form(self, item: YMap) -> Form:
        self.unknown(item, self.FORM, "a form")
        fid = self.ident(item, "id", _FORM_ID_RE)
        seed = int(self.number(item, "seed", None, 0, 2**63 - 1, integer=True))
        customers = int(self.number(item, "customers", None, 1, 200, integer=True))
        gap = self.duration(item, "gap", 5.0, 0.0, 3600.0)
        return Form(fid, seed, customers, gap)

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
        if forms and k > forms[0].customers:
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
