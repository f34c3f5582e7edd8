"""The competition routes of `shapan serve`: the desks' JSON API, the trainer's JSON controls,
the board and its live channel (server-sent events). The trainer's and projector's pages are
in `league_pages.py`; everything reads and writes through `LeagueStore`.

Authorisation, per request: a desk's bearer token names exactly one seat of one team, and
every desk route works only on that seat (a team code cannot act for another team); the
trainer's routes and the board need the admin session (the projector runs on the trainer's
computer), and every trainer action that changes something is a POST with the CSRF token.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from sandbox.server.i18n import words
from sandbox.server.store import UnknownCode

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.server.app import ServerApp
    from sandbox.server.league_store import LeagueStore

log = logging.getLogger("shapan.server")

#: How often (s) the live channel looks for a change, and the least time between two pushes.
STREAM_POLL_S = 0.2
STREAM_MIN_GAP_S = 0.5
#: A comment line keeps proxies from closing a quiet stream.
STREAM_KEEPALIVE_S = 15.0


def _ms(started: float) -> float:
    """Milliseconds the server took (from the body read to the answer), for load tests."""
    return round((time.perf_counter() - started) * 1000.0, 3)


class LeagueApi:
    """Routes over one `LeagueStore` (the app's `ServerApp` gives threads, errors, admin)."""

    def __init__(self, app: ServerApp, league: LeagueStore) -> None:
        self.app = app
        self.league = league
        #: (competition pk, view) -> (the store's board, its JSON bytes)
        self._boards: dict[tuple[int, str], tuple[Any, bytes]] = {}

    # -- helpers -----------------------------------------------------------------------------
    async def desk_of(self, request: Request) -> int:
        from sandbox.server.app import ApiError

        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or len(token) > 256:
            raise ApiError(401, words("no_token"))
        try:
            return await self.app.run(self.league.desk_for_token, token)
        except UnknownCode:
            raise ApiError(401, words("no_token")) from None

    async def admin(self, request: Request) -> None:
        from sandbox.server.app import ApiError

        if not await self.app.is_admin(request):
            raise ApiError(401, {"en": "sign in as the trainer", "zh-CN": "请以培训师身份登录"})

    async def board_bytes(self, pk: int, view: str) -> bytes:
        """The board as JSON bytes, serialised once per board the store computes."""
        board = await self.app.run(self.league.board, pk, view=view)
        cached = self._boards.get((pk, view))
        if cached is not None and cached[0] is board:
            return cached[1]
        data = json.dumps(board, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self._boards[(pk, view)] = (board, data)
        return data

    # -- desks -------------------------------------------------------------------------------
    async def join(self, request: Request) -> Response:
        from sandbox.server.app import _int, _str, json_body

        body = await json_body(request, ("code", "member"))
        code = _str(body, "code", max_len=64)
        member = _int(body, "member", 1, 8) if body.get("member") is not None else None
        return JSONResponse(await self.app.run(self.league.join, code, member))

    async def signup(self, request: Request) -> Response:
        from sandbox.server.app import _str, json_body

        body = await json_body(request, ("join_code", "name"))
        answer = await self.app.run(
            self.league.signup, _str(body, "join_code", max_len=64), _str(body, "name")
        )
        return JSONResponse(answer)

    async def state(self, request: Request) -> Response:
        desk = await self.desk_of(request)
        return JSONResponse(await self.app.run(self.league.desk_state, desk))

    async def play(self, request: Request) -> Response:
        from sandbox.server.app import json_body

        desk = await self.desk_of(request)
        await json_body(request, ())
        return JSONResponse(await self.app.run(self.league.start_play, desk))

    async def claim(self, request: Request) -> Response:
        from sandbox.server.app import _int, _num, json_body

        desk = await self.desk_of(request)
        body = await json_body(request, ("n", "t"))
        n, t = _int(body, "n", 1, 100_000), _num(body, "t", 0.0, 1e9)
        started = time.perf_counter()
        answer = await self.app.run(self.league.claim, desk, n, t)
        return JSONResponse({**answer, "server_ms": _ms(started)})

    async def decision(self, request: Request) -> Response:
        from sandbox.server.app import _int, _num, _str, json_body

        desk = await self.desk_of(request)
        body = await json_body(request, ("seq", "t", "contact_id", "choice_id"))
        seq = _int(body, "seq", 1, 1_000_000)
        t = _num(body, "t", 0.0, 1e9)
        started = time.perf_counter()
        ack = await self.app.run(
            self.league.decide, desk, seq, t, _str(body, "contact_id"), _str(body, "choice_id")
        )
        return JSONResponse({**ack, "server_ms": _ms(started)})

    async def heartbeat(self, request: Request) -> Response:
        from sandbox.server.app import _str, json_body

        desk = await self.desk_of(request)
        body = await json_body(request, ("contact_id",))
        contact = _str(body, "contact_id", nullable=True)
        return JSONResponse(await self.app.run(self.league.heartbeat, desk, contact))

    # -- the trainer's controls (JSON; the pages post forms to the same store calls) -----------
    async def control(self, request: Request) -> Response:
        """`POST /api/v1/league/{pk}/control` `{"action": ..., "round": i, "seconds": s,
        "text": ..., "desk": pk}` with the admin cookie and the CSRF header."""
        from sandbox.server.app import ApiError, _int, _num, _str, json_body

        await self.admin(request)
        if request.headers.get("x-csrf-token", "") != self.app.csrf_token(request):
            raise ApiError(403, {"en": "the form expired; reload the page",
                                 "zh-CN": "表单已过期，请刷新页面"})  # fmt: skip
        pk = int(request.path_params["pk"])
        body = await json_body(request, ("action", "round", "seconds", "text", "desk"))
        action = _str(body, "action", max_len=32)
        lg = self.league
        if action in ("open", "close"):
            i = _int(body, "round", 0, 99)
            await self.app.run(lg.open_round if action == "open" else lg.close_round, pk, i)
        elif action == "extend":
            i = _int(body, "round", 0, 99)
            await self.app.run(lg.extend_round, pk, i, _num(body, "seconds", 1.0, 3600.0))
        elif action in ("pause", "resume", "freeze", "unfreeze"):
            await self.app.run(getattr(lg, action), pk)
        elif action == "announce":
            await self.app.run(lg.announce, pk, _str(body, "text", max_len=500))
        elif action in ("kick", "readmit"):
            await self.app.run(getattr(lg, action), _int(body, "desk", 1, 10**9))
        else:
            raise ApiError(400, {"en": f"unknown action {action!r}",
                                 "zh-CN": f"未知操作 {action!r}"})  # fmt: skip
        return JSONResponse({"ok": True, "version": lg.version(pk)})

    async def board(self, request: Request) -> Response:
        await self.admin(request)
        pk = int(request.path_params["pk"])
        view = "trainer" if request.query_params.get("view") == "trainer" else "public"
        return Response(await self.board_bytes(pk, view), media_type="application/json")

    async def export(self, request: Request) -> Response:
        await self.admin(request)
        pk = int(request.path_params["pk"])
        data = await self.app.run(self.league.export, pk)
        return JSONResponse(data, headers={
            "Content-Disposition": f'attachment; filename="competition-{pk}-journals.json"'})  # fmt: skip

    async def stream(self, request: Request) -> Response:
        """Server-sent events: `board` (the board JSON) whenever it changed, at most every
        0.5 s; `state` (round, clock, pause, freeze, announcement) with it."""
        await self.admin(request)
        pk = int(request.path_params["pk"])
        view = "trainer" if request.query_params.get("view") == "trainer" else "public"
        await self.app.run(self.league.competition, pk)  # 404 before the stream starts

        async def events() -> AsyncIterator[bytes]:
            sent = -1
            quiet = 0.0
            loop = asyncio.get_running_loop()
            last = 0.0
            while True:
                if await request.is_disconnected():
                    return
                version = self.league.version(pk)
                now = loop.time()
                if version != sent and now - last >= STREAM_MIN_GAP_S:
                    sent, last, quiet = version, now, 0.0
                    data = await self.board_bytes(pk, view)
                    state = await self.app.run(self.league.trainer_state, pk)
                    yield b"event: board\ndata: " + data + b"\n\n"
                    payload = json.dumps(state, ensure_ascii=False).encode("utf-8")
                    yield b"event: state\ndata: " + payload + b"\n\n"
                else:
                    quiet += STREAM_POLL_S
                    if quiet >= STREAM_KEEPALIVE_S:
                        quiet = 0.0
                        yield b": keep-alive\n\n"
                await asyncio.sleep(STREAM_POLL_S)

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(events(), media_type="text/event-stream", headers=headers)

    async def tick_forever(self, every_s: float) -> None:
        """Close rounds whose time is up and freeze the last round's board on time."""
        from sandbox.server.app import _one_line

        while True:
            try:
                await self.app.run(self.league.tick)
            except Exception as err:  # the loop must survive a database hiccup
                log.error("competition housekeeping failed (retrying): %s", _one_line(err))
            await asyncio.sleep(every_s)

    def routes(self) -> list[Route]:
        return [
            Route("/api/v1/league/join", self.join, methods=["POST"]),
            Route("/api/v1/league/signup", self.signup, methods=["POST"]),
            Route("/api/v1/league/state", self.state, methods=["GET"]),
            Route("/api/v1/league/play", self.play, methods=["POST"]),
            Route("/api/v1/league/claims", self.claim, methods=["POST"]),
            Route("/api/v1/league/decisions", self.decision, methods=["POST"]),
            Route("/api/v1/league/heartbeat", self.heartbeat, methods=["POST"]),
            Route("/api/v1/league/{pk:int}/control", self.control, methods=["POST"]),
            Route("/api/v1/league/{pk:int}/board", self.board, methods=["GET"]),
            Route("/api/v1/league/{pk:int}/export", self.export, methods=["GET"]),
            Route("/api/v1/league/{pk:int}/stream", self.stream, methods=["GET"]),
        ]
