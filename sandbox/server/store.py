"""ExamStore: every read and write of the proctoring server's data (docs/exam-server.md).

Why one module: the guarantees of an exam live here — a decision is acknowledged only once it
is committed; a result is only ever the server's own replay of the journal, signed; the journal
is hash-chained and its end anchored on the attempt row, so `audit` finds an edit, a deletion,
a reordering or a changed grade in the database. Nothing else speaks SQL.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.exam import journal as chain
from sandbox.exam.canonical import canonical_bytes
from sandbox.exam.model import Exam
from sandbox.server import clock
from sandbox.server.live import ExamMismatch, NotReplayable, Replayer, Replays, exam_provenance
from sandbox.server.workers import WorkerFailure

#: Candidate codes: 12 characters from an alphabet without look-alikes (0/O, 1/I/L), ~59 bits.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ADMIN_SESSION_S = 12 * 3600.0
MIN_SECRET = 8
MAX_NAME = 200
MAX_ID = 200
#: a desk heard of within this many seconds counts as connected (desks beat every 4 s)
CONNECTED_S = 12.0


# -- errors ----------------------------------------------------------------------------------
class StoreError(Exception):
    """A refused request: `status` (HTTP), `message` in zh-CN and en, extra answer fields."""

    status = 400

    def __init__(self, en: str, zh: str, **extra: Any) -> None:
        super().__init__(en)
        self.message = {"zh-CN": zh, "en": en}
        self.extra = extra

    def answer(self) -> dict[str, Any]:
        return {"error": dict(self.message), **self.extra}


class UnknownCode(StoreError):
    status = 404


class NotYet(StoreError):
    status = 403


class ExamClosed(StoreError):
    status = 403


class Rejected(StoreError):
    """A decision the server will not append; `head_seq` and `server_now_s` tell the desk
    where the journal and the clock are."""

    status = 409


class AttemptClosed(StoreError):
    status = 410


class NotFound(StoreError):
    status = 404


class Unavailable(StoreError):
    """The replay workers could not answer (a worker died twice or timed out): nothing was
    decided; the desk retries (a 5xx is `ConnectionLost` to it)."""

    status = 503


# -- values ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PublishedExam:
    pk: int
    ref: str
    exam_id: str
    version: int
    content_hash: str
    title: dict[str, str]
    lang: str
    forms: int
    customers: int
    limit_s: float
    published_at: float
    closed: bool
    codes_issued: int  # first-attempt codes issued so far (retakes not counted)


@dataclass(frozen=True)
class AttemptView:
    """One attempt as the admin sees it (no token, no journal)."""

    pk: int
    exam_pk: int
    candidate: str
    form_index: int
    attempt_no: int
    status: str
    closed_reason: str | None
    started_at: float
    finished_at: float | None
    decisions: int


@dataclass(frozen=True)
class IssuedCode:
    code: str  # the plain code: shown once, never stored
    candidate: str
    form_index: int
    attempt_no: int


@dataclass(frozen=True)
class CodeRow:
    pk: int
    candidate: str
    form_index: int
    attempt_no: int
    issued_at: float
    attempt_pk: int | None


@dataclass(frozen=True)
class OpenedAttempt:
    token: str
    attempt_pk: int
    answer: dict[str, Any]  # the API's open answer without the token


@dataclass(frozen=True)
class AttemptProgress:
    code_pk: int
    candidate: str
    form_index: int
    attempt_no: int
    attempt_pk: int | None
    status: str  # not_started | active | finished
    closed_reason: str | None
    decisions: int
    current_contact: str | None
    time_left_s: float | None
    last_seen_s: float | None  # seconds since the desk was last heard of
    connected: bool
    score: float | None
    passed: bool | None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class AuditFinding:
    attempt_pk: int
    candidate: str
    kind: str  # journal | anchor | grade | signature | result | status
    message: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalise_code(code: str) -> str:
    """`abcd efgh-jklm` -> `ABCDEFGHJKLM` (codes are typed by people)."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _provenance(exam: Exam) -> dict[str, Any]:
    """What must match for two machines to play the same exam: scenario, journeys, models."""
    return exam_provenance(exam)


