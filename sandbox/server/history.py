"""Trainee history: every practice session, exam attempt and competition round of a trainee,
with the per-contact figures that make work comparable (issue 16; docs/exam-server.md).

Stored in the exam server's database (tables `trainees`, `trainee_work`, `trainee_contacts`,
revision 0002_trainees). A piece of work is *comparable* with another when it was played on the
same customers under the same rules: same scenario hash, seed, journeys and outcome models —
its `form_key` (`form_key`). Exam attempts are recorded by `ExamStore.finish` when it grades;
practice sessions by whoever ran them (`record_session`, `shapan trainee record`).

Per-contact figures (`figures_from_record`, flat JSON; a figure the source cannot tell is left
out, never guessed): `fcr` (1 if the contact ended resolved: `RESOLVING_OUTCOMES`), `csat`
(predicted mean, 1..5), `aht` (handle seconds), `escalated` (1 if escalated), `risk_points`, `risk.<type>` (points by risk
type), `cross_sell` (accepted offers), `rubric` (overall 0..100), `rubric.<dim>`, and, when
the record keeps its decisions, `mistakes` (mistaken decisions) and `mistake.<kind>` (by kind of
mistake, `sandbox.weak_spots`: what the weak spots and the repeated-mistake rate are made of).

Form equivalence (`History.declare_equivalent`, `form_classes`): forms shown equivalent by the
bots (`sandbox.server.equivalence`) are declared in the `settings` row `form_equivalence` and
compared as one form by the effect reports.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from journeys.vocabulary import RESOLVING_OUTCOMES, RISK_TYPES, RUBRIC
from sandbox.exam.canonical import sha256_hex

KINDS = ("practice", "exam", "competition")
MAX_ID = 200


class HistoryError(Exception):
    """Bad input to the history (an unknown trainee, an empty id): said to the user as is."""


def journeys_hash(journeys: Mapping[str, Any] | None) -> str | None:
    """One hash of the journeys a session ran ({journey id: hash})."""
    return None if not journeys else sha256_hex(dict(journeys))


def form_key(scenario_hash: str | None, seed: int | None, journeys: str | None,
             model_version: str | None) -> str:  # fmt: skip
    """What two pieces of work must share to be compared contact for contact."""
    return sha256_hex([scenario_hash, seed, journeys, model_version])[:16]


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out == out else None  # NaN: unknown


def figures_from_record(rec: Mapping[str, Any]) -> dict[str, float]:
    """The comparable figures of one full contact record (results.json `contacts`)."""
    out: dict[str, float] = {}
    if rec.get("outcome") is not None:
        out["fcr"] = 1.0 if rec.get("outcome") in RESOLVING_OUTCOMES else 0.0
    for key, name in (("csat_mean", "csat"), ("handle_s", "aht"), ("risk_points", "risk_points"),
                      ("cross_sell_accepted", "cross_sell"), ("rubric_score", "rubric")):  # fmt: skip
        v = _num(rec.get(key))
        if v is not None:
            out[name] = v
    if rec.get("escalated") is not None or rec.get("outcome") is not None:
        out["escalated"] = 1.0 if rec.get("escalated") or rec.get("outcome") == "escalated" else 0.0
    for kind in RISK_TYPES:
        v = _num(rec.get(f"risk_{kind}"))
        if v is not None:
            out[f"risk.{kind}"] = v
    rubric = rec.get("rubric")
    dims = rubric if isinstance(rubric, Mapping) else {d: rec.get(f"rubric_{d}") for d in RUBRIC}
    for dim in RUBRIC:
        v = _num(dims.get(dim))
        if v is not None:
            out[f"rubric.{dim}"] = v
    decisions = rec.get("decisions")
    if isinstance(decisions, list) and (decisions or rec.get("handle_s") is not None):
        out.update(mistake_figures(decisions))
    return out


def mistake_figures(decisions: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """`mistakes` and `mistake.<kind>` of a contact's decisions (`sandbox.weak_spots`)."""
    from sandbox.weak_spots import decision_violation

    out: dict[str, float] = {"mistakes": 0.0}
    for d in decisions:
        v = decision_violation(d) if isinstance(d, Mapping) else None
        if v is None:
            continue
        out["mistakes"] += 1.0
        for kind in v.kinds:
            out[f"mistake.{kind}"] = out.get(f"mistake.{kind}", 0.0) + 1.0
    return out


def mistake_kinds(figures: Mapping[str, float]) -> dict[str, int] | None:
    """{kind: count} of a contact's figures; None when its decisions were not kept."""
    if "mistakes" not in figures:
        return None
    return {k[8:]: int(v) for k, v in figures.items() if k.startswith("mistake.") and v > 0}


