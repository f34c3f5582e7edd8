"""`shapan exam replay`: step through what a candidate saw and chose, decision by decision.

Why a replay and not a stored transcript: the journal is the only evidence kept, and the form's
session rebuilt from the exam replays it exactly (sandbox.exam.result_page.replay_decisions),
so what is shown is what the candidate was shown — the customer's lines, the options on offer,
the choice, its feedback and knowledge links, the customer's mood and the consequences.

Inputs: a graded result (RESULT.json, with `--journal FILE`: a result holds only the hash of the
journal it was graded from, which is checked), a journal (plain `[[t, contact, choice], ...]`,
a chained JSONL journal, which is audited, or a document with a `decision_log`) with
`--exam EXAM --form N`, or `--db URL --attempt ID` (the server's store). Bad input is one line
naming the file, exit 1; usage mistakes exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sandbox.cli.common import UserError, add_command

RESULT_SCHEMA = "shapan.exam-result/1"


def register_replay(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = add_command(
        sub, "replay", _replay,
        "step through what a candidate saw and chose, with feedback / 逐步回放考生的作答",
    )  # fmt: skip
    p.add_argument("source", nargs="?", metavar="RESULT.json|JOURNAL",
                   help="a graded result (with --journal) or a journal (with --exam, --form)")  # fmt: skip
    p.add_argument("--journal", metavar="FILE",
                   help="the journal a RESULT.json was graded from (its hash is checked)")  # fmt: skip
    p.add_argument("--exam", metavar="EXAM", help="a shipped exam id or an exam file")
    p.add_argument("--form", metavar="N", help="form index (0, 1, ...) or form id (A, B, ...)")
    p.add_argument("--step", action="store_true",
                   help="wait for Enter between decisions (q then Enter stops) / 逐条确认")  # fmt: skip
    p.add_argument("--lang", choices=("zh-CN", "en"), help="language (default: the exam's)")
    p.add_argument("--html", metavar="OUT", help="also write the result page with the decisions")
    p.add_argument("--candidate", metavar="NAME", help="the candidate's name on the HTML page")
    p.add_argument("--db", metavar="URL", help="read the attempt from the server's store")
    p.add_argument("--keys", metavar="DIR", help="with --db: the server's key folder")
    p.add_argument("--attempt", type=int, metavar="ID", help="with --db: the attempt to replay")


# -- reading the inputs -------------------------------------------------------------------------
def _read_json_or_jsonl(path: str) -> tuple[str, Any]:
    """("chained", entries) | ("json", document); UserError naming the file otherwise."""
    from sandbox.exam import journal
    from sandbox.exam.errors import JournalError

    if not Path(path).is_file():
        raise UserError("no such file; give a RESULT.json or a journal file", location=path)
    if journal.is_chained(path):
        try:
            return "chained", journal.read(path)
        except JournalError as err:
            raise UserError(str(err), location=path) from None
    try:
        return "json", json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise UserError(
            f"not a result or a journal: cannot read it as JSON ({err}); give a RESULT.json, "
            "a journal [[t, contact_id, choice_id], ...] or a chained journal (.jsonl)",
            location=path,
        ) from None


def _decisions_of(kind: str, doc: Any, path: str) -> list[list[Any]]:
    """The plain decision log of a journal file's contents (a chained one audited first)."""
    from sandbox.exam import journal
    from sandbox.exam.errors import JournalError

    if kind == "chained":
        try:
            return journal.verified_decisions(doc)
        except JournalError as err:
            raise UserError(f"{err}; run shapan exam audit on it", location=path) from None
    if isinstance(doc, dict) and isinstance(doc.get("decision_log"), list):
        return list(doc["decision_log"])
    if isinstance(doc, list):
        return doc
    raise UserError(
        "not a journal: expected [[t, contact_id, choice_id], ...], a document with a "
        "decision_log, or a chained journal (.jsonl)",
        location=path,
    )


