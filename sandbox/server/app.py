"""The Starlette app of `shapan serve`: the candidate JSON API and the admin pages.

Why this shape (docs/exam-server.md):
- the app holds no state that matters: every read and write goes through `ExamStore` (called in
  a worker thread, so a slow commit never stalls other desks), which is what lets several server
  processes share one PostgreSQL;
- a bearer token names exactly one attempt and every candidate route works only on that attempt,
  so a code can never read or write another candidate's journal; there is no route that accepts
  a result (results are only computed by the store's replay of the journal);
- bodies are bounded and validated before the store sees them, and every error — a bad body, a
  refused decision, a crash — is one line in zh-CN and en, never a traceback;
- the admin pages are server-rendered (Jinja2, autoescape) behind an HttpOnly SameSite=Strict
  session cookie, every form carries a CSRF token, and the only script is a static file (the
  Content-Security-Policy allows nothing inline).
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hmac
import io
import json
import logging
import math
import re
import secrets
import time
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import escape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from sandbox.exam.errors import JournalError
from sandbox.exam.model import Exam
from sandbox.fileio import csv_cell
from sandbox.kpi_catalogue import duration_text
from sandbox.server import i18n
from sandbox.server.i18n import LANG_COOKIE, pick, tr, words
from sandbox.server.store import ExamStore, NotFound, PublishedExam, StoreError, UnknownCode

log = logging.getLogger("shapan.server")

PAGES = Path(__file__).resolve().parent / "pages"
#: Largest candidate API body (a decision is ~100 bytes).
API_BODY_LIMIT = 16 * 1024
#: Largest admin form body (a textarea of a few hundred candidate names).
FORM_BODY_LIMIT = 256 * 1024
MIN_SECRET = 8
MAX_NAME = 200
MAX_CANDIDATES = 500
#: A heartbeat younger than this (wall seconds) shows the desk as connected.
CONNECTED_S = 10.0
SESSION_COOKIE = "shapan_admin"
CSRF_COOKIE = "shapan_csrf"
#: Wrong secrets allowed per client address per minute before logins are refused for a while.
LOGIN_FAILURES = 5
LOGIN_WINDOW_S = 60.0

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: The result and report pages (sandbox.exam.result_page, admin_report) are self-contained HTML
#: documents with their own inline style and embedded font; they get no script at all.
CSP_RESULT = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

T = TypeVar("T")


class ApiError(Exception):
    """An answer of the candidate API other than 200: status, bilingual words, extra fields."""

    def __init__(self, status: int, error: dict[str, str], **extra: Any) -> None:
        super().__init__(error["en"])
        self.status = status
        self.error = error
        self.extra = extra

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse(
            {"error": self.error, **self.extra}, status_code=self.status, headers=headers
        )


class PageError(Exception):
    """An admin page answer other than 200, shown as a page in the visitor's language."""

    def __init__(self, status: int, key: str, **fill: Any) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.fill = fill


# --- small helpers ----------------------------------------------------------------------------