def figures_from_grade(contact: Mapping[str, Any]) -> dict[str, float] | None:
    """The figures an exam result's graded contact tells (None: the contact was not reached).
    The result keeps the exam's measures, not the record: CSAT is recovered from the `csat`
    measure ((mean-1)/4*100), the rubric from `rubric` / `rubric.<dim>`; risk points by type
    are not in a result and are left out."""
    if contact.get("handle_s") is None:
        return None
    out: dict[str, float] = {"aht": float(contact["handle_s"])}
    if contact.get("outcome") is not None:
        out["fcr"] = 1.0 if contact["outcome"] in RESOLVING_OUTCOMES else 0.0
        out["escalated"] = 1.0 if contact["outcome"] == "escalated" else 0.0
    measures = contact.get("measures") or {}
    csat = _num(measures.get("csat"))
    if csat is not None:
        out["csat"] = round(1.0 + csat / 100.0 * 4.0, 6)
    for name, v in measures.items():
        if name == "rubric" or name.startswith("rubric."):
            value = _num(v)
            if value is not None:
                out[name] = value
    return out


@dataclass(frozen=True)
class Work:
    """One stored piece of work of a trainee."""

    pk: int
    trainee_id: str
    kind: str
    at: float
    form_key: str
    form_label: str
    seed: int | None
    scenario_hash: str | None
    journeys_hash: str | None
    model_version: str | None
    attempt_pk: int | None
    score: float | None
    passed: bool | None
    contacts: int
    source: str
    figures: tuple[dict[str, float], ...] = field(default=(), compare=False)
    #: the contact id of each figure (the same customer on the same form has the same id)
    contact_ids: tuple[str, ...] = field(default=(), compare=False)
    journey_ids: tuple[str | None, ...] = field(default=(), compare=False)

    def to_json(self, *, with_contacts: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.pk, "trainee": self.trainee_id, "kind": self.kind, "at": self.at,
            "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime(self.at)),
            "form_key": self.form_key, "form": self.form_label, "seed": self.seed,
            "scenario_hash": self.scenario_hash, "journeys_hash": self.journeys_hash,
            "model_version": self.model_version, "attempt": self.attempt_pk,
            "score": self.score, "passed": self.passed, "contacts": self.contacts,
            "source": self.source,
        }  # fmt: skip
        if with_contacts:
            out["figures"] = [dict(f) for f in self.figures]
        return out


def check_id(trainee_id: str) -> str:
    tid = trainee_id.strip()
    if not tid or len(tid) > MAX_ID:
        raise HistoryError(f"a trainee id must be 1..{MAX_ID} characters, not {trainee_id!r}")
    return tid


def ensure_trainee(conn: Any, trainee_id: str, *, name: str | None = None,
                   group: str | None = None, at: float | None = None) -> str:  # fmt: skip
    """Add the trainee if new; a given name or group updates the stored one."""
    from sqlalchemy import select

    from sandbox.server.schema import trainees

    tid = check_id(trainee_id)
    row = conn.execute(select(trainees).where(trainees.c.trainee_id == tid)).first()
    if row is None:
        conn.execute(trainees.insert().values(
            trainee_id=tid, name=name or "", group_name=group,
            created_at=time.time() if at is None else at))  # fmt: skip
    else:
        changes: dict[str, Any] = {}
        if name is not None:
            changes["name"] = name
        if group is not None:
            changes["group_name"] = group
        if changes:
            conn.execute(trainees.update().where(trainees.c.trainee_id == tid).values(**changes))
    return tid


def add_work(conn: Any, trainee_id: str, kind: str, *, at: float, label: str,
             seed: int | None, scenario_hash: str | None, journeys: Mapping[str, Any] | None,
             model_version: str | None, contacts: Sequence[tuple[str, str | None,
                                                                  Mapping[str, float]]],
             score: float | None = None, passed: bool | None = None,
             attempt_pk: int | None = None, source: str = "", group: str | None = None,
             ) -> int:  # fmt: skip
    """Store one piece of work in the open transaction `conn`; returns its id.
    `contacts`: (contact id, journey id, figures) per contact of the trainee's seat."""
    from sandbox.server.schema import trainee_contacts, trainee_work

    if kind not in KINDS:
        raise HistoryError(f"unknown kind of work {kind!r}; one of {', '.join(KINDS)}")
    tid = ensure_trainee(conn, trainee_id, group=group, at=at)
    jhash = journeys_hash(journeys)
    pk = conn.execute(trainee_work.insert().values(
        trainee_id=tid, kind=kind, at=at, form_key=form_key(scenario_hash, seed, jhash,
                                                            model_version),
        form_label=label, seed=seed, scenario_hash=scenario_hash, journeys_hash=jhash,
        model_version=model_version, attempt_pk=attempt_pk, score=score, passed=passed,
        contacts=len(contacts), source=source)).inserted_primary_key[0]  # fmt: skip
    if contacts:
        conn.execute(trainee_contacts.insert(), [
            {"work_pk": pk, "k": k, "contact_id": cid, "journey_id": jid,
             "figures": json.dumps(dict(fig), sort_keys=True)}
            for k, (cid, jid, fig) in enumerate(contacts, start=1)])  # fmt: skip
    return int(pk)


