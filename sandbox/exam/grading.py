"""Grade an attempt by replay: exam + form + journal -> `ExamResult`.

Why a replay: a score is never taken from the candidate's machine. The form's session is
rebuilt and the journal replayed (sandbox.exam.replay); every number comes from the seat's own
contact records, so two candidates with the same decisions on the same form get the same
result, and grading a journal twice gives the same bytes.

The rule (docs/exam-format.md#scoring): the exam score is the mean over the form's N customers
of each contact's counted score — 0 for a customer not reached, a contact unfinished at the
time limit or over the per-contact limit, and a contact with a critical error; the exam passes
when score >= cut, no exam-level critical error happened, and >= k contacts passed.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from journeys.vocabulary import OUTCOMES, RISK_TYPES
from sandbox.exam.measures import contact_score, critical_hits
from sandbox.exam.model import Exam
from sandbox.exam.replay import replay
from sandbox.exam.result import ContactGrade, ExamResult
from sandbox.kpi_catalogue import clock


def _hit_words(hit: dict[str, Any]) -> dict[str, str]:
    label = RISK_TYPES[hit["risk"]] if hit["risk"] else OUTCOMES[hit["outcome"]]
    scope_zh = "整场考试不通过" if hit["fails"] == "exam" else "本通联络不通过"
    scope_en = "fails the exam" if hit["fails"] == "exam" else "fails the contact"
    at = f" ({hit['choice_id']})" if hit.get("choice_id") else ""
    return {
        "zh-CN": f"严重错误：{label['zh-CN']}{at}，{scope_zh}",
        "en": f"critical error: {label['en']}{at}, {scope_en}",
    }


def _grade_contact(exam: Exam, k: int, rec: dict[str, Any] | None, pace: Any) -> ContactGrade:
    cid = f"{exam.seat}-{k:03d}"
    if rec is None:
        return ContactGrade(k, cid, None, "not_reached", {}, 0.0, 0.0, False, (),
                            ({"zh-CN": "时间内未接到该客户", "en": "not reached within the time limit"},),
                            None, None)  # fmt: skip
    raw, values = contact_score(exam.measures, rec, pace(rec))
    hits = tuple(critical_hits(exam.critical, rec))
    reasons = [_hit_words(h) for h in hits]
    status = "graded"
    handle = float(rec["handle_s"])
    if float(rec["ended_at"]) > exam.exam_limit_s + 1e-9:
        status = "unfinished"
        reasons.insert(
            0,
            {
                "zh-CN": "考试时间结束时仍未完成",
                "en": "still in progress when the exam time ran out",
            },
        )
    elif exam.contact_limit_s is not None and handle > exam.contact_limit_s + 1e-9:
        status = "over_time"
        lim = clock(exam.contact_limit_s)
        reasons.insert(0, {"zh-CN": f"超出单通时限（{clock(handle)} > {lim}）",
                           "en": f"over the contact time limit ({clock(handle)} > {lim})"})  # fmt: skip
    counted = raw if status == "graded" and not hits else 0.0
    cut = exam.pass_rule.contact_cut
    if status == "graded" and raw < cut:
        reasons.append({"zh-CN": f"得分 {raw:.1f} 低于单通合格线 {cut:g}",
                        "en": f"score {raw:.1f} below the contact cut {cut:g}"})  # fmt: skip
    passed = status == "graded" and not hits and raw >= cut
    return ContactGrade(k, cid, rec.get("journey_id"), status, values, raw, round(counted, 6),
                        passed, hits, tuple(reasons), round(handle, 3), rec.get("outcome"))  # fmt: skip


def _exam_reasons(exam: Exam, score: float, passed_n: int, exam_hits: list[dict[str, Any]]
                  ) -> list[dict[str, str]]:  # fmt: skip
    rule = exam.pass_rule
    n = exam.customers
    out = []
    if score >= rule.cut:
        out.append({"zh-CN": f"总分 {score:.1f} 达到合格线 {rule.cut:g}",
                    "en": f"score {score:.1f} meets the cut {rule.cut:g}"})  # fmt: skip
    else:
        out.append({"zh-CN": f"总分 {score:.1f} 低于合格线 {rule.cut:g}",
                    "en": f"score {score:.1f} is below the cut {rule.cut:g}"})  # fmt: skip
    verb_zh = "达到" if passed_n >= rule.contacts_passed else "未达到"
    verb_en = "meets" if passed_n >= rule.contacts_passed else "is short of"
    out.append({
        "zh-CN": f"通过 {passed_n}/{n} 通联络，{verb_zh}要求的 {rule.contacts_passed} 通",
        "en": f"{passed_n} of {n} contacts passed, which {verb_en} the {rule.contacts_passed} required",
    })  # fmt: skip
    if exam_hits:
        for h in exam_hits:
            words = _hit_words(h)
            out.append({"zh-CN": f"{h['contact_id']}：{words['zh-CN']}",
                        "en": f"{h['contact_id']}: {words['en']}"})  # fmt: skip
    else:
        out.append(
            {"zh-CN": "没有导致整场不通过的严重错误", "en": "no critical error that fails the exam"}
        )
    return out


def journal_hash(entries: list[list[Any]]) -> str:
    blob = json.dumps(entries, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def grade(exam: Exam, form_index: int, journal: Any) -> ExamResult:
    """Replay `journal` on form `form_index` of `exam` and grade the seat's contacts.
    Raises `JournalError` (naming the entry) when the journal does not replay."""
    session = replay(exam, form_index, journal)
    results = session.results()
    records = {r["contact_id"]: r for r in results["contacts"] if r.get("seat") == exam.seat}
    line_s = {c.name: c.line_s for c in session.scenario.channels}
    journeys = session.scenario.journeys

    def pace(rec: dict[str, Any]) -> float | None:
        journey = journeys.get(rec["journey_id"])
        if journey is None:
            return None
        pace_s = session.center.service.pace(journey, line_s.get(rec["channel"], 6.0))
        return None if pace_s is None else float(pace_s)

    grades = tuple(
        _grade_contact(exam, k, records.get(f"{exam.seat}-{k:03d}"), pace)
        for k in range(1, exam.customers + 1)
    )
    n = exam.customers
    score = round(sum(g.score for g in grades) / n, 6)
    passed_n = sum(g.passed for g in grades)
    exam_hits = [
        {**h, "contact_id": g.contact_id}
        for g in grades
        for h in g.critical
        if h["fails"] == "exam"
    ]
    rule = exam.pass_rule
    passed = score >= rule.cut and passed_n >= rule.contacts_passed and not exam_hits
    form = exam.forms[form_index]
    entries = [list(d) for d in session.decision_log]
    return ExamResult(
        exam={"id": exam.id, "version": exam.version, "hash": exam.content_hash,
              "title": dict(exam.title), "lang": exam.lang},
        form={"index": form_index, "id": form.id, "seed": form.seed, "customers": form.customers},
        proctoring="unproctored",
        score=score, cut=rule.cut, contacts_passed=passed_n, contacts_required=rule.contacts_passed,
        passed=passed, critical=tuple(exam_hits), contacts=grades,
        reasons=tuple(_exam_reasons(exam, score, passed_n, exam_hits)),
        journal={"entries": len(entries), "sha256": journal_hash(entries)},
        provenance={"scenario": results["scenario"].get("hash"), "journeys": results["journeys"],
                    "model_version": results["model_version"],
                    "shapan_version": results["shapan_version"]},
    )  # fmt: skip
