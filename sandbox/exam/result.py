"""An exam result: per-contact grades, the decision, the reasons in words, the provenance.

Plain frozen data with a JSON form (`shapan.exam-result/1`). It holds no wall-clock time, so
grading the same journal twice gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

RESULT_SCHEMA = "shapan.exam-result/1"


@dataclass(frozen=True)
class ContactGrade:
    """The k-th customer of the form. `status`: graded | not_reached (the candidate never got
    to it) | unfinished (still in progress at the exam's time limit) | over_time (longer than
    the per-contact limit). `score` is what counts toward the exam (0 unless graded and free
    of critical errors); `raw_score` is the measures' weighted mean."""

    k: int
    contact_id: str
    journey_id: str | None
    status: str
    measures: dict[str, float | None]
    raw_score: float
    score: float
    passed: bool
    critical: tuple[dict[str, Any], ...]
    reasons: tuple[dict[str, str], ...]
    handle_s: float | None
    outcome: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "k": self.k, "contact_id": self.contact_id, "journey_id": self.journey_id,
            "status": self.status, "outcome": self.outcome, "handle_s": self.handle_s,
            "measures": dict(self.measures), "raw_score": self.raw_score, "score": self.score,
            "passed": self.passed, "critical_errors": [dict(c) for c in self.critical],
            "reasons": [dict(r) for r in self.reasons],
        }  # fmt: skip


@dataclass(frozen=True)
class ExamResult:
    exam: dict[str, Any]
    form: dict[str, Any]
    proctoring: str
    score: float
    cut: float
    contacts_passed: int
    contacts_required: int
    passed: bool
    critical: tuple[dict[str, Any], ...]
    contacts: tuple[ContactGrade, ...]
    reasons: tuple[dict[str, str], ...]
    journal: dict[str, Any]
    provenance: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": RESULT_SCHEMA,
            "proctoring": self.proctoring,
            "exam": dict(self.exam),
            "form": dict(self.form),
            "passed": self.passed,
            "score": self.score,
            "cut": self.cut,
            "contacts_passed": self.contacts_passed,
            "contacts_required": self.contacts_required,
            "critical_errors": [dict(c) for c in self.critical],
            "reasons": [dict(r) for r in self.reasons],
            "contacts": [c.to_json() for c in self.contacts],
            "journal": dict(self.journal),
            "provenance": dict(self.provenance),
        }

    def render(self, lang: str = "en") -> str:
        """A plain-text report in `lang` (zh-CN or en)."""
        zh = lang == "zh-CN"
        verdict = (
            ("通过" if self.passed else "未通过") if zh else ("PASS" if self.passed else "FAIL")
        )
        head = (
            f"{self.exam['title'][lang]} · 卷 {self.form['id']} · {verdict} · 得分 {self.score:.1f}（合格线 {self.cut:g}）· 未监考"
            if zh
            else f"{self.exam['title'][lang]} · form {self.form['id']} · {verdict} · score {self.score:.1f} (cut {self.cut:g}) · unproctored"
        )
        lines = [head]
        lines += [f"  - {r[lang]}" for r in self.reasons]
        for c in self.contacts:
            mark = "✓" if c.passed else "✗"
            why = "; ".join(r[lang] for r in c.reasons)
            lines.append(
                f"  {mark} {c.k:>2} {c.contact_id:<14} {c.journey_id or '-':<30} {c.score:6.1f}"
                + (f"  {why}" if why else "")
            )
        return "\n".join(lines)