def _block(doc: dict[str, Any], key: str) -> dict[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, dict) else {}


def _is_result(doc: Any) -> bool:
    return isinstance(doc, dict) and doc.get("schema") == RESULT_SCHEMA


def _load_exam(ref: str, where: str | None) -> Any:
    from sandbox.exam.errors import ExamError
    from sandbox.exam.loader import load_exam

    try:
        return load_exam(ref)
    except ExamError as err:
        raise UserError(f"the exam has errors:\n{err.render()}", location=where or ref) from None


def _form_index(exam: Any, raw: str) -> int:
    try:
        return int(exam.form_index(raw))
    except ValueError as err:
        raise UserError(str(err), exit_code=2) from None


def _exam_of_result(result: dict[str, Any], args: argparse.Namespace, where: str) -> Any:
    """The exam a result was graded by: --exam, else the shipped exam of its id; its content
    hash must be the one in the result (else the replay would show another exam)."""
    block = _block(result, "exam")
    ref = args.exam or block.get("id")
    if not isinstance(ref, str):
        raise UserError("the result names no exam; give --exam EXAM", location=where)
    exam = _load_exam(ref, args.exam)
    if block.get("hash") and exam.content_hash != block.get("hash"):
        raise UserError(
            f"exam {ref} is not the one this result was graded by (content hash differs); give "
            "--exam with the exam file of that version",
            location=where,
        )
    return exam


def _check_journal(result: dict[str, Any], decisions: list[list[Any]], where: str) -> None:
    from sandbox.exam.grading import journal_hash

    block = _block(result, "journal")
    try:
        digest = journal_hash([list(d) for d in decisions])
    except (TypeError, ValueError):
        digest = ""
    if block.get("sha256") != digest:
        raise UserError(
            f"this journal ({len(decisions)} decisions) is not the one the result was graded "
            f"from ({block.get('entries')} decisions, sha256 differs); give the attempt's journal",
            location=where,
        )


def _from_db(args: argparse.Namespace) -> tuple[dict[str, Any], list[list[Any]]]:
    if args.attempt is None:
        raise UserError("--db needs --attempt ID", exit_code=2)
    try:
        from sandbox.server.db import DatabaseError
        from sandbox.server.store import ExamStore, StoreError
    except ImportError:
        raise UserError(
            "--db needs the server store (sandbox.server.store), which is not installed here",
            location=args.db,
        ) from None
    from sandbox.exam import journal
    from sandbox.exam.errors import JournalError
    from sandbox.exam.signing import SigningError

    where = f"{args.db} attempt {args.attempt}"
    try:
        store = ExamStore.open(args.db, args.keys, create_keys=False)
        entries = store.journal(args.attempt)
        result = store.result(args.attempt)
    except (DatabaseError, SigningError) as err:
        raise UserError(str(err), location=args.db) from None
    except StoreError as err:
        message = getattr(err, "message", None)
        text = message.get("en") if isinstance(message, dict) else str(err)
        raise UserError(str(text), location=where) from None
    if result is None:
        raise UserError("the attempt is not graded yet (still active)", location=where)
    try:
        decisions = journal.verified_decisions(entries)
    except JournalError as err:
        raise UserError(f"{err}; run shapan exam audit --db", location=where) from None
    return result, decisions