class ExamStore:
    """The server's data. Open with `ExamStore.open(url, keys_dir)`; thread-safe.

    The simulation work (checking decisions against live replays, grading) is done by
    `workers`: `ReplayWorkers` (sandbox/server/workers.py, worker processes) or, by default, a
    `Replayer` in this process. The store closes it in `close()`."""

    def __init__(self, engine: Any, private_key: Any, *, live_capacity: int = 256,
                 workers: Replays | None = None) -> None:  # fmt: skip
        from sqlalchemy import MetaData  # noqa: F401  (SQLAlchemy loaded with the store)

        self.engine = engine
        self._key = private_key
        self._exams: dict[int, Exam] = {}
        self._replays: Replays = workers if workers is not None else Replayer(live_capacity)
        #: exam pk -> (ref, content_hash, provenance) as published: what replays load and check
        self._published_refs: dict[int, tuple[str, str, str]] = {}
        #: per attempt; re-entrant: append_decision and heartbeat call finish when time is up
        self._locks: dict[int, threading.RLock] = {}
        self._locks_guard = threading.Lock()
        #: attempt -> (wall time last heard of, current contact): see `heartbeat`
        self._presence: dict[int, tuple[float, str | None]] = {}

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        url: str,
        keys_dir: str | Path | None = None,
        *,
        create_keys: bool = True,
        replay_workers: int = 0,
    ) -> ExamStore:
        """Connect, migrate to the newest schema, load (or create) the signing key pair.
        `keys_dir` defaults to `<db file>.keys/` for SQLite, else ~/.local/share/shapan/.
        `replay_workers` > 0 starts that many replay worker processes (0: replays in this
        process)."""
        from sandbox.exam.signing import PRIVATE_KEY_FILE, generate_keypair, load_private_key
        from sandbox.server.db import make_engine, migrate

        engine = make_engine(url)  # a bad URL or an unreachable database: DatabaseError first
        folder = Path(keys_dir) if keys_dir is not None else default_keys_dir(url)
        if not create_keys and not (folder / PRIVATE_KEY_FILE).exists():
            from sandbox.exam.signing import SigningError

            engine.dispose()
            raise SigningError(f"no server key in {folder}; pass the server's --keys folder")
        migrate(engine)
        if not (folder / PRIVATE_KEY_FILE).exists():
            folder.mkdir(parents=True, exist_ok=True)
            generate_keypair(folder)
        key = load_private_key(folder / PRIVATE_KEY_FILE)
        workers: Replays | None = None
        if replay_workers > 0:
            from sandbox.server.workers import ReplayWorkers

            workers = ReplayWorkers(replay_workers)
        return cls(engine, key, workers=workers)

    def close(self) -> None:
        """Stop the replay workers and release the database."""
        self._replays.close()
        self.engine.dispose()

    @property
    def replay_workers(self) -> int:
        """How many replay worker processes check and grade (0: this process does)."""
        return 0 if isinstance(self._replays, Replayer) else self._replays.parallelism

    def _published_ref(self, exam_pk: int) -> tuple[str, str, str]:
        """(ref, content hash, provenance) of a published exam, as the replays check it."""
        from sqlalchemy import select

        from sandbox.server.schema import exams

        known = self._published_refs.get(exam_pk)
        if known is None:
            with self.engine.connect() as conn:
                row = conn.execute(select(exams.c.ref, exams.c.content_hash, exams.c.provenance)
                                   .where(exams.c.pk == exam_pk)).one()  # fmt: skip
            known = (str(row.ref), str(row.content_hash), str(row.provenance))
            self._published_refs[exam_pk] = known
        return known

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        with self.engine.begin() as conn:
            yield conn

    def _lock(self, attempt_pk: int) -> threading.RLock:
        with self._locks_guard:
            return self._locks.setdefault(attempt_pk, threading.RLock())

    def _event(self, conn: Any, actor: str, kind: str, *, exam_pk: int | None = None,
               attempt_pk: int | None = None, detail: str = "") -> None:  # fmt: skip
        from sandbox.server.schema import events

        conn.execute(events.insert().values(at=clock.wall_now(), actor=actor, kind=kind,
                                            exam_pk=exam_pk, attempt_pk=attempt_pk,
                                            detail=detail))  # fmt: skip

    # -- signing key -------------------------------------------------------------------------
    @property
    def key_id(self) -> str:
        from sandbox.exam.signing import key_id

        return key_id(self._key.public_key())

    def public_key_pem(self) -> str:
        from cryptography.hazmat.primitives import serialization

        pem: bytes = self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem.decode("ascii")

    # -- admin -------------------------------------------------------------------------------
    def _setting(self, key: str) -> str | None:
        from sqlalchemy import select

        from sandbox.server.schema import settings

        with self.engine.connect() as conn:
            value = conn.execute(select(settings.c.value).where(settings.c.key == key)).scalar()
        return None if value is None else str(value)

    def admin_secret_is_set(self) -> bool:
        return self._setting("admin_secret") is not None

    def set_admin_secret(self, secret: str) -> None:
        """Set the admin secret once (first start). Refuses a short one or a second setting."""
        from sqlalchemy.exc import IntegrityError

        from sandbox.server.schema import settings

        if len(secret) < MIN_SECRET:
            raise StoreError(f"the admin secret needs at least {MIN_SECRET} characters",
                             f"管理员口令至少需要 {MIN_SECRET} 个字符")  # fmt: skip
        salt = secrets.token_bytes(16)
        digest = hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=2**14, r=8, p=1)
        value = f"scrypt$16384$8$1${salt.hex()}${digest.hex()}"
        try:
            with self._tx() as conn:
                conn.execute(settings.insert().values(key="admin_secret", value=value))
                self._event(conn, "admin", "admin_secret_set")
        except IntegrityError:
            raise StoreError("the admin secret is already set", "管理员口令已设置") from None

    def check_admin_secret(self, secret: str) -> bool:
        stored = self._setting("admin_secret")
        if stored is None:
            return False
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(secret.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n),
                             r=int(r), p=int(p))  # fmt: skip
        return hmac.compare_digest(got.hex(), digest)

    def new_admin_session(self) -> str:
        from sandbox.server.schema import admin_sessions

        token = secrets.token_urlsafe(32)
        now = clock.wall_now()
        with self._tx() as conn:
            conn.execute(admin_sessions.insert().values(
                token_hash=_sha(token), created_at=now, expires_at=now + ADMIN_SESSION_S))  # fmt: skip
        return token

    def admin_session_ok(self, token: str | None) -> bool:
        from sqlalchemy import select

        from sandbox.server.schema import admin_sessions

        if not token:
            return False
        with self.engine.connect() as conn:
            expires = conn.execute(select(admin_sessions.c.expires_at).where(
                admin_sessions.c.token_hash == _sha(token))).scalar()  # fmt: skip
        return expires is not None and float(expires) > clock.wall_now()

    def end_admin_session(self, token: str) -> None:
        from sandbox.server.schema import admin_sessions

        with self._tx() as conn:
            conn.execute(admin_sessions.delete().where(admin_sessions.c.token_hash == _sha(token)))

    # -- exams -------------------------------------------------------------------------------
    def publish(self, ref: str) -> PublishedExam:
        """Publish a shipped exam id or an exam file on the server's disk (validated first)."""
        from sandbox.exam import ExamError, load_exam
        from sandbox.exam.loader import resolve_exam
        from sandbox.server.schema import exams

        try:
            path = resolve_exam(ref)
            exam = load_exam(ref)
            text = Path(path).read_text(encoding="utf-8")
        except ExamError as err:
            first = err.render().splitlines()[0] if hasattr(err, "render") else str(err)
            raise StoreError(f"cannot publish {ref}: {first}", f"无法发布 {ref}：{first}") from None
        except OSError as err:
            raise StoreError(f"cannot read {ref}: {err.strerror}",
                             f"无法读取 {ref}：{err.strerror}") from None  # fmt: skip
        now = clock.wall_now()
        with self._tx() as conn:
            pk = conn.execute(exams.insert().values(
                ref=str(ref), exam_id=exam.id, version=exam.version,
                content_hash=exam.content_hash, title_zh=exam.title.get("zh-CN", exam.id),
                title_en=exam.title.get("en", exam.id), lang=exam.lang, forms=len(exam.forms),
                customers=exam.customers, limit_s=exam.exam_limit_s,
                provenance=canonical_bytes(_provenance(exam)).decode("utf-8"),
                yaml_text=text, published_at=now, closed=False, codes_issued=0,
            )).inserted_primary_key[0]  # fmt: skip
            self._event(conn, "admin", "publish", exam_pk=pk, detail=f"{exam.id} v{exam.version}")
        self._exams[int(pk)] = exam
        return self.exam(int(pk))

    @staticmethod
    def _published(row: Any) -> PublishedExam:
        return PublishedExam(
            pk=row.pk, ref=row.ref, exam_id=row.exam_id, version=row.version,
            content_hash=row.content_hash, title={"zh-CN": row.title_zh, "en": row.title_en},
            lang=row.lang, forms=row.forms, customers=row.customers, limit_s=row.limit_s,
            published_at=row.published_at, closed=bool(row.closed),
            codes_issued=int(row.codes_issued),
        )  # fmt: skip

    def exams(self) -> list[PublishedExam]:
        from sqlalchemy import select

        from sandbox.server.schema import exams

        with self.engine.connect() as conn:
            rows = conn.execute(select(exams).order_by(exams.c.pk.desc())).all()
        return [self._published(r) for r in rows]

    def exam(self, pk: int) -> PublishedExam:
        from sqlalchemy import select

        from sandbox.server.schema import exams

        with self.engine.connect() as conn:
            row = conn.execute(select(exams).where(exams.c.pk == pk)).first()
        if row is None:
            raise NotFound(f"no published exam {pk}", f"没有编号为 {pk} 的已发布考试")
        return self._published(row)

    def close_exam(self, pk: int) -> None:
        """No new attempts (running ones finish)."""
        from sandbox.server.schema import exams

        self.exam(pk)
        with self._tx() as conn:
            conn.execute(exams.update().where(exams.c.pk == pk).values(closed=True))
            self._event(conn, "admin", "close_exam", exam_pk=pk)

    def loaded_exam(self, pk: int) -> Exam:
        """The published exam as loaded on this server; refuses one whose file, scenario,
        journeys or models changed since publishing (its results would not be comparable)."""
        from sqlalchemy import select

        from sandbox.exam import ExamError, load_exam
        from sandbox.server.schema import exams

        if pk in self._exams:
            return self._exams[pk]
        with self.engine.connect() as conn:
            row = conn.execute(select(exams).where(exams.c.pk == pk)).first()
        if row is None:
            raise NotFound(f"no published exam {pk}", f"没有编号为 {pk} 的已发布考试")
        try:
            exam = load_exam(row.ref)
        except ExamError:
            exam = None
        if exam is None or exam.content_hash != row.content_hash:
            raise StoreError(
                f"exam {row.exam_id}: the file {row.ref} changed or vanished since it was "
                "published; publish it again",
                f"考试 {row.exam_id}：发布后文件 {row.ref} 已被修改或删除，请重新发布",
            )
        now_prov = canonical_bytes(_provenance(exam)).decode("utf-8")
        if now_prov != row.provenance:
            raise StoreError(
                f"exam {row.exam_id}: its scenario, journeys or models changed since it was "
                "published; publish it again",
                f"考试 {row.exam_id}：发布后其场景、旅程或模型已改变，请重新发布",
            )
        self._exams[pk] = exam
        return exam

    # -- codes -------------------------------------------------------------------------------
    def issue_codes(self, exam_pk: int, candidates: list[str]) -> list[IssuedCode]:
        """One one-time code per candidate name. Forms rotate in issue order (neighbours on a
        printed sheet get different forms); a retake follows the exam's retake policy."""
        from sqlalchemy import select

        from sandbox.server.schema import codes, exams

        names = [" ".join(c.split()) for c in candidates]
        names = [n for n in names if n]
        if not names:
            raise StoreError("give at least one candidate name", "请至少填写一名考生")
        for n in names:
            if len(n) > MAX_NAME:
                raise StoreError(f"candidate name longer than {MAX_NAME} characters: {n[:40]}…",
                                 f"考生姓名超过 {MAX_NAME} 个字符：{n[:40]}…")  # fmt: skip
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise StoreError(f"candidate {dup!r} is listed twice", f"考生 {dup!r} 重复出现")
        published = self.exam(exam_pk)
        if published.closed:
            raise ExamClosed("the exam is closed", "考试已关闭")
        exam = self.loaded_exam(exam_pk)
        rule = exam.retake
        out: list[IssuedCode] = []
        now = clock.wall_now()
        with self._tx() as conn:
            issued = conn.execute(select(exams.c.codes_issued).where(exams.c.pk == exam_pk)
                                  .with_for_update()).scalar_one()  # fmt: skip
            for name in names:
                before = conn.execute(
                    select(codes.c.form_index, codes.c.attempt_no)
                    .where(codes.c.exam_pk == exam_pk, codes.c.candidate == name)
                    .order_by(codes.c.attempt_no.desc())
                ).first()
                if before is None:
                    form, number = issued % len(exam.forms), 1
                    issued += 1
                else:
                    if before.attempt_no >= rule.attempts:
                        raise StoreError(
                            f"{name} has had {before.attempt_no} attempt(s); the retake policy "
                            f"allows {rule.attempts}",
                            f"{name} 已有 {before.attempt_no} 次考试机会，补考规则只允许 {rule.attempts} 次",
                        )
                    step = 1 if rule.rotate_forms else 0
                    form, number = (
                        (before.form_index + step) % len(exam.forms),
                        before.attempt_no + 1,
                    )
                code = _new_code()
                conn.execute(codes.insert().values(
                    exam_pk=exam_pk, code_hash=_sha(normalise_code(code)), candidate=name,
                    form_index=form, attempt_no=number, issued_at=now))  # fmt: skip
                out.append(IssuedCode(code, name, form, number))
            conn.execute(exams.update().where(exams.c.pk == exam_pk).values(codes_issued=issued))
            self._event(conn, "admin", "issue_codes", exam_pk=exam_pk, detail=str(len(out)))
        return out

    def codes(self, exam_pk: int) -> list[CodeRow]:
        from sqlalchemy import select

        from sandbox.server.schema import attempts, codes

        q = (select(codes, attempts.c.pk.label("attempt_pk"))
             .select_from(codes.outerjoin(attempts, attempts.c.code_pk == codes.c.pk))
             .where(codes.c.exam_pk == exam_pk).order_by(codes.c.pk))  # fmt: skip
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [CodeRow(r.pk, r.candidate, r.form_index, r.attempt_no, r.issued_at, r.attempt_pk)
                for r in rows]  # fmt: skip

    # -- attempts ----------------------------------------------------------------------------
    def _attempt_row(self, conn: Any, attempt_pk: int) -> Any:
        from sqlalchemy import select

        from sandbox.server.schema import attempts, exams

        row = conn.execute(
            select(attempts, exams.c.limit_s, exams.c.closed.label("exam_closed"))
            .select_from(attempts.join(exams, exams.c.pk == attempts.c.exam_pk))
            .where(attempts.c.pk == attempt_pk)
        ).first()
        if row is None:
            raise NotFound(f"no attempt {attempt_pk}", f"没有编号为 {attempt_pk} 的考试记录")
        return row

    @staticmethod
    def _now_s(row: Any, now: float | None = None) -> float:
        return clock.server_now_s(row.started_at, row.clock_speed, row.limit_s,
                                  clock.wall_now() if now is None else now)  # fmt: skip

    def _entries(self, conn: Any, attempt_pk: int) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from sandbox.server.schema import journal

        rows = conn.execute(select(journal).where(journal.c.attempt_pk == attempt_pk)
                            .order_by(journal.c.seq)).all()  # fmt: skip
        return [{f: r._mapping[f] for f in chain.FIELDS} for r in rows]

    def attempt(self, attempt_pk: int) -> AttemptView:
        """One attempt for the admin pages (NotFound when there is none)."""
        from sqlalchemy import select

        from sandbox.server.schema import attempts, codes

        with self.engine.connect() as conn:
            r = conn.execute(
                select(attempts, codes.c.attempt_no)
                .select_from(attempts.join(codes, codes.c.pk == attempts.c.code_pk))
                .where(attempts.c.pk == attempt_pk)
            ).first()  # fmt: skip
        if r is None:
            raise NotFound(f"no attempt {attempt_pk}", f"没有编号为 {attempt_pk} 的考试记录")
        return AttemptView(pk=r.pk, exam_pk=r.exam_pk, candidate=r.candidate,
                           form_index=r.form_index, attempt_no=r.attempt_no, status=r.status,
                           closed_reason=r.closed_reason, started_at=r.started_at,
                           finished_at=r.finished_at, decisions=r.head_seq)  # fmt: skip

    def journal(self, attempt_pk: int) -> list[dict[str, Any]]:
        """The attempt's journal entries, in seq order, as stored."""
        with self.engine.connect() as conn:
            self._attempt_row(conn, attempt_pk)
            return self._entries(conn, attempt_pk)

    def open_attempt(self, code: str, *, clock_speed: float = 1.0) -> OpenedAttempt:
        """Start the code's attempt, or resume it (a new token; the old desk's token stops
        working). Raises UnknownCode, NotYet (retake wait), ExamClosed, AttemptClosed."""
        from sqlalchemy import select

        from sandbox.server.schema import attempts, codes, exams

        code_hash = _sha(normalise_code(code))
        token = secrets.token_urlsafe(32)
        now = clock.wall_now()
        with self._tx() as conn:
            crow = conn.execute(select(codes).where(codes.c.code_hash == code_hash)).first()
            if crow is None:
                raise UnknownCode("no such candidate code; check it on your code card",
                                  "考生码不存在，请核对准考证上的考生码")  # fmt: skip
            arow = conn.execute(select(attempts.c.pk, attempts.c.status)
                                .where(attempts.c.code_pk == crow.pk)).first()  # fmt: skip
            if arow is None:
                erow = conn.execute(select(exams).where(exams.c.pk == crow.exam_pk)).first()
                if erow.closed:
                    raise ExamClosed("the exam is closed", "考试已关闭")
                self._check_retake(conn, crow, now)
                attempt_pk = conn.execute(attempts.insert().values(
                    exam_pk=crow.exam_pk, code_pk=crow.pk, candidate=crow.candidate,
                    form_index=crow.form_index, token_hash=_sha(token), clock_speed=clock_speed,
                    started_at=now, status="active", head_seq=0, head_hash=chain.GENESIS,
                    last_t=0.0, last_seen_at=now,
                )).inserted_primary_key[0]  # fmt: skip
                self._event(conn, "candidate", "start", exam_pk=crow.exam_pk,
                            attempt_pk=attempt_pk)  # fmt: skip
            else:
                attempt_pk = arow.pk
                if arow.status == "active":
                    conn.execute(attempts.update().where(attempts.c.pk == attempt_pk)
                                 .values(token_hash=_sha(token), last_seen_at=now))  # fmt: skip
                    self._event(conn, "candidate", "resume", exam_pk=crow.exam_pk,
                                attempt_pk=attempt_pk)  # fmt: skip
        attempt_pk = int(attempt_pk)
        with self.engine.connect() as conn:
            row = self._attempt_row(conn, attempt_pk)
        if row.status != "active" or self._now_s(row) >= row.limit_s:
            raise AttemptClosed("this attempt is finished", "本次考试已结束",
                                result=self.finish(attempt_pk, reason="time_up"))  # fmt: skip
        return OpenedAttempt(token, attempt_pk, self._open_answer(attempt_pk))

    def _check_retake(self, conn: Any, crow: Any, now: float) -> None:
        from sqlalchemy import select

        from sandbox.server.schema import attempts, codes

        if crow.attempt_no <= 1:
            return
        prev = conn.execute(
            select(attempts.c.status, attempts.c.finished_at)
            .select_from(attempts.join(codes, codes.c.pk == attempts.c.code_pk))
            .where(codes.c.exam_pk == crow.exam_pk, codes.c.candidate == crow.candidate,
                   codes.c.attempt_no == crow.attempt_no - 1)
        ).first()  # fmt: skip
        wait = self.loaded_exam(crow.exam_pk).retake.wait_s
        if prev is None or prev.status != "finished":
            raise NotYet("finish the previous attempt before the retake",
                         "请先完成上一次考试再补考")  # fmt: skip
        left = prev.finished_at + wait - now
        if left > 0:
            raise NotYet(f"the retake opens in {left / 3600:.1f} h", f"补考将在 {left / 3600:.1f} 小时后开放",
                         retry_after_s=round(left, 1))  # fmt: skip

    def _open_answer(self, attempt_pk: int) -> dict[str, Any]:
        from sqlalchemy import select

        from sandbox.server.schema import exams

        with self.engine.connect() as conn:
            row = self._attempt_row(conn, attempt_pk)
            erow = conn.execute(select(exams).where(exams.c.pk == row.exam_pk)).first()
            entries = self._entries(conn, attempt_pk)
        exam = self.loaded_exam(row.exam_pk)
        return {
            "attempt": {
                "status": row.status, "form_index": row.form_index, "limit_s": row.limit_s,
                "contact_limit_s": exam.contact_limit_s, "clock_speed": row.clock_speed,
                "server_now_s": self._now_s(row), "lang": exam.lang,
                "candidate": row.candidate, "key_id": self.key_id,
            },
            "exam": {"ref": erow.ref, "yaml": erow.yaml_text, "content_hash": erow.content_hash,
                     "provenance": json.loads(erow.provenance),
                     "title": {"zh-CN": erow.title_zh, "en": erow.title_en}},
            "journal": entries,
        }  # fmt: skip

    def attempt_for_token(self, token: str | None) -> int:
        from sqlalchemy import select

        from sandbox.server.schema import attempts

        if token:
            with self.engine.connect() as conn:
                pk = conn.execute(select(attempts.c.pk)
                                  .where(attempts.c.token_hash == _sha(token))).scalar()  # fmt: skip
            if pk is not None:
                return int(pk)
        raise UnknownCode("not signed in to an attempt (open it again with your code)",
                          "未登录考试（请用考生码重新进入）")  # fmt: skip

    def append_decision(
        self, attempt_pk: int, seq: int, t: float, contact_id: str, choice_id: str
    ) -> dict[str, Any]:
        """Append one decision after checking its order, its time against the server clock
        and that the attempt's replay can apply it; returns the ack once committed. An exact
        repeat of an acknowledged entry returns that entry's ack (a desk retrying a lost ack)."""
        from sqlalchemy import select
        from sqlalchemy.exc import IntegrityError

        from sandbox.server.schema import attempts, journal

        if len(contact_id) > MAX_ID or len(choice_id) > MAX_ID:
            raise Rejected("ids too long", "编号过长")
        with self._lock(attempt_pk):
            with self.engine.connect() as conn:
                row = self._attempt_row(conn, attempt_pk)
            now_s = self._now_s(row)
            where = {"head_seq": row.head_seq, "server_now_s": now_s}
            if row.status != "active":
                raise AttemptClosed("this attempt is finished", "本次考试已结束", **where)
            if now_s >= row.limit_s:
                self.finish(attempt_pk, reason="time_up")
                raise AttemptClosed("time is up", "考试时间已到", **where)
            if 1 <= seq <= row.head_seq:
                with self.engine.connect() as conn:
                    old = conn.execute(select(journal).where(journal.c.attempt_pk == attempt_pk,
                                                             journal.c.seq == seq)).first()  # fmt: skip
                m = old._mapping if old is not None else None
                if m is not None and (m["t"], m["contact_id"], m["choice_id"]) == (
                    float(t),
                    contact_id,
                    choice_id,
                ):
                    return {"seq": m["seq"], "hash": m["hash"], "received_at": m["received_at"],
                            "server_now_s": now_s}  # fmt: skip
                raise Rejected(f"seq {seq} is already taken by another decision",
                               f"序号 {seq} 已被另一决策占用", **where)  # fmt: skip
            if seq != row.head_seq + 1:
                raise Rejected(f"expected seq {row.head_seq + 1}, got {seq}",
                               f"应为序号 {row.head_seq + 1}，收到 {seq}", **where)  # fmt: skip
            low, high = clock.decision_window(now_s, row.clock_speed)
            if t < row.last_t:
                raise Rejected(f"time {t:g} s is before the last decision ({row.last_t:g} s)",
                               f"时间 {t:g} 秒早于上一决策（{row.last_t:g} 秒）", **where)  # fmt: skip
            if t > high:
                raise Rejected(f"time {t:g} s is ahead of the server clock ({now_s:.1f} s)",
                               f"时间 {t:g} 秒超前于服务器时钟（{now_s:.1f} 秒）", **where)  # fmt: skip
            if t < low:
                raise Rejected(f"stale decision at {t:g} s; the server clock is at {now_s:.1f} s",
                               f"决策已过期（{t:g} 秒），服务器时钟为 {now_s:.1f} 秒", **where)  # fmt: skip
            self.loaded_exam(row.exam_pk)  # refuses an exam changed since publishing
            ref, content_hash, provenance = self._published_ref(row.exam_pk)

            def load() -> list[list[Any]]:
                with self.engine.connect() as conn:
                    return chain.decisions(self._entries(conn, attempt_pk))

            try:
                self._replays.check(attempt_pk, ref, content_hash, row.form_index, row.head_seq,
                                    float(t), contact_id, choice_id, load,
                                    provenance=provenance)  # fmt: skip
            except NotReplayable as err:
                raise Rejected(f"the decision does not replay: {err}",
                               f"该决策无法重放：{err}", **where) from None  # fmt: skip
            except ExamMismatch as err:
                raise StoreError(f"the exam cannot be replayed: {err}; publish it again",
                                 f"考试无法重放：{err}；请重新发布") from None  # fmt: skip
            except WorkerFailure as err:
                raise Unavailable(f"the server is busy, try again ({err})",
                                  f"服务器繁忙，请重试（{err}）", **where) from None  # fmt: skip
            entry = chain.sealed(row.head_seq + 1, row.head_hash, float(t), contact_id, choice_id)
            try:
                with self._tx() as conn:
                    conn.execute(journal.insert().values(attempt_pk=attempt_pk, **entry))
                    done = conn.execute(
                        attempts.update()
                        .where(attempts.c.pk == attempt_pk, attempts.c.head_seq == row.head_seq,
                               attempts.c.status == "active")
                        .values(head_seq=entry["seq"], head_hash=entry["hash"], last_t=entry["t"],
                                last_seen_at=clock.wall_now(), current_contact=contact_id)
                    ).rowcount  # fmt: skip
                    if done != 1:
                        raise IntegrityError("attempt moved", None, Exception("head changed"))
            except IntegrityError:
                self._replays.forget(attempt_pk)
                raise Rejected("another desk appended first; resynchronise",
                               "另一台工作台已先提交，请重新同步", **where) from None  # fmt: skip
            except BaseException:
                self._replays.forget(attempt_pk)
                raise
            self._replays.commit(attempt_pk, entry["seq"])
        return {"seq": entry["seq"], "hash": entry["hash"], "received_at": entry["received_at"],
                "server_now_s": now_s}  # fmt: skip

    def heartbeat(self, attempt_pk: int, contact_id: str | None) -> dict[str, Any]:
        """A desk says it is alive and on which contact. Kept in memory, not written: presence
        is live state for the admin's view, and a write (a disk sync) every two seconds per
        desk would cost the decisions their latency. Decisions record it durably."""
        if contact_id is not None and len(contact_id) > MAX_ID:
            raise Rejected("contact id too long", "联络编号过长")
        with self.engine.connect() as conn:
            row = self._attempt_row(conn, attempt_pk)
        if row.status == "active":
            with self._locks_guard:
                self._presence[attempt_pk] = (clock.wall_now(), contact_id)
        now_s = self._now_s(row)
        status = row.status
        if status == "active" and now_s >= row.limit_s:
            self.finish(attempt_pk, reason="time_up")
            status = "finished"
        return {"server_now_s": now_s, "status": status, "head_seq": row.head_seq}

    # -- grading -----------------------------------------------------------------------------
    def finish(self, attempt_pk: int, *, reason: str = "finished") -> dict[str, Any]:
        """Close the attempt, grade it by replaying its journal, sign and store the result.
        Idempotent: a graded attempt returns its stored result."""
        from sqlalchemy import select

        from sandbox.exam.errors import JournalError
        from sandbox.exam.signing import sign_document
        from sandbox.server.history import record_exam_result
        from sandbox.server.schema import attempts, grades

        with self._lock(attempt_pk):
            with self.engine.connect() as conn:
                stored = conn.execute(select(grades.c.result)
                                      .where(grades.c.attempt_pk == attempt_pk)).scalar()  # fmt: skip
                if stored is not None:
                    return dict(json.loads(stored))
                row = self._attempt_row(conn, attempt_pk)
                entries = self._entries(conn, attempt_pk)
            self.loaded_exam(row.exam_pk)  # refuses an exam changed since publishing
            ref, content_hash, provenance = self._published_ref(row.exam_pk)
            anchor = f"{row.head_seq}:{row.head_hash}"
            try:
                decisions = chain.verified_decisions(entries, anchor=anchor)
                doc = self._replays.grade(ref, content_hash, row.form_index, decisions,
                                          provenance=provenance)  # fmt: skip
            except (JournalError, ExamMismatch) as err:
                raise StoreError(f"attempt {attempt_pk} cannot be graded: {err}",
                                 f"考试记录 {attempt_pk} 无法评分：{err}") from None  # fmt: skip
            except WorkerFailure as err:
                raise Unavailable(f"attempt {attempt_pk} could not be graded yet ({err}); "
                                  "try again", f"考试记录 {attempt_pk} 暂时无法评分（{err}），请重试"
                                  ) from None  # fmt: skip
            now = clock.wall_now()
            doc["proctoring"] = "proctored"
            doc["journal"] = {**doc["journal"], "head": anchor}
            doc["attempt"] = {
                "id": attempt_pk, "candidate": row.candidate, "clock_speed": row.clock_speed,
                "started_at": chain.stamp(row.started_at), "finished_at": chain.stamp(now),
                "closed": reason, "time_used_s": round(min(self._now_s(row, now), row.limit_s), 3),
            }  # fmt: skip
            signed = sign_document(doc, self._key)
            with self._tx() as conn:
                conn.execute(grades.insert().values(
                    attempt_pk=attempt_pk, result=canonical_bytes(signed).decode("utf-8"),
                    score=float(signed["score"]), passed=bool(signed["passed"]), graded_at=now))  # fmt: skip
                conn.execute(attempts.update().where(attempts.c.pk == attempt_pk).values(
                    status="finished", closed_reason=reason, finished_at=now,
                    current_contact=None))  # fmt: skip
                self._event(conn, "server", "graded", exam_pk=row.exam_pk, attempt_pk=attempt_pk,
                            detail=f"{reason} score={signed['score']} passed={signed['passed']}")  # fmt: skip
                # the trainee history (sandbox/server/history.py): the attempt, per contact
                record_exam_result(conn, signed, attempt_pk, now)
            self._replays.forget(attempt_pk)
            with self._locks_guard:
                self._presence.pop(attempt_pk, None)
            return signed

    def close_overdue(self) -> int:
        """Grade every active attempt whose time ran out; returns how many."""
        from sqlalchemy import select

        from sandbox.server.schema import attempts, exams

        now = clock.wall_now()
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(attempts.c.pk, attempts.c.started_at, attempts.c.clock_speed, exams.c.limit_s)
                .select_from(attempts.join(exams, exams.c.pk == attempts.c.exam_pk))
                .where(attempts.c.status == "active")
            ).all()  # fmt: skip
        due = [int(r.pk) for r in rows if self._now_s(r, now) >= r.limit_s]
        parallel = min(len(due), self._replays.parallelism)
        if parallel <= 1:
            for pk in due:
                self.finish(pk, reason="time_up")
            return len(due)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(parallel, thread_name_prefix="shapan-overdue") as pool:
            done = [pool.submit(self.finish, pk, reason="time_up") for pk in due]
        for fut in done:
            fut.result()  # the first failure is raised (the others were still graded)
        return len(due)

    def result(self, attempt_pk: int) -> dict[str, Any] | None:
        from sqlalchemy import select

        from sandbox.server.schema import grades

        with self.engine.connect() as conn:
            self._attempt_row(conn, attempt_pk)
            stored = conn.execute(select(grades.c.result)
                                  .where(grades.c.attempt_pk == attempt_pk)).scalar()  # fmt: skip
        return None if stored is None else dict(json.loads(stored))

    # -- views -------------------------------------------------------------------------------
    def progress(self, exam_pk: int) -> list[AttemptProgress]:
        """Every code of the exam with its attempt's live state (the admin's live view)."""
        from sqlalchemy import select

        from sandbox.server.schema import attempts, codes, exams, grades

        q = (
            select(codes.c.pk.label("code_pk"), codes.c.candidate, codes.c.form_index,
                   codes.c.attempt_no, attempts.c.pk.label("attempt_pk"), attempts.c.status,
                   attempts.c.closed_reason, attempts.c.head_seq, attempts.c.current_contact,
                   attempts.c.started_at, attempts.c.clock_speed, attempts.c.last_seen_at,
                   exams.c.limit_s, grades.c.score, grades.c.passed)
            .select_from(codes.join(exams, exams.c.pk == codes.c.exam_pk)
                         .outerjoin(attempts, attempts.c.code_pk == codes.c.pk)
                         .outerjoin(grades, grades.c.attempt_pk == attempts.c.pk))
            .where(codes.c.exam_pk == exam_pk).order_by(codes.c.pk)
        )  # fmt: skip
        now = clock.wall_now()
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        out = []
        with self._locks_guard:
            presence = dict(self._presence)
        for r in rows:
            started = r.attempt_pk is not None
            active = started and r.status == "active"
            last_seen, contact = r.last_seen_at, r.current_contact
            heard = presence.get(r.attempt_pk) if started else None
            if heard is not None and heard[0] > last_seen:
                last_seen, contact = heard
            seen = now - last_seen if started else None
            out.append(AttemptProgress(
                code_pk=r.code_pk, candidate=r.candidate, form_index=r.form_index,
                attempt_no=r.attempt_no, attempt_pk=r.attempt_pk,
                status=r.status if started else "not_started", closed_reason=r.closed_reason,
                decisions=r.head_seq or 0, current_contact=contact if active else None,
                time_left_s=(r.limit_s - self._now_s(r, now)) if active else None,
                last_seen_s=None if seen is None else round(seen, 1),
                connected=bool(active and seen is not None and seen < CONNECTED_S),
                score=None if r.score is None else float(r.score),
                passed=None if r.passed is None else bool(r.passed),
            ))  # fmt: skip
        return out

    def results(self, exam_pk: int) -> list[dict[str, Any]]:
        """The signed results of the exam's graded attempts, oldest first."""
        from sqlalchemy import select

        from sandbox.server.schema import attempts, grades

        q = (select(grades.c.result).select_from(grades.join(attempts,
             attempts.c.pk == grades.c.attempt_pk)).where(attempts.c.exam_pk == exam_pk)
             .order_by(attempts.c.pk))  # fmt: skip
        with self.engine.connect() as conn:
            return [dict(json.loads(r)) for r in conn.execute(q).scalars()]

    def events(self, exam_pk: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
        from sqlalchemy import select

        from sandbox.server.schema import events

        q = select(events).order_by(events.c.pk.desc()).limit(limit)
        if exam_pk is not None:
            q = q.where(events.c.exam_pk == exam_pk)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q).all()]

    def attempt_count(self) -> int:
        from sqlalchemy import func, select

        from sandbox.server.schema import attempts

        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(attempts)).scalar_one())

    # -- audit -------------------------------------------------------------------------------
    def audit(self, attempt_pk: int | None = None) -> list[AuditFinding]:
        """Everything in the database that is not what the server wrote: a journal entry
        edited, deleted, inserted or reordered (hash chain + the anchor on the attempt row), a
        stored result altered (its signature), a grade's columns that disagree with the signed
        result, a result whose journal block is not the stored journal."""
        from sqlalchemy import select

        from sandbox.exam.signing import verify_document
        from sandbox.server.schema import attempts, grades

        q = select(attempts).order_by(attempts.c.pk)
        if attempt_pk is not None:
            q = q.where(attempts.c.pk == attempt_pk)
        public = self._key.public_key()
        out: list[AuditFinding] = []
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
            for row in rows:

                def add(kind: str, message: str, row: Any = row) -> None:
                    out.append(AuditFinding(row.pk, row.candidate, kind, message))

                entries = self._entries(conn, row.pk)
                anchor = f"{row.head_seq}:{row.head_hash}"
                for f in chain.audit(entries, anchor=anchor):
                    add("journal", f.message)
                g = conn.execute(select(grades).where(grades.c.attempt_pk == row.pk)).first()
                if g is None:
                    if row.status == "finished":
                        add("status", "the attempt is finished but has no grade")
                    continue
                try:
                    doc = json.loads(g.result)
                except ValueError:
                    add("grade", "the stored result is not JSON")
                    continue
                check = verify_document(doc, public)
                if not check.ok:
                    detail = "; ".join(check.changes) if check.changes else check.message
                    add("signature", f"the stored result was altered: {detail}")
                    continue
                if float(g.score) != float(doc["score"]) or bool(g.passed) != bool(doc["passed"]):
                    add("grade", f"the grade row says score {g.score} passed {bool(g.passed)}; "
                                 f"the signed result says {doc['score']} {doc['passed']}")  # fmt: skip
                if doc.get("journal", {}).get("head") != anchor:
                    add("anchor", f"the attempt's journal end {anchor} is not the graded one "
                                  f"{doc.get('journal', {}).get('head')}")  # fmt: skip
                mismatch = chain.check_against_result(entries, doc)
                if mismatch is not None:
                    add("result", mismatch.message)
                if doc.get("attempt", {}).get("id") != row.pk:
                    add("result", "the signed result belongs to another attempt")
        return out


def default_keys_dir(url: str) -> Path:
    """`<db file>.keys/` next to a SQLite database, else ~/.local/share/shapan/server-keys."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        db = Path(parsed.database).expanduser().resolve()
        return db.with_name(db.name + ".keys")
    return Path.home() / ".local" / "share" / "shapan" / "server-keys"