def record_exam_result(conn: Any, doc: Mapping[str, Any], attempt_pk: int, at: float) -> int:
    """Record a graded exam attempt (the store's signed result) against its candidate."""
    exam, form, prov = doc["exam"], doc["form"], doc.get("provenance") or {}
    contacts = []
    for c in doc.get("contacts") or ():
        fig = figures_from_grade(c)
        if fig is not None:
            contacts.append((str(c["contact_id"]), c.get("journey_id"), fig))
    return add_work(
        conn, str(doc["attempt"]["candidate"]), "exam", at=at,
        label=f"{exam['id']} v{exam['version']} form {form['id']}", seed=form.get("seed"),
        scenario_hash=prov.get("scenario"), journeys=prov.get("journeys"),
        model_version=prov.get("model_version"), contacts=contacts,
        score=float(doc["score"]), passed=bool(doc["passed"]), attempt_pk=attempt_pk,
        source=f"attempt {attempt_pk}")  # fmt: skip


def session_contacts(results: Mapping[str, Any], seat: str | None = None
                     ) -> list[tuple[str, str | None, dict[str, float]]]:  # fmt: skip
    """(contact id, journey id, figures) of the human-seat contacts of a results document."""
    out = []
    for rec in results.get("contacts") or ():
        if seat is not None and rec.get("seat") not in (seat, None):
            continue
        if rec.get("handle_s") is None:
            continue
        out.append((str(rec["contact_id"]), rec.get("journey_id"), figures_from_record(rec)))
    return out