def gather(args: argparse.Namespace) -> tuple[Any, int, dict[str, Any], list[list[Any]], str]:
    """(exam, form index, graded result, decision log, where) from the arguments."""
    from sandbox.exam.errors import JournalError
    from sandbox.exam.grading import grade

    if args.db is not None:
        result, decisions = _from_db(args)
        where = f"{args.db} attempt {args.attempt}"
    else:
        if args.source is None:
            raise UserError("give RESULT.json or a journal file, or --db URL --attempt ID",
                            exit_code=2)  # fmt: skip
        where = args.source
        kind, doc = _read_json_or_jsonl(args.source)
        if kind == "json" and _is_result(doc):
            result = doc
            if args.journal is None:
                raise UserError(
                    "a result holds only its journal's hash; give --journal FILE (the attempt's "
                    "journal) or --db URL --attempt ID",
                    location=where,
                )
            jkind, jdoc = _read_json_or_jsonl(args.journal)
            decisions = _decisions_of(jkind, jdoc, args.journal)
            where = args.journal
        else:
            decisions = _decisions_of(kind, doc, args.source)
            if args.exam is None or args.form is None:
                raise UserError("replaying a journal needs --exam EXAM and --form N",
                                location=where, exit_code=2)  # fmt: skip
            exam = _load_exam(args.exam, None)
            form = _form_index(exam, str(args.form))
            try:
                graded = grade(exam, form, decisions).to_json()
            except JournalError as err:
                raise UserError(str(err), location=where) from None
            return exam, form, graded, decisions, where
    exam = _exam_of_result(result, args, where)
    _check_journal(result, decisions, where)
    index = _block(result, "form").get("index")
    if args.form is not None:
        index = _form_index(exam, str(args.form))
    if not isinstance(index, int) or not (0 <= index < len(exam.forms)):
        raise UserError("the result names no form of this exam; give --form N", location=where)
    return exam, index, result, decisions, where


# -- the walk-through ---------------------------------------------------------------------------
TEXT: dict[str, dict[str, str]] = {
    "customer": {"zh-CN": "第 {k} 位客户", "en": "Customer {k}"},
    "options": {"zh-CN": "可选项", "en": "options"},
    "feedback": {"zh-CN": "反馈", "en": "feedback"},
    "knowledge": {"zh-CN": "知识", "en": "knowledge"},
    "mood": {"zh-CN": "情绪", "en": "mood"},
    "csat": {"zh-CN": "预测满意度", "en": "predicted CSAT"},
    "risk": {"zh-CN": "风险", "en": "risk"},
    "hung_up": {"zh-CN": "客户挂断", "en": "the customer hung up"},
    "contact_end": {"zh-CN": "本通", "en": "this contact"},
    "score": {"zh-CN": "得分", "en": "score"},
    "passed": {"zh-CN": "通过", "en": "passed"},
    "failed": {"zh-CN": "未通过", "en": "failed"},
    "prompt": {"zh-CN": "回车继续，q 回车结束 > ", "en": "Enter: next, q Enter: stop > "},
    "html": {"zh-CN": "成绩页已写入", "en": "result page written to"},
}


def _t(key: str, lang: str) -> str:
    return TEXT[key][lang]


def render_decision(d: dict[str, Any], lang: str) -> list[str]:
    """One decision as terminal lines."""
    from journeys.vocabulary import SPEAKER_LABELS
    from sandbox.exam.result_page import i18n, risk_label
    from sandbox.kpi_catalogue import duration_text

    out = [f"#{d['seq']}  {duration_text(d['t'])}"]
    for line in d["lines"]:
        who = SPEAKER_LABELS.get(line["speaker"], {}).get(lang, line["speaker"])
        out.append(f"    {who}: {i18n(line['text'], lang)}")
    out.append(f"    {_t('options', lang)}:")
    for o in d["options"]:
        mark = ">" if o["chosen"] else " "
        out.append(f"     {mark} {o['number']}. {i18n(o['text'], lang)}")
    if d.get("feedback"):
        out.append(f"    {_t('feedback', lang)}: {i18n(d['feedback'], lang)}")
    for k in d.get("knowledge") or ():
        out.append(f"    {_t('knowledge', lang)}: {i18n(k.get('title'), lang)} — "
                   f"{i18n(k.get('body'), lang)}")  # fmt: skip
    facts = []
    before, after = d.get("mood_before"), d.get("mood_after")
    if before:
        from sandbox.exam.result_page import TEXT as PAGE

        moods = []
        for key in ("anger", "trust", "patience"):
            b = before.get(key)
            a = after.get(key) if after else None
            if a is None:
                moods.append(f"{PAGE[key][lang]} {b:.1f}")
            else:
                moods.append(f"{PAGE[key][lang]} {b:.1f}→{a:.1f} ({a - b:+.1f})")
        facts.append(f"{_t('mood', lang)} " + ", ".join(moods))
    if d.get("csat_after") is not None:
        prev = d.get("csat_before")
        delta = f" ({d['csat_after'] - prev:+.2f})" if prev is not None else ""
        facts.append(f"{_t('csat', lang)} {d['csat_after']:.2f}{delta}")
    facts += [f"⚠ {_t('risk', lang)}: {risk_label(r, lang)}" for r in d.get("risks") or ()]
    if d.get("hung_up"):
        facts.append(_t("hung_up", lang))
    if facts:
        out.append("    " + " · ".join(facts))
    return out


