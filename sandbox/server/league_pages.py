"""The trainer's competition pages and the classroom projector of `shapan serve`.

- `/admin/competitions`: the list, and creating one from a shipped competition or a file; the
  answer is the printable code sheet (each team's code, or the sign-up join code), shown once
  (the store keeps only hashes).
- `/admin/competitions/{pk}`: the trainer console (rounds, clock, pause, freeze, announcements,
  desks, the live trainer board). Its buttons post JSON to `LeagueApi.control` with the CSRF
  header; it redraws from the live channel below, never reloads.
- `/admin/competitions/{pk}/board?lang=`: the projector (full screen, 16:9, big type).
- `/admin/competitions/{pk}/rounds/{i}/debrief` (+ `debrief.html`, `debrief.csv`): the round
  debrief (`sandbox.league.debrief`), served like the exam result page (no script).
- `/api/v1/league/{pk}/live?view=public|trainer&lang=`: server-sent events `update` with the
  board (each row carrying a `display` block: figures formatted on the server with
  `board.format_figure`, so the pages never reimplement a format), the round state and the
  live events; `/api/v1/league/{pk}/events` the events as JSON. The public view is the frozen
  board while frozen and has no events then (events would leak what the freeze hides).

Everything here needs the admin session. Team names are data: Jinja autoescapes them and the
scripts set them with `textContent` only; the CSP allows no inline script or style.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from markupsafe import escape
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from sandbox.server import i18n
from sandbox.server.i18n import pick, tr

if TYPE_CHECKING:  # pragma: no cover
    from sandbox.server.app import ServerApp
    from sandbox.server.league_app import LeagueApi

#: How often (s) the live channel looks for a change, the least time between two pushes, and
#: the keep-alive comment of a quiet stream (as LeagueApi.stream).
LIVE_POLL_S = 0.2
LIVE_MIN_GAP_S = 0.5
LIVE_KEEPALIVE_S = 15.0
#: The most events one update carries (the newest).
MAX_EVENTS = 40

#: The words of these pages (the shared frame's words are in sandbox.server.i18n).
TEXT: dict[str, dict[str, str]] = {
    "competitions": {"en": "Competitions", "zh-CN": "竞赛"},
    "competition": {"en": "Competition", "zh-CN": "竞赛"},
    "no_competitions": {"en": "No competition yet.", "zh-CN": "还没有竞赛。"},
    "create_title": {"en": "Create a competition", "zh-CN": "创建竞赛"},
    "create_shipped": {"en": "Shipped competition", "zh-CN": "内置竞赛"},
    "create_path": {
        "en": "…or a competition file on the server",
        "zh-CN": "……或服务器上的竞赛文件",
    },
    "create": {"en": "Create", "zh-CN": "创建"},
    "create_none": {
        "en": "Choose a competition or give a file path.",
        "zh-CN": "请选择一个竞赛或填写文件路径。",
    },
    "create_failed": {"en": "Could not create it: {why}", "zh-CN": "无法创建：{why}"},
    "created": {"en": "Created", "zh-CN": "创建时间"},
    "current_round": {"en": "Round", "zh-CN": "当前轮次"},
    "console": {"en": "Console", "zh-CN": "控制台"},
    "projector": {"en": "Projector", "zh-CN": "投影"},
    "codes_title": {"en": "Team codes", "zh-CN": "队伍码"},
    "codes_once": {
        "en": "These codes are shown only now: print this page or hand the codes out before "
        "leaving it (the server keeps only their hashes).",
        "zh-CN": "这些代码只显示这一次：离开本页前请打印或分发（服务器只保存其哈希）。",
    },
    "print": {"en": "Print", "zh-CN": "打印"},
    "to_console": {"en": "Open the console", "zh-CN": "打开控制台"},
    "team": {"en": "Team", "zh-CN": "队伍"},
    "seats": {"en": "Seats", "zh-CN": "席位"},
    "code": {"en": "Team code", "zh-CN": "队伍码"},
    "join_code": {"en": "Join code", "zh-CN": "报名码"},
    "join_how": {
        "en": "Sign up your team with this join code at the desk (`shapan play --league {url}`)"
        ", choose a team name, and share the team code you get with your teammates.",
        "zh-CN": "在工作台用此报名码为本队报名（`shapan play --league {url}`），填写队名，"
        "并把得到的队伍码告诉队友。",
    },
    "card_how": {
        "en": "shapan play --league {url} --team {code}",
        "zh-CN": "shapan play --league {url} --team {code}",
    },
    "rounds": {"en": "Rounds", "zh-CN": "轮次"},
    "round": {"en": "Round", "zh-CN": "轮次"},
    "status": {"en": "Status", "zh-CN": "状态"},
    "clock": {"en": "Clock", "zh-CN": "时间"},
    "actions": {"en": "Actions", "zh-CN": "操作"},
    "pending": {"en": "not started", "zh-CN": "未开始"},
    "open": {"en": "running", "zh-CN": "进行中"},
    "closed": {"en": "finished", "zh-CN": "已结束"},
    "open_round": {"en": "Open", "zh-CN": "开始"},
    "close_round": {"en": "Close", "zh-CN": "结束"},
    "extend": {"en": "+{n} min", "zh-CN": "+{n} 分钟"},
    "debrief": {"en": "Debrief", "zh-CN": "复盘"},
    "pause": {"en": "Pause all (fire drill)", "zh-CN": "全部暂停（消防演练）"},
    "resume": {"en": "Resume", "zh-CN": "继续"},
    "freeze": {"en": "Freeze the board", "zh-CN": "冻结排行榜"},
    "unfreeze": {"en": "Unfreeze (reveal)", "zh-CN": "解冻（揭晓）"},
    "announce": {"en": "Announce to all desks", "zh-CN": "向所有工作台发通知"},
    "announce_send": {"en": "Send", "zh-CN": "发送"},
    "announcement": {"en": "Announcement", "zh-CN": "通知"},
    "teams": {"en": "Teams and desks", "zh-CN": "队伍与工作台"},
    "member": {"en": "Seat {n}", "zh-CN": "席位 {n}"},
    "empty_seat": {"en": "empty", "zh-CN": "空"},
    "connected": {"en": "connected", "zh-CN": "在线"},
    "disconnected": {"en": "offline", "zh-CN": "离线"},
    "kicked": {"en": "removed", "zh-CN": "已移除"},
    "kick": {"en": "Remove", "zh-CN": "移除"},
    "readmit": {"en": "Re-admit", "zh-CN": "重新接纳"},
    "board": {
        "en": "Live board (trainer view, never frozen)",
        "zh-CN": "实时排行榜（培训师视图，不冻结）",
    },
    "rank": {"en": "#", "zh-CN": "名次"},
    "total": {"en": "Total", "zh-CN": "总分"},
    "handled": {"en": "Handled", "zh-CN": "接待"},
    "paused": {"en": "PAUSED", "zh-CN": "已暂停"},
    "frozen": {"en": "BOARD FROZEN", "zh-CN": "排行榜已冻结"},
    "frozen_note": {
        "en": "Final standings are revealed at the end",
        "zh-CN": "最终排名将在结束时揭晓",
    },
    "no_round": {"en": "Waiting for the first round", "zh-CN": "等待第一轮开始"},
    "round_over": {"en": "Round over", "zh-CN": "本轮结束"},
    "chart": {"en": "Score per round", "zh-CN": "每轮得分"},
    "events": {"en": "Live", "zh-CN": "实况"},
    "no_teams": {"en": "No team yet.", "zh-CN": "还没有队伍。"},
    "stale": {"en": "reconnecting…", "zh-CN": "正在重新连接……"},
    "failed": {"en": "The action failed: {why}", "zh-CN": "操作失败：{why}"},
    "back_to_competition": {"en": "Back to the competition", "zh-CN": "返回竞赛"},
    "download_html": {"en": "Download (HTML)", "zh-CN": "下载（HTML）"},
    "download_csv": {"en": "Download (CSV)", "zh-CN": "下载（CSV）"},
    "not_played": {"en": "Round {n} has not been played yet.", "zh-CN": "第 {n} 轮尚未进行。"},
    "no_such_round": {"en": "There is no round {n}.", "zh-CN": "没有第 {n} 轮。"},
    "export": {"en": "Journals (JSON)", "zh-CN": "日志（JSON）"},
}


def _t(key: str, lang: str, **fill: Any) -> str:
    entry = TEXT.get(key)
    if entry is None:
        return tr(key, lang, **fill)
    return entry.get(lang, entry["en"]).format(**fill)


def _words(key: str, **fill: Any) -> dict[str, str]:
    return {lang: _t(key, lang, **fill) for lang in i18n.LANGS}


def _number(value: Any) -> str:
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return "—"
    return f"{float(value):.1f}"


def display_board(board: dict[str, Any], lang: str) -> dict[str, Any]:
    """The board with a `display` block on each row: the total and round scores (one decimal)
    and every scorecard figure as `board.format_figure` writes it in `lang`; column labels in
    `lang` as `columns[i].text`. The pages show these strings as they are."""
    from sandbox.league.board import format_figure

    rows = []
    for row in board.get("rows", []):
        items = row.get("items") or {}
        rows.append({
            **row,
            "display": {
                "total": _number(row.get("total")),
                "rounds": [_number(v) for v in row.get("rounds") or []],
                "items": {kpi: format_figure(kpi, (v or {}).get("figure"), lang)
                          for kpi, v in items.items()},
            },
        })  # fmt: skip
    columns = [{**c, "text": pick(c.get("label"), lang)} for c in board.get("columns", [])]
    rounds = [{**r, "text": pick(r.get("title"), lang)} for r in board.get("rounds", [])]
    return {**board, "rows": rows, "columns": columns, "rounds": rounds}


class LeaguePages:
    """The competition pages over the app's `LeagueApi` (its store and board cache)."""

    def __init__(self, app: ServerApp, api: LeagueApi) -> None:
        self.app = app
        self.api = api
        self.league = api.league
        self._shipped: list[tuple[str, dict[str, str]]] | None = None
        #: (pk, view) -> (the store's team rounds, frozen, events)
        self._events: dict[tuple[int, str], tuple[Any, bool, list[dict[str, Any]]]] = {}

    # -- rendering ---------------------------------------------------------------------------
    def render(
        self, request: Request, template: str, *, lang: str | None = None, status: int = 200,
        **ctx: Any,
    ) -> HTMLResponse:  # fmt: skip
        """A page as `ServerApp.page` renders it (same frame, CSP, CSRF cookie), with these
        pages' words and an optional language forced by the URL (the projector's `?lang=`)."""
        from sandbox.server.app import CSP

        lang = lang or self.app.lang_of(request)
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")

        def t(key: str, **fill: Any) -> str:
            return _t(key, lang, **fill)

        ctx.setdefault("logged_in", True)
        html = self.app.jinja.get_template(template).render(
            lang=lang, t=t, csrf=self.app.csrf_token(request), here=here,
            other_lang="en" if lang == "zh-CN" else "zh-CN", **ctx,
        )  # fmt: skip
        response = HTMLResponse(html, status_code=status)
        self.app.secure_headers(response, CSP)
        self.app.set_csrf_cookie(request, response)
        return response

    def shipped(self) -> list[tuple[str, dict[str, str]]]:
        if self._shipped is None:
            from sandbox.league.errors import CompetitionError
            from sandbox.league.loader import load_competition, shipped_competitions

            out = []
            for name in shipped_competitions():
                try:
                    title = dict(load_competition(name).title)
                except CompetitionError:
                    title = {"zh-CN": name, "en": name}
                out.append((name, title))
            self._shipped = out
        return self._shipped

    async def comp_pk(self, request: Request) -> int:
        """The path's competition (a 404 page when there is none)."""
        from sandbox.server.app import PageError
        from sandbox.server.store import NotFound

        pk = int(request.path_params["pk"])
        try:
            await self.app.run(self.league.is_frozen, pk)  # NotFound when there is none
        except NotFound:
            raise PageError(404, "not_found") from None
        return pk

    # -- pages -------------------------------------------------------------------------------
    async def list_page(self, request: Request) -> Response:
        from sandbox.server.store import StoreError

        await self.app.require_admin(request)
        lang = self.app.lang_of(request)
        error: Any = None
        if request.method == "POST":
            data = await self.app.form(request)
            ref = data.get("path", "").strip() or data.get("shipped", "").strip()
            if not ref:
                error = ("create_none", {})
            else:
                try:
                    created = await self.app.run(self.league.create, ref)
                except StoreError as err:
                    error = ("create_failed", {"why": err.message[lang]})
                else:
                    return await self.code_sheet(request, created)
        comps = await self.app.run(self.league.competitions)
        for c in comps:
            c["round_text"] = str(c["current_round"] + 1) if c["current_round"] >= 0 else "—"
        return self.render(
            request, "league_list.html", status=400 if error else 200, comps=comps,
            shipped=await self.app.run(self.shipped), error=error,
        )  # fmt: skip

    async def code_sheet(self, request: Request, created: dict[str, Any]) -> Response:
        pk = int(created["pk"])
        state = await self.app.run(self.league.trainer_state, pk)
        return self.render(
            request, "league_codes.html", pk=pk, title=state["title"], cards=created["codes"],
            join_code=created.get("join_code"), server_url=str(request.base_url).rstrip("/"),
            lang_switch=False,
        )  # fmt: skip

    async def console(self, request: Request) -> Response:
        await self.app.require_admin(request)
        pk = await self.comp_pk(request)
        lang = self.app.lang_of(request)
        state = await self.app.run(self.league.trainer_state, pk)
        board = display_board(
            json.loads(await self.api.board_bytes(pk, "trainer")), lang
        )  # fmt: skip
        words = {k: TEXT[k][lang] for k in TEXT}
        return self.render(
            request, "league_console.html", pk=pk, state=state, board=board,
            words_json=json.dumps(words, ensure_ascii=False), extend_min=(1, 2, 5),
        )  # fmt: skip

    async def projector(self, request: Request) -> Response:
        await self.app.require_admin(request)
        pk = await self.comp_pk(request)
        asked = request.query_params.get("lang")
        lang = asked if asked in i18n.LANGS else self.app.lang_of(request)
        state = await self.app.run(self.league.trainer_state, pk)
        words = {k: TEXT[k][lang] for k in TEXT}
        return self.render(
            request, "league_board.html", lang=lang, pk=pk, title=pick(state["title"], lang),
            words_json=json.dumps(words, ensure_ascii=False),
        )  # fmt: skip

    # -- the debrief -------------------------------------------------------------------------
    async def debrief_dict(self, request: Request) -> tuple[int, int, dict[str, Any]]:
        from sandbox.league.debrief import debrief
        from sandbox.server.app import PageError

        await self.app.require_admin(request)
        pk = await self.comp_pk(request)
        i = int(request.path_params["i"])
        state = await self.app.run(self.league.trainer_state, pk)
        rounds = state["rounds"]
        if not 0 <= i < len(rounds):
            raise _Words(404, _words("no_such_round", n=i + 1))
        if rounds[i]["status"] == "pending":
            raise _Words(409, _words("not_played", n=i + 1))

        def compute() -> dict[str, Any]:
            comp = self.league.competition(pk)
            teams = {t["id"]: t["name"] for t in self.league.teams(pk)}
            trs = [tr_ for tr_ in self.league.team_rounds(pk) if tr_.round_index == i]
            return debrief(comp, i, trs, teams)

        try:
            return pk, i, await self.app.run(compute)
        except ValueError as err:  # pragma: no cover - the store only passes its own teams
            raise PageError(500, "server_error") from err

    async def debrief_page(self, request: Request) -> Response:
        from sandbox.league.debrief_html import debrief_html
        from sandbox.server.app import CSP_RESULT

        lang = self.app.lang_of(request)
        try:
            pk, i, d = await self.debrief_dict(request)
        except _Words as err:
            return self.on_words(request, err)
        html = await self.app.run(debrief_html, d, lang)
        base = f"/admin/competitions/{pk}/rounds/{i}"
        links = [
            (f"/admin/competitions/{pk}", _t("back_to_competition", lang)),
            (f"{base}/debrief.html", _t("download_html", lang)),
            (f"{base}/debrief.csv", _t("download_csv", lang)),
            (f"/admin/lang/{'en' if lang == 'zh-CN' else 'zh-CN'}?next="
             f"{urllib.parse.quote(request.url.path)}", _t("lang_other", lang)),
        ]  # fmt: skip
        response = HTMLResponse(_with_links(html, links))
        self.app.secure_headers(response, CSP_RESULT)
        return response

    async def debrief_file(self, request: Request) -> Response:
        from sandbox.league.debrief_html import debrief_csv, debrief_html
        from sandbox.server.app import CSP_RESULT, _download

        lang = self.app.lang_of(request)
        try:
            pk, i, d = await self.debrief_dict(request)
        except _Words as err:
            return self.on_words(request, err)
        comp_id = str((d.get("competition") or {}).get("id") or pk)
        name = f"{comp_id}-round{i + 1}-debrief-{lang}"
        if request.url.path.endswith(".csv"):
            text = await self.app.run(debrief_csv, d, lang)
            return Response("\ufeff" + text, media_type="text/csv; charset=utf-8",
                            headers=_download(name + ".csv"))  # fmt: skip
        response = HTMLResponse(await self.app.run(debrief_html, d, lang),
                                headers=_download(name + ".html"))  # fmt: skip
        self.app.secure_headers(response, CSP_RESULT)
        response.headers["Cache-Control"] = "no-store"
        return response

    # -- the live channel --------------------------------------------------------------------
    async def events_of(self, pk: int, view: str) -> list[dict[str, Any]]:
        """The board's live events (`board.events`, newest last, at most MAX_EVENTS); none in
        the public view while the board is frozen. Computed once per set of team rounds the
        store computes (the store throttles)."""

        def compute() -> list[dict[str, Any]]:
            from sandbox.league.board import events

            frozen = view != "trainer" and self.league.is_frozen(pk)
            trs = self.league.team_rounds(pk)
            cached = self._events.get((pk, view))
            if cached is not None and cached[0] is trs and cached[1] == frozen:
                return list(cached[2])
            if frozen:
                got: list[dict[str, Any]] = []
            else:
                comp = self.league.competition(pk)
                teams = {t["id"]: t["name"] for t in self.league.teams(pk)}
                got = events(comp, trs, teams)[-MAX_EVENTS:]
            self._events[(pk, view)] = (trs, frozen, got)
            return got

        return await self.app.run(compute)

    async def payload(self, pk: int, view: str, lang: str) -> dict[str, Any]:
        board = display_board(json.loads(await self.api.board_bytes(pk, view)), lang)
        state = await self.app.run(self.league.trainer_state, pk)
        if view != "trainer":
            state = {k: v for k, v in state.items() if k != "teams"}
        for r in state["rounds"]:
            r["text"] = pick(r.get("title"), lang)
        return {
            "view": view, "lang": lang, "board": board, "state": state,
            "events": await self.events_of(pk, view),
            "clock_speed": self.league.clock_speed,
        }  # fmt: skip

    @staticmethod
    def view_lang(request: Request, app: ServerApp) -> tuple[str, str]:
        view = "trainer" if request.query_params.get("view") == "trainer" else "public"
        asked = request.query_params.get("lang")
        return view, asked if asked in i18n.LANGS else app.lang_of(request)

    async def events_json(self, request: Request) -> Response:
        await self.api.admin(request)
        pk = int(request.path_params["pk"])
        await self.app.run(self.league.competition, pk)
        view, _lang = self.view_lang(request, self.app)
        got = await self.events_of(pk, view)
        return JSONResponse({"events": got}, headers={"Cache-Control": "no-store"})

    async def live(self, request: Request) -> Response:
        """Server-sent events: `update` {board (with display), state, events} whenever the
        competition changed, at most every LIVE_MIN_GAP_S."""
        await self.api.admin(request)
        pk = int(request.path_params["pk"])
        await self.app.run(self.league.competition, pk)  # 404 before the stream starts
        view, lang = self.view_lang(request, self.app)

        async def stream() -> AsyncIterator[bytes]:
            loop = asyncio.get_running_loop()
            sent, last, quiet = -1, 0.0, 0.0
            while True:
                if await request.is_disconnected():
                    return
                version = self.league.version(pk)
                now = loop.time()
                if version != sent and now - last >= LIVE_MIN_GAP_S:
                    sent, last, quiet = version, now, 0.0
                    doc = await self.payload(pk, view, lang)
                    data = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
                    yield b"event: update\ndata: " + data.encode("utf-8") + b"\n\n"
                else:
                    quiet += LIVE_POLL_S
                    if quiet >= LIVE_KEEPALIVE_S:
                        quiet = 0.0
                        yield b": keep-alive\n\n"
                await asyncio.sleep(LIVE_POLL_S)

        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)

    def on_words(self, request: Request, exc: _Words) -> Response:
        lang = self.app.lang_of(request)
        return self.render(request, "error.html", status=exc.status, message=exc.words[lang])

    def routes(self) -> list[Route]:
        base = "/admin/competitions/{pk:int}"
        debrief = base + "/rounds/{i:int}/debrief"
        return [
            Route("/admin/competitions", self.list_page, methods=["GET", "POST"]),
            Route(base, self.console),
            Route(base + "/board", self.projector),
            Route(debrief, self.debrief_page),
            Route(debrief + ".html", self.debrief_file),
            Route(debrief + ".csv", self.debrief_file),
            Route("/api/v1/league/{pk:int}/live", self.live),
            Route("/api/v1/league/{pk:int}/events", self.events_json),
        ]


class _Words(Exception):
    """A page answer other than 200 with these pages' own words."""

    def __init__(self, status: int, words: dict[str, str]) -> None:
        super().__init__(words["en"])
        self.status = status
        self.words = words


_BODY_RE = re.compile(r"<body[^>]*>", re.I)


def _with_links(html: str, links: list[tuple[str, str]]) -> str:
    """The debrief document with a small bar of links on top (its own style, no script)."""
    link = "color:#fff !important;text-decoration:none;margin-right:16px"
    inner = "".join(f'<a style="{link}" href="{escape(href)}">{escape(text)}</a>'
                    for href, text in links)  # fmt: skip
    bar = ('<nav class="shapan-admin-bar" style="font:14px system-ui,sans-serif;padding:6px 12px;'
           f'background:#14213d;">{inner}</nav>')  # fmt: skip
    m = _BODY_RE.search(html)
    if m is None:
        return bar + html
    return html[: m.end()] + bar + html[m.end() :]


__all__ = ["TEXT", "LeaguePages", "display_board"]