class History:
    """Reads and writes of the trainee history. Open with `History.open(url)`."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str) -> History:
        from sandbox.server.db import make_engine, migrate

        engine = make_engine(url)
        migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- writes -------------------------------------------------------------------------------
    def add_trainee(self, trainee_id: str, *, name: str | None = None,
                    group: str | None = None) -> str:  # fmt: skip
        with self.engine.begin() as conn:
            return ensure_trainee(conn, trainee_id, name=name, group=group)

    def record_session(self, trainee_id: str, results: Mapping[str, Any], *,
                       kind: str = "practice", seat: str | None = None, at: float | None = None,
                       label: str | None = None, source: str = "", group: str | None = None,
                       ) -> int:  # fmt: skip
        """Record a practice session or competition round from its results document
        (`shapan.results/1`: `contacts` of the human seats, seed, scenario, journeys)."""
        scenario = results.get("scenario") or {}
        scen_hash = scenario.get("hash") if isinstance(scenario, Mapping) else scenario
        name = scenario.get("name") if isinstance(scenario, Mapping) else None
        seed = results.get("seed")
        with self.engine.begin() as conn:
            return add_work(
                conn, trainee_id, kind, at=time.time() if at is None else at,
                label=label or f"{name or 'scenario'} seed {seed}", seed=seed,
                scenario_hash=scen_hash, journeys=results.get("journeys"),
                model_version=results.get("model_version"),
                contacts=session_contacts(results, seat), source=source, group=group)  # fmt: skip

    # -- reads --------------------------------------------------------------------------------
    def trainees(self, group: str | None = None) -> list[dict[str, Any]]:
        """Every trainee (of `group`), with how much work is stored."""
        from sqlalchemy import func, select

        from sandbox.server.schema import trainee_work, trainees

        q = (select(trainees, func.count(trainee_work.c.pk).label("n"),
                    func.coalesce(func.sum(trainee_work.c.contacts), 0).label("contacts"),
                    func.max(trainee_work.c.at).label("last"))
             .select_from(trainees.outerjoin(trainee_work,
                                             trainee_work.c.trainee_id == trainees.c.trainee_id))
             .group_by(trainees.c.trainee_id, trainees.c.name, trainees.c.group_name,
                       trainees.c.created_at)
             .order_by(trainees.c.trainee_id))  # fmt: skip
        if group is not None:
            q = q.where(trainees.c.group_name == group)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [{"id": r.trainee_id, "name": r.name, "group": r.group_name,
                 "work": int(r.n), "contacts": int(r.contacts),
                 "last": None if r.last is None else float(r.last)} for r in rows]  # fmt: skip

    def trainee(self, trainee_id: str) -> dict[str, Any]:
        from sqlalchemy import select

        from sandbox.server.schema import trainees

        with self.engine.connect() as conn:
            row = conn.execute(select(trainees)
                               .where(trainees.c.trainee_id == trainee_id.strip())).first()  # fmt: skip
        if row is None:
            raise HistoryError(f"no trainee {trainee_id!r} in this database")
        return {"id": row.trainee_id, "name": row.name, "group": row.group_name,
                "created_at": row.created_at}  # fmt: skip

    def work(self, trainee_ids: Iterable[str] | None = None, *, since: float | None = None,
             until: float | None = None, with_figures: bool = True) -> list[Work]:  # fmt: skip
        """The stored work (of `trainee_ids`; in [since, until)), oldest first."""
        from sqlalchemy import select

        from sandbox.server.schema import trainee_contacts, trainee_work

        q = select(trainee_work).order_by(trainee_work.c.at, trainee_work.c.pk)
        if trainee_ids is not None:
            q = q.where(trainee_work.c.trainee_id.in_(list(trainee_ids)))
        if since is not None:
            q = q.where(trainee_work.c.at >= since)
        if until is not None:
            q = q.where(trainee_work.c.at < until)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
            figures: dict[int, list[dict[str, float]]] = {}
            ids: dict[int, list[tuple[str, str | None]]] = {}
            if with_figures and rows:
                pks = [r.pk for r in rows]
                for i in range(0, len(pks), 500):
                    for c in conn.execute(select(trainee_contacts)
                                          .where(trainee_contacts.c.work_pk.in_(pks[i:i + 500]))
                                          .order_by(trainee_contacts.c.work_pk,
                                                    trainee_contacts.c.k)):  # fmt: skip
                        figures.setdefault(c.work_pk, []).append(json.loads(c.figures))
                        ids.setdefault(c.work_pk, []).append((c.contact_id, c.journey_id))
        return [
            Work(
                r.pk,
                r.trainee_id,
                r.kind,
                float(r.at),
                r.form_key,
                r.form_label,
                r.seed,
                r.scenario_hash,
                r.journeys_hash,
                r.model_version,
                r.attempt_pk,
                None if r.score is None else float(r.score),
                None if r.passed is None else bool(r.passed),
                int(r.contacts),
                r.source,
                tuple(figures.get(r.pk, ())),
                tuple(i for i, _ in ids.get(r.pk, ())),
                tuple(j for _, j in ids.get(r.pk, ())),
            )
            for r in rows
        ]

    # -- form equivalence ---------------------------------------------------------------------
    def equivalences(self) -> list[dict[str, Any]]:
        """The declared equivalences, oldest first: `{forms: [{key, label}], rule, evidence,
        at}` (`declare_equivalent`)."""
        from sqlalchemy import select

        from sandbox.server.schema import settings

        with self.engine.connect() as conn:
            raw = conn.execute(select(settings.c.value)
                               .where(settings.c.key == EQUIVALENCE_KEY)).scalar()  # fmt: skip
        if not raw:
            return []
        doc = json.loads(raw)
        return list(doc.get("declarations") or ()) if isinstance(doc, dict) else []

    def declare_equivalent(self, forms: Sequence[tuple[str, str]], *, rule: str,
                           evidence: Mapping[str, Any] | None = None,
                           at: float | None = None) -> dict[str, Any]:  # fmt: skip
        """Declare forms [(form key, label), ...] equivalent (comparable as one form)."""
        from sqlalchemy import select

        from sandbox.server.schema import settings

        if len({k for k, _ in forms}) < 2:
            raise HistoryError("an equivalence needs at least two different forms")
        entry = {"forms": [{"key": k, "label": label} for k, label in forms], "rule": rule,
                 "evidence": dict(evidence or {}),
                 "at": time.time() if at is None else at}  # fmt: skip
        with self.engine.begin() as conn:
            raw = conn.execute(select(settings.c.value)
                               .where(settings.c.key == EQUIVALENCE_KEY)).scalar()  # fmt: skip
            doc = json.loads(raw) if raw else {"declarations": []}
            doc["declarations"].append(entry)
            value = json.dumps(doc, sort_keys=True, ensure_ascii=False)
            if raw is None:
                conn.execute(settings.insert().values(key=EQUIVALENCE_KEY, value=value))
            else:
                conn.execute(settings.update().where(settings.c.key == EQUIVALENCE_KEY)
                             .values(value=value))  # fmt: skip
        return entry

    def form_classes(self) -> dict[str, str]:
        """{form key: its class} where declared equivalences join forms (the class is the
        smallest key of its forms); keys not mentioned are their own class."""
        return form_classes(self.equivalences())


EQUIVALENCE_KEY = "form_equivalence"


def form_classes(declarations: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Union of the declared equivalences: {form key: class key}."""
    parent: dict[str, str] = {}

    def find(k: str) -> str:
        while parent.setdefault(k, k) != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for d in declarations:
        keys = [str(f["key"]) for f in d.get("forms") or ()]
        for k in keys[1:]:
            a, b = find(keys[0]), find(k)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {k: find(k) for k in list(parent)}
