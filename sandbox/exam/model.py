"""The exam model: what an exam file says, as immutable values (docs/exam-format.md).

Why frozen dataclasses: an exam is an instrument; once loaded nothing may change it between
two candidates, and its `content_hash` names exactly the rules a result was graded by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.scenario import StationSpec

#: Per-contact measures (each scored 0..100). `rubric.<dimension>` names one rubric dimension.
MEASURES: tuple[str, ...] = ("rubric", "csat", "resolution", "handle_time", "risk_points")
#: What a critical error fails.
FAILS: tuple[str, ...] = ("contact", "exam")
#: The only mode: timed, no coaching, no greyed options (unavailable choices hidden), no pause.
MODES: tuple[str, ...] = ("timed",)


@dataclass(frozen=True)
class Form:
    """One parallel form: the seat's own fixed customer sequence (sandbox.scenario.FormSpec).
    With stations, `customers` is the number of stations and the seed picks their details."""

    id: str
    seed: int
    customers: int
    gap_s: float


@dataclass(frozen=True)
class Measure:
    """A weighted per-contact measure. `name` is one of MEASURES or `rubric.<dimension>`;
    `against_s` (handle_time) is a fixed pace in seconds, None = the journey's expert pace;
    `zero_at` (risk_points) is the number of risk points that scores 0."""

    name: str
    weight: float
    against_s: float | None = None
    zero_at: float = 10.0


@dataclass(frozen=True)
class CriticalError:
    """A risk event (`risk`) or an ending (`outcome`) that fails the contact or the exam."""

    risk: str | None
    outcome: str | None
    fails: str  # contact | exam

    @property
    def what(self) -> str:
        return f"risk {self.risk}" if self.risk else f"outcome {self.outcome}"


@dataclass(frozen=True)
class PassRule:
    """Pass = exam score >= cut, no exam-level critical error, >= contacts_passed passed;
    a contact passes at score >= contact_cut with no critical error and within its limits."""

    cut: float
    contact_cut: float
    contacts_passed: int


@dataclass(frozen=True)
class Retake:
    attempts: int = 1
    wait_s: float = 0.0
    rotate_forms: bool = True


@dataclass(frozen=True)
class Exam:
    """A validated exam. `scenario` is the loaded `sandbox.scenario.Scenario`."""

    id: str
    version: int
    title: dict[str, str]
    instructions: dict[str, str]
    lang: str
    path: str
    scenario_ref: str
    scenario: Any
    seat: str
    forms: tuple[Form, ...]
    exam_limit_s: float
    contact_limit_s: float | None
    mode: str
    measures: tuple[Measure, ...]
    critical: tuple[CriticalError, ...]
    pass_rule: PassRule
    retake: Retake
    content_hash: str
    #: the exam's stations, the same on every form (customer k = station k); () = the
    #: scenario's journey mix
    stations: tuple[StationSpec, ...] = ()

    @property
    def customers(self) -> int:
        return self.forms[0].customers

    def form_index(self, form: str | int) -> int:
        """The index of a form given by id (`A`) or index (`0`); ValueError names the forms."""
        ids = [f.id for f in self.forms]
        raw = str(form)
        if raw in ids:
            return ids.index(raw)
        if raw.isdigit() and int(raw) < len(ids):
            return int(raw)
        listed = ", ".join(f"{i} ({fid})" for i, fid in enumerate(ids))
        raise ValueError(f"no form {raw!r}; this exam's forms: {listed}")