def _contact_end(c: dict[str, Any], lang: str, titles: dict[str, Any]) -> str:
    from sandbox.exam.result_page import contact_reasons, outcome_label

    verdict = _t("passed", lang) if c.get("passed") else _t("failed", lang)
    why = "; ".join(contact_reasons(c, titles, lang))
    return (f"  = {_t('contact_end', lang)}: {outcome_label(c.get('outcome'), lang)} · "
            f"{_t('score', lang)} {float(c.get('score') or 0):.1f} · {verdict}"
            + (f" · {why}" if why else ""))  # fmt: skip


def _replay(args: argparse.Namespace) -> int:
    from sandbox.exam.errors import JournalError
    from sandbox.exam.result_page import TEXT as PAGE
    from sandbox.exam.result_page import (
        exam_reasons,
        i18n,
        journey_titles,
        replay_decisions,
        write_result_html,
    )

    exam, form, result, journal, where = gather(args)
    lang = args.lang or exam.lang
    try:
        decisions = replay_decisions(exam, form, journal)
    except JournalError as err:
        raise UserError(str(err), location=where) from None
    titles = journey_titles(exam)
    contacts = {c["contact_id"]: c for c in result.get("contacts") or () if isinstance(c, dict)}
    verdict = PAGE["pass" if result.get("passed") else "fail"][lang]
    print(f"{i18n(exam.title, lang)} · {PAGE['form'][lang]} {exam.forms[form].id} · {verdict} · "
          f"{PAGE['score'][lang]} {float(result.get('score') or 0):.1f} / {PAGE['cut'][lang]} "
          f"{result.get('cut')}")  # fmt: skip
    for text, good in exam_reasons(result, titles, lang, decisions):
        print(f"  {'+' if good else '-'} {text}")
    stepping = args.step
    current: str | None = None
    for i, d in enumerate(decisions):
        if d["contact_id"] != current:
            if current is not None and current in contacts:
                print(_contact_end(contacts[current], lang, titles))
            current = d["contact_id"]
            title = i18n(d.get("journey_title"), lang) or d["journey_id"]
            print(f"\n== {_t('customer', lang).format(k=d['k'])} · {title}")
        print("\n".join(render_decision(d, lang)), flush=True)
        if stepping and i + 1 < len(decisions):
            try:
                answer = input(_t("prompt", lang))
            except EOFError:
                stepping = False  # nothing more to read: show the rest
                print()
                continue
            if answer.strip().lower() in ("q", "quit", "exit"):
                return 0
    if current is not None and current in contacts:
        print(_contact_end(contacts[current], lang, titles))
    if args.html:
        try:
            attempt = result.get("attempt")
            named = attempt.get("candidate") if isinstance(attempt, dict) else None
            candidate = args.candidate or named  # a proctored result names its candidate
            write_result_html(args.html, result, lang, decisions=decisions, exam=exam,
                              candidate=candidate)  # fmt: skip
        except OSError as err:
            raise UserError(f"cannot write: {err.strerror or err}", location=args.html) from None
        print(f"{_t('html', lang)} {args.html}", file=sys.stderr)
    return 0