def field(obj: Any, name: str, default: Any = None) -> Any:
    """`obj.name` or `obj[name]`: the store's views are dataclasses; results are dicts."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def stamp(epoch: Any) -> str:
    if not isinstance(epoch, (int, float)):
        return "—"
    return datetime.fromtimestamp(float(epoch), UTC).strftime("%Y-%m-%d %H:%M UTC")


_CONTACT_RE = re.compile(r"-(\d+)$")


def contact_k(contact_id: Any) -> int | None:
    """The position of a contact in its form (`trainee-003` -> 3)."""
    if not isinstance(contact_id, str):
        return None
    m = _CONTACT_RE.search(contact_id)
    return int(m.group(1)) if m else None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


# --- the candidate API: bodies ---------------------------------------------------------------


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (413) past `limit` bytes without reading the rest."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        raise ApiError(413, words("body_too_large", limit=limit))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, words("body_too_large", limit=limit))
        chunks.append(chunk)
    return b"".join(chunks)


def _bad(name: str, en: str, zh: str) -> ApiError:
    return ApiError(400, words("bad_field", field=name, en=en, zh=zh))


def _str(body: dict[str, Any], name: str, *, nullable: bool = False, max_len: int = 200) -> Any:
    value = body.get(name)
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not value or len(value) > max_len:
        raise _bad(
            name,
            f"must be a non-empty string of at most {max_len} characters"
            + (" or null" if nullable else ""),
            f"应为不超过 {max_len} 个字符的非空字符串" + ("或 null" if nullable else ""),
        )
    return value


def _int(body: dict[str, Any], name: str, lo: int, hi: int) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise _bad(name, f"must be an integer in {lo}..{hi}", f"应为 {lo}..{hi} 之间的整数")
    return value


def _num(body: dict[str, Any], name: str, lo: float, hi: float) -> float:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        value = math.nan
    if not math.isfinite(value) or not lo <= value <= hi:
        raise _bad(
            name, f"must be a finite number in {lo:g}..{hi:g}", f"应为 {lo:g}..{hi:g} 之间的有限数"
        )
    return float(value)


async def json_body(request: Request, fields: tuple[str, ...]) -> dict[str, Any]:
    """A JSON object body with only `fields` (each checked by its handler)."""
    raw = await read_body(request, API_BODY_LIMIT)
    try:
        body = json.loads(raw.decode("utf-8") if raw else "{}", parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(400, words("bad_json")) from None
    if not isinstance(body, dict):
        raise ApiError(400, words("bad_json"))
    for name in body:
        if name not in fields:
            raise ApiError(400, words("unknown_field", field=json.dumps(name)[:60]))
    return body


# --- the app ---------------------------------------------------------------------------------


class ServerApp:
    """The routes of one server process over one store."""

    def __init__(self, store: ExamStore, clock_speed: float, overdue_every_s: float) -> None:
        self.store = store
        #: the competition routes (sandbox.server.league_app), set by `create_app`
        self.league: Any = None
        self.clock_speed = clock_speed
        self.overdue_every_s = overdue_every_s
        self.failures: dict[str, list[float]] = {}
        self._shipped: list[tuple[str, dict[str, str]]] | None = None
        self.jinja = Environment(
            loader=FileSystemLoader(str(PAGES)),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.jinja.filters["mmss"] = duration_text
        self.jinja.filters["stamp"] = stamp
        self.jinja.globals["pick"] = pick

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """A store call in a worker thread (the store is synchronous SQLAlchemy)."""
        return await run_in_threadpool(fn, *args, **kwargs)

    # --- background: attempts whose time ran out --------------------------------------------

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(self._close_overdue_forever())]
        if self.league is not None:
            tasks.append(asyncio.create_task(self.league.tick_forever(self.overdue_every_s)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _close_overdue_forever(self) -> None:
        while True:
            try:
                closed = await self.run(self.store.close_overdue)
                if closed:
                    log.info("closed and graded %d attempt(s) whose time ran out", closed)
            except Exception as err:  # the loop must survive a database hiccup
                log.error("closing overdue attempts failed (retrying): %s", _one_line(err))
            await asyncio.sleep(self.overdue_every_s)

    # --- candidate API ---------------------------------------------------------------------

    async def attempt_of(self, request: Request) -> int:
        """The one attempt the request's bearer token names (401 otherwise)."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or len(token) > 256:
            raise ApiError(401, words("no_token"))
        try:
            return await self.run(self.store.attempt_for_token, token)
        except UnknownCode:
            raise ApiError(401, words("no_token")) from None

    async def api_open(self, request: Request) -> Response:
        body = await json_body(request, ("code",))
        code = _str(body, "code", max_len=64)
        opened = await self.run(self.store.open_attempt, code, clock_speed=self.clock_speed)
        return JSONResponse({"token": opened.token, **opened.answer})

    async def api_decision(self, request: Request) -> Response:
        attempt = await self.attempt_of(request)
        body = await json_body(request, ("seq", "t", "contact_id", "choice_id"))
        seq = _int(body, "seq", 1, 1_000_000)
        t = _num(body, "t", 0.0, 1e9)
        contact_id = _str(body, "contact_id")
        choice_id = _str(body, "choice_id")
        ack = await self.run(self.store.append_decision, attempt, seq, t, contact_id, choice_id)
        return JSONResponse(ack)

    async def api_heartbeat(self, request: Request) -> Response:
        attempt = await self.attempt_of(request)
        body = await json_body(request, ("contact_id",))
        contact_id = _str(body, "contact_id", nullable=True)
        return JSONResponse(await self.run(self.store.heartbeat, attempt, contact_id))

    async def api_finish(self, request: Request) -> Response:
        attempt = await self.attempt_of(request)
        await json_body(request, ())
        return JSONResponse({"result": await self.run(self.store.finish, attempt)})

    async def api_result(self, request: Request) -> Response:
        attempt = await self.attempt_of(request)
        result = await self.run(self.store.result, attempt)
        if result is None:
            raise ApiError(409, words("still_active"))
        return JSONResponse({"result": result})

    async def api_public_key(self, _request: Request) -> Response:
        pem = await self.run(self.store.public_key_pem)
        return PlainTextResponse(pem, media_type="application/x-pem-file")

    # --- admin: sessions, CSRF, language -----------------------------------------------------

    def lang_of(self, request: Request) -> str:
        return i18n.choose_lang(
            request.cookies.get(LANG_COOKIE), request.headers.get("accept-language")
        )

    async def is_admin(self, request: Request) -> bool:
        token = request.cookies.get(SESSION_COOKIE)
        if not token or len(token) > 256:
            return False
        return await self.run(self.store.admin_session_ok, token)

    async def require_admin(self, request: Request) -> None:
        if not await self.is_admin(request):
            raise _Redirect("/admin/login")

    def csrf_token(self, request: Request) -> str:
        token = request.cookies.get(CSRF_COOKIE)
        if not token or not re.fullmatch(r"[A-Za-z0-9_\-]{32,64}", token):
            token = getattr(request.state, "new_csrf", None) or secrets.token_urlsafe(32)
            request.state.new_csrf = token
        return token

    async def form(self, request: Request) -> dict[str, str]:
        """An urlencoded admin form, bounded, its CSRF token and origin checked."""
        try:
            raw = await read_body(request, FORM_BODY_LIMIT)
        except ApiError:
            raise PageError(413, "body_too_large", limit=FORM_BODY_LIMIT) from None
        try:
            pairs = urllib.parse.parse_qsl(
                raw.decode("utf-8"), keep_blank_values=True, max_num_fields=50
            )
        except (UnicodeDecodeError, ValueError):
            raise PageError(400, "csrf") from None
        data = dict(pairs)
        cookie = request.cookies.get(CSRF_COOKIE, "")
        sent = data.get("csrf", "")
        if not cookie or not hmac.compare_digest(cookie.encode(), sent.encode()):
            raise PageError(403, "csrf")
        origin = request.headers.get("origin")
        if origin and origin != "null":
            host = request.headers.get("host", "")
            if urllib.parse.urlsplit(origin).netloc != host:
                raise PageError(403, "csrf")
        return data

    def page(self, request: Request, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        lang = self.lang_of(request)
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")

        def t(key: str, **fill: Any) -> str:
            return tr(key, lang, **fill)

        ctx.setdefault("logged_in", True)
        html = self.jinja.get_template(template).render(
            lang=lang,
            t=t,
            csrf=self.csrf_token(request),
            here=here,
            other_lang="en" if lang == "zh-CN" else "zh-CN",
            **ctx,
        )
        response = HTMLResponse(html, status_code=status)
        self.secure_headers(response, CSP)
        self.set_csrf_cookie(request, response)
        return response

    @staticmethod
    def secure_headers(response: Response, csp: str) -> None:
        response.headers["Content-Security-Policy"] = csp
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-store"

    @staticmethod
    def set_csrf_cookie(request: Request, response: Response) -> None:
        new = getattr(request.state, "new_csrf", None)
        if new:
            response.set_cookie(
                CSRF_COOKIE, new, httponly=True, samesite="strict",
                secure=request.url.scheme == "https", path="/",
            )  # fmt: skip

    # --- admin: setup, login, logout, language ----------------------------------------------

    async def root(self, request: Request) -> Response:
        return RedirectResponse("/admin", status_code=303)

    async def no_icon(self, request: Request) -> Response:
        return Response(status_code=204)

    async def admin_home(self, request: Request) -> Response:
        if not await self.run(self.store.admin_secret_is_set):
            return RedirectResponse("/admin/setup", status_code=303)
        await self.require_admin(request)
        return RedirectResponse("/admin/exams", status_code=303)

    async def setup(self, request: Request) -> Response:
        if await self.run(self.store.admin_secret_is_set):
            return RedirectResponse("/admin/login", status_code=303)
        error: Any = None
        if request.method == "POST":
            data = await self.form(request)
            secret = data.get("secret", "")
            if len(secret) < MIN_SECRET:
                error = ("secret_short", {"n": MIN_SECRET})
            elif secret != data.get("secret2", ""):
                error = ("secret_mismatch", {})
            else:
                await self.run(self.store.set_admin_secret, secret)
                return await self._start_session(request)
        return self.page(
            request, "setup.html", status=400 if error else 200, error=error, logged_in=False,
            min_secret=MIN_SECRET,
        )  # fmt: skip

    async def login(self, request: Request) -> Response:
        if not await self.run(self.store.admin_secret_is_set):
            return RedirectResponse("/admin/setup", status_code=303)
        error: Any = None
        status = 200
        if request.method == "POST":
            data = await self.form(request)
            who = request.client.host if request.client else "?"
            now = time.monotonic()
            recent = [t for t in self.failures.get(who, []) if now - t < LOGIN_WINDOW_S]
            self.failures[who] = recent
            if len(recent) >= LOGIN_FAILURES:
                error, status = ("login_throttled", {}), 429
            elif await self.run(self.store.check_admin_secret, data.get("secret", "")):
                self.failures.pop(who, None)
                return await self._start_session(request)
            else:
                recent.append(now)
                error, status = ("login_wrong", {}), 401
        elif await self.is_admin(request):
            return RedirectResponse("/admin/exams", status_code=303)
        return self.page(request, "login.html", status=status, error=error, logged_in=False)

    async def _start_session(self, request: Request) -> Response:
        token = await self.run(self.store.new_admin_session)
        response = RedirectResponse("/admin/exams", status_code=303)
        secure = request.url.scheme == "https"
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict",
                            secure=secure, path="/")  # fmt: skip
        # a fresh CSRF token with the fresh session
        response.set_cookie(CSRF_COOKIE, secrets.token_urlsafe(32), httponly=True,
                            samesite="strict", secure=secure, path="/")  # fmt: skip
        return response

    async def logout(self, request: Request) -> Response:
        await self.form(request)
        token = request.cookies.get(SESSION_COOKIE)
        if token:
            await self.run(self.store.end_admin_session, token)
        response = RedirectResponse("/admin/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def set_lang(self, request: Request) -> Response:
        lang = request.path_params["lang"]
        target = request.query_params.get("next", "/admin")
        if not target.startswith("/") or target.startswith("//") or "\\" in target:
            target = "/admin"
        response = RedirectResponse(target, status_code=303)
        if lang in i18n.LANGS:
            response.set_cookie(LANG_COOKIE, lang, samesite="lax", path="/", max_age=31536000)
        return response

    # --- admin: exams ------------------------------------------------------------------------

    def shipped(self) -> list[tuple[str, dict[str, str]]]:
        """The shipped exams with their titles (loaded once: the dropdown shows names)."""
        if self._shipped is None:
            from sandbox.exam import ExamError, load_exam, shipped_exams

            out = []
            for name in shipped_exams():
                try:
                    title = dict(load_exam(name).title)
                except ExamError:
                    title = {"zh-CN": name, "en": name}
                out.append((name, title))
            self._shipped = out
        return self._shipped

    async def exam_view(self, exam: PublishedExam) -> dict[str, Any]:
        codes = await self.run(self.store.codes, exam.pk)
        return {
            "pk": exam.pk, "exam_id": exam.exam_id, "title": exam.title,
            "version": exam.version, "forms": exam.forms, "customers": exam.customers,
            "limit_s": exam.limit_s, "published_at": exam.published_at, "closed": exam.closed,
            "candidates": len(codes), "ref": exam.ref,
        }  # fmt: skip

    async def exams(self, request: Request) -> Response:
        await self.require_admin(request)
        error: Any = None
        if request.method == "POST":
            data = await self.form(request)
            ref = data.get("path", "").strip() or data.get("shipped", "").strip()
            if not ref:
                error = ("publish_none", {})
            else:
                try:
                    published = await self.run(self.store.publish, ref)
                except StoreError as err:
                    error = ("publish_failed", {"why": err.message[self.lang_of(request)]})
                else:
                    return RedirectResponse(f"/admin/exams/{published.pk}", status_code=303)
        exams = [await self.exam_view(e) for e in await self.run(self.store.exams)]
        shipped = await self.run(self.shipped)
        return self.page(
            request, "exams.html", status=400 if error else 200, exams=exams,
            shipped=shipped, error=error,
        )  # fmt: skip

    async def published(self, pk: int) -> PublishedExam:
        try:
            return await self.run(self.store.exam, pk)
        except NotFound:
            raise PageError(404, "not_found_exam") from None

    async def loaded(self, pk: int) -> Exam | None:
        """The exam as loaded (form names, instructions); None when its file changed."""
        try:
            return await self.run(self.store.loaded_exam, pk)
        except StoreError:
            return None

    async def exam_page(self, request: Request, error: Any = None, names: str = "") -> Response:
        await self.require_admin(request)
        pk = request.path_params["pk"]
        exam = await self.published(pk)
        return self.page(
            request, "exam.html", status=400 if error else 200, exam=await self.exam_view(exam),
            rows=await self.progress_rows(request, exam), results=await self.result_rows(pk),
            error=error, names=names,
        )  # fmt: skip

    async def issue(self, request: Request) -> Response:
        await self.require_admin(request)
        pk = request.path_params["pk"]
        exam = await self.published(pk)
        data = await self.form(request)
        text = data.get("candidates", "")
        names = [n.strip() for n in text.splitlines() if n.strip()]
        error: Any = None
        if not names:
            error = ("issue_none", {})
        elif len(names) > MAX_CANDIDATES:
            error = ("issue_many", {"n": MAX_CANDIDATES})
        elif any(len(n) > MAX_NAME for n in names):
            error = ("issue_long", {"n": MAX_NAME})
        else:
            try:
                issued = await self.run(self.store.issue_codes, pk, names)
            except StoreError as err:
                error = ("issue_failed", {"why": err.message[self.lang_of(request)]})
        if error is not None:
            return await self.exam_page(request, error=error, names=text)
        loaded = await self.loaded(pk)
        cards = [
            {"candidate": c.candidate, "code": c.code, "form": form_name(loaded, c.form_index),
             "attempt_no": c.attempt_no}
            for c in issued
        ]  # fmt: skip
        return self.page(
            request, "codes.html", exam=await self.exam_view(exam), cards=cards, lang_switch=False,
            instructions=dict(loaded.instructions) if loaded else {},
            server_url=str(request.base_url).rstrip("/"),
        )  # fmt: skip

    async def close_exam(self, request: Request) -> Response:
        await self.require_admin(request)
        pk = request.path_params["pk"]
        await self.published(pk)
        await self.form(request)
        await self.run(self.store.close_exam, pk)
        return RedirectResponse(f"/admin/exams/{pk}", status_code=303)

    # --- admin: live progress ----------------------------------------------------------------

    async def progress_rows(self, request: Request, exam: PublishedExam) -> list[dict[str, Any]]:
        lang = self.lang_of(request)
        loaded = await self.loaded(exam.pk)
        rows = []
        for p in await self.run(self.store.progress, exam.pk):
            status = p.status
            if status == "finished" and p.closed_reason == "time_up":
                status_key = "status_expired"
            else:
                status_key = f"status_{status}"
            active = status == "active"
            k = contact_k(p.current_contact)
            if not active:
                connection = "—"
            elif p.connected:
                connection = tr("connected", lang)
            else:
                connection = tr("disconnected", lang)
            rows.append(
                {
                    "key": str(p.code_pk),
                    "attempt": p.attempt_pk,
                    "candidate": p.candidate,
                    "form": form_name(loaded, p.form_index),
                    "status": status,
                    "status_text": tr(status_key, lang) if status_key in i18n.TEXT else status,
                    "decisions": p.decisions,
                    "contact": (
                        tr("contact_k", lang, k=k, n=exam.customers)
                        if active and k is not None
                        else "—"
                    ),
                    "time_left": duration_text(p.time_left_s) if active else "—",
                    "connected": bool(p.connected),
                    "connection": connection,
                    "passed": p.passed,
                    "score": p.score,
                }
            )
        return rows

    async def progress_json(self, request: Request) -> Response:
        if not await self.is_admin(request):
            raise ApiError(401, words("no_session"))
        pk = request.path_params["pk"]
        try:
            exam = await self.run(self.store.exam, pk)
        except NotFound:
            raise ApiError(404, words("not_found_exam")) from None
        rows = await self.progress_rows(request, exam)
        response = JSONResponse({"rows": rows, "updated": datetime.now(UTC).strftime("%H:%M:%S")})
        response.headers["Cache-Control"] = "no-store"
        return response

    # --- admin: results ----------------------------------------------------------------------

    async def result_rows(self, pk: int) -> list[dict[str, Any]]:
        rows = []
        for doc in await self.run(self.store.results, pk):
            attempt = doc.get("attempt") or {}
            rows.append(
                {
                    "attempt": attempt.get("id"),
                    "candidate": str(attempt.get("candidate") or ""),
                    "form": str((doc.get("form") or {}).get("id", "—")),
                    "passed": bool(doc.get("passed")),
                    "score": doc.get("score"),
                    "cut": doc.get("cut"),
                    "contacts_passed": doc.get("contacts_passed"),
                    "contacts_required": doc.get("contacts_required"),
                    "critical": len(doc.get("critical_errors") or []),
                    "reasons": doc.get("reasons") or [],
                    "time_used_s": attempt.get("time_used_s"),
                    "closed": attempt.get("closed"),
                }
            )
        return rows

    async def results_csv(self, request: Request) -> Response:
        await self.require_admin(request)
        pk = request.path_params["pk"]
        exam = await self.published(pk)
        lang = self.lang_of(request)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [tr(k, lang) for k in ("candidate", "form", "result", "score", "cut",
                                   "contacts_passed", "critical_errors", "time_used", "reasons")]
        )  # fmt: skip
        for r in await self.result_rows(pk):
            writer.writerow(
                [
                    csv_cell(r["candidate"]),
                    csv_cell(r["form"]),
                    tr("pass" if r["passed"] else "fail", lang),
                    r["score"],
                    r["cut"],
                    f"{r['contacts_passed']}/{r['contacts_required']}",
                    r["critical"],
                    duration_text(r["time_used_s"]),
                    csv_cell("; ".join(pick(x, lang) for x in r["reasons"])),
                ]
            )
        return Response(
            "\ufeff" + out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers=_download(f"{exam.exam_id}-v{exam.version}-results.csv"),
        )

    async def results_json(self, request: Request) -> Response:
        await self.require_admin(request)
        pk = request.path_params["pk"]
        exam = await self.published(pk)
        docs = await self.run(self.store.results, pk)
        return JSONResponse(
            {"exam": {"id": exam.exam_id, "version": exam.version, "title": exam.title,
                      "content_hash": exam.content_hash},
             "public_key": await self.run(self.store.public_key_pem),
             "results": docs},
            headers=_download(f"{exam.exam_id}-v{exam.version}-results.json"),
        )  # fmt: skip

    async def attempt_info(self, aid: int) -> tuple[PublishedExam, Any] | None:
        """The attempt's exam and its admin view (None when there is no such attempt)."""
        try:
            view = await self.run(self.store.attempt, aid)
            return await self.run(self.store.exam, view.exam_pk), view
        except NotFound:
            return None

    async def attempt_page(self, request: Request) -> Response:
        await self.require_admin(request)
        aid = request.path_params["aid"]
        lang = self.lang_of(request)
        found = await self.attempt_info(aid)
        if found is None:
            raise PageError(404, "not_found_attempt")
        exam, progress = found
        result = await self.run(self.store.result, aid)
        if result is None:
            return self.page(
                request, "result.html", result=None, candidate=progress.candidate,
                exam_pk=exam.pk,
            )  # fmt: skip
        from sandbox.exam.result_page import render_result_html, replay_decisions

        loaded = await self.loaded(exam.pk)
        decisions = None
        if loaded is not None:
            entries = await self.run(self.store.journal, aid)
            journal = [[e["t"], e["contact_id"], e["choice_id"]] for e in entries]
            try:
                decisions = await self.run(replay_decisions, loaded, progress.form_index, journal)
            except JournalError as err:
                log.error("attempt %s: its journal does not replay: %s", aid, _one_line(err))
        html = await self.run(
            render_result_html, result, lang, candidate=progress.candidate,
            decisions=decisions, exam=loaded,
        )  # fmt: skip
        html = _with_bar(html, lang, exam.pk, request.url.path)
        response = HTMLResponse(html)
        self.secure_headers(response, CSP_RESULT)
        return response

    async def report(self, request: Request) -> Response:
        await self.require_admin(request)
        pk = request.path_params["pk"]
        exam = await self.published(pk)
        lang = self.lang_of(request)
        docs = await self.run(self.store.results, pk)
        journals = []
        for doc in docs:
            aid = (doc.get("attempt") or {}).get("id")
            journals.append(
                await self.run(self.store.journal, aid) if isinstance(aid, int) else None
            )
        from sandbox.exam.admin_report import exam_statistics, render_admin_report_html

        try:
            stats = await self.run(
                lambda: exam_statistics(docs, exam=self.store_exam(pk), journals=journals)
            )
        except ValueError as err:
            return self.page(
                request, "report.html", status=500, exam=await self.exam_view(exam),
                error=("report_failed", {"why": _one_line(err)}), n=len(docs),
            )  # fmt: skip
        html = _with_bar(render_admin_report_html(stats, lang), lang, pk, request.url.path)
        response = HTMLResponse(html)
        self.secure_headers(response, CSP_RESULT)
        return response

    def store_exam(self, pk: int) -> Exam | None:
        """The loaded exam, in a worker thread already (None when its file changed)."""
        try:
            return self.store.loaded_exam(pk)
        except StoreError:
            return None

    # --- errors ------------------------------------------------------------------------------

    @staticmethod
    def is_api(request: Request) -> bool:
        path = request.url.path
        return path.startswith("/api/") or path.endswith(".json")

    async def on_api_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return exc.response()

    async def on_store_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StoreError)
        if self.is_api(request):
            return JSONResponse(exc.answer(), status_code=exc.status)
        return self.page(
            request, "error.html", status=exc.status,
            message=exc.message[self.lang_of(request)], logged_in=await self.is_admin(request),
        )  # fmt: skip

    async def on_page_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return self.page(
            request, "error.html", status=exc.status,
            message=tr(exc.key, self.lang_of(request), **exc.fill),
            logged_in=await self.is_admin(request),
        )  # fmt: skip

    async def on_redirect(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, _Redirect)
        return RedirectResponse(exc.target, status_code=303)

    async def on_http(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = exc.status_code
        key = {404: "not_found", 405: "method"}.get(code, "bad_request")
        if self.is_api(request):
            return JSONResponse({"error": words(key)}, status_code=code)
        return self.page(
            request, "error.html", status=code, message=tr(key, self.lang_of(request)),
            logged_in=False,
        )  # fmt: skip

    async def on_crash(self, request: Request, exc: Exception) -> Response:
        unavailable = type(exc).__name__ in ("OperationalError", "DisconnectionError")
        if unavailable:
            log.error("database unavailable: %s", _one_line(exc))
        else:
            log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        key = "unavailable" if unavailable else "server_error"
        status = 503 if unavailable else 500
        if self.is_api(request):
            return JSONResponse({"error": words(key)}, status_code=status)
        return PlainTextResponse(f"{tr(key, 'zh-CN')} / {tr(key, 'en')}", status_code=status)


def form_name(exam: Exam | None, form_index: int) -> str:
    """A form's name as the exam file gives it (A, B, ...)."""
    if exam is not None and 0 <= form_index < len(exam.forms):
        return exam.forms[form_index].id
    return chr(ord("A") + form_index) if 0 <= form_index < 26 else str(form_index + 1)


def _download(name: str) -> dict[str, str]:
    safe = re.sub(r"[^A-Za-z0-9._\-]", "_", name)
    return {"Content-Disposition": f'attachment; filename="{safe}"', "Cache-Control": "no-store"}


def _with_bar(html: str, lang: str, exam_pk: int, here: str) -> str:
    """The result page (a self-contained document) with a small bar back to the exam and the
    language switch; it is written in the page's own style, with no script."""
    other = "en" if lang == "zh-CN" else "zh-CN"
    back = tr("back_to_exam", lang)
    link = "color:#fff !important;text-decoration:none"
    bar = (
        '<nav class="shapan-admin-bar" style="font:14px system-ui,sans-serif;padding:6px 12px;'
        'background:#14213d;">'
        f'<a style="{link};margin-right:16px" href="/admin/exams/{exam_pk}">{escape(back)}</a>'
        f'<a style="{link}" href="/admin/lang/{other}?next={urllib.parse.quote(here)}">'
        f"{escape(tr('lang_other', lang))}</a></nav>"
    )
    head, sep, tail = html.partition("<body")
    if not sep:
        return bar + html
    open_end = tail.index(">") + 1
    return head + sep + tail[:open_end] + bar + tail[open_end:]


class _Redirect(Exception):
    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


def _one_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return " ".join(text.split())[:400]


def create_app(
    store: ExamStore, *, clock_speed: float = 1.0, overdue_every_s: float = 1.0
) -> Starlette:
    """The ASGI app over `store` (an `ExamStore`). `clock_speed` is the speed attempts opened
    by this process run at (recorded in each attempt by the store); a background task closes
    and grades attempts whose time ran out every `overdue_every_s` seconds."""
    from sandbox.server.league_app import LeagueApi
    from sandbox.server.league_store import LeagueStore

    s = ServerApp(store, clock_speed, overdue_every_s)
    s.league = LeagueApi(s, LeagueStore(store.engine, clock_speed=clock_speed))
    from sandbox.server.league_pages import LeaguePages

    routes = [
        *s.league.routes(),
        *LeaguePages(s, s.league).routes(),
        Route("/", s.root),
        Route("/favicon.ico", s.no_icon),
        Route("/api/v1/attempts/open", s.api_open, methods=["POST"]),
        Route("/api/v1/attempts/decisions", s.api_decision, methods=["POST"]),
        Route("/api/v1/attempts/heartbeat", s.api_heartbeat, methods=["POST"]),
        Route("/api/v1/attempts/finish", s.api_finish, methods=["POST"]),
        Route("/api/v1/attempts/result", s.api_result, methods=["GET"]),
        Route("/api/v1/public-key", s.api_public_key, methods=["GET"]),
        Route("/admin", s.admin_home),
        Route("/admin/setup", s.setup, methods=["GET", "POST"]),
        Route("/admin/login", s.login, methods=["GET", "POST"]),
        Route("/admin/logout", s.logout, methods=["POST"]),
        Route("/admin/lang/{lang}", s.set_lang),
        Route("/admin/exams", s.exams, methods=["GET", "POST"]),
        Route("/admin/exams/{pk:int}", s.exam_page),
        Route("/admin/exams/{pk:int}/codes", s.issue, methods=["POST"]),
        Route("/admin/exams/{pk:int}/close", s.close_exam, methods=["POST"]),
        Route("/admin/exams/{pk:int}/progress.json", s.progress_json),
        Route("/admin/exams/{pk:int}/results.csv", s.results_csv),
        Route("/admin/exams/{pk:int}/results.json", s.results_json),
        Route("/admin/exams/{pk:int}/report", s.report),
        Route("/admin/attempts/{aid:int}", s.attempt_page),
        Mount("/static", StaticFiles(directory=str(PAGES / "static")), name="static"),
    ]
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        ApiError: s.on_api_error,
        StoreError: s.on_store_error,
        PageError: s.on_page_error,
        _Redirect: s.on_redirect,
        HTTPException: s.on_http,
        Exception: s.on_crash,
    }
    app = Starlette(routes=routes, exception_handlers=handlers, lifespan=s.lifespan)
    app.state.server = s
    return app


__all__ = ["API_BODY_LIMIT", "ApiError", "create_app", "csv_cell"]
