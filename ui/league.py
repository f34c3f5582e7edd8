"""League mode of the desk: `shapan play --league URL --team CODE [--member N]`.

The seat's connection lives in `LeagueDesk` (join or resume the seat, the token kept in a small
file so a crashed desk takes the same seat again, the lobby's poll of the desk state, the
heartbeat). While a round is open the desk plays it through `LeagueTaking`, a thin adapter
that presents `sandbox.league.desk.MemberPlay` through the interface the desk already uses
for an exam attempt (`ExamTaking`): the desk draws the conversation, the cards and the clock
as in exam mode (timed rules: no pause, no speed, no coaching), and `LeagueDesk.draw_overlay`
adds what only a competition has — the team's live rank (hidden while the board is frozen),
the trainer's announcement and the fire-drill pause. Between rounds the `LobbyScreen` waits
for the trainer.

Every call to the server is made on the frame (localhost and a classroom LAN answer in a few
ms); a server that cannot be reached is shown as "reconnecting" and retried on the next beat.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ui import i18n, theme
from ui.screens import Screen

if TYPE_CHECKING:  # pragma: no cover
    import pygame

    from ui.app import App

#: Wall seconds between two polls of the desk state (lobby) or two heartbeats (round).
POLL_S = 2.0

WORDS: dict[str, dict[str, str]] = {
    "league": {"zh-CN": "竞赛", "en": "Competition"},
    "waiting": {"zh-CN": "等待培训师开始本轮…", "en": "Waiting for the trainer to open a round…"},
    "round_closed": {"zh-CN": "第 {n} 轮已结束", "en": "Round {n} is over"},
    "round": {"zh-CN": "第 {n} 轮", "en": "Round {n}"},
    "team": {"zh-CN": "队伍", "en": "Team"},
    "member": {"zh-CN": "席位 {m}", "en": "Seat {m}"},
    "rank": {"zh-CN": "第 {rank} / {of} 名", "en": "Rank {rank} of {of}"},
    "frozen": {"zh-CN": "排行榜已冻结", "en": "Board frozen"},
    "no_rank": {"zh-CN": "排名待定", "en": "Not ranked yet"},
    "paused": {
        "zh-CN": "演练暂停：培训师已暂停全部工作台，时钟已停止",
        "en": "Fire drill: the trainer paused every desk; the clock is stopped",
    },
    "announcement": {"zh-CN": "培训师通知", "en": "From the trainer"},
    "connected": {"zh-CN": "已连接竞赛服务器", "en": "Connected"},
    "reconnecting": {"zh-CN": "正在重新连接…", "en": "Reconnecting…"},
    "handled": {"zh-CN": "已接待 {k} 位客户", "en": "{k} customers handled"},
    "no_pause": {"zh-CN": "竞赛中不能暂停：时间由服务器掌握", "en": "No pause in a competition: time runs on the server"},
    "keys": {"zh-CN": "1–9 选择 · ↑↓ 滚动 · K 下一篇文章 · Esc 离开（可重新加入，进度不丢失）",
             "en": "1–9 choose · ↑↓ scroll · K next article · Esc leave (rejoin later, nothing is lost)"},
}  # fmt: skip


def w(key: str, lang: str, **kw: Any) -> str:
    text = WORDS[key].get(lang) or WORDS[key]["en"]
    return text.format(**kw) if kw else text


# ---- the seat file ---------------------------------------------------------------------------
def seat_path(url: str, code: str) -> Path:
    """Where the desk keeps the seat's token: one small file per server and team code."""
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    host = urllib.parse.urlsplit(url).netloc or url
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{host}-{code}")
    return base / "shapan" / f"league-{safe}.json"


def _load_seat(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_seat(path: Path, data: dict[str, Any]) -> None:
    from sandbox.fileio import atomic_write_text

    atomic_write_text(path, json.dumps(data, ensure_ascii=False))


def _competition(state: dict[str, Any]) -> Any:
    """The competition the server runs, checked against its content hash: the shipped one by
    its ref, else the server's own text."""
    import tempfile

    from sandbox.exam.taking import TakingError
    from sandbox.league.errors import CompetitionError
    from sandbox.league.loader import load_competition

    block = state["competition"]
    want = block.get("content_hash")
    try:
        comp = load_competition(block["ref"])
        if comp.content_hash == want:
            return comp
    except (CompetitionError, OSError):
        pass
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{block.get('id') or 'competition'}.yaml"
        path.write_text(str(block.get("yaml") or ""), encoding="utf-8")
        try:
            comp = load_competition(path)
        except CompetitionError as err:
            raise TakingError({"en": f"the competition does not load here: {err}",
                               "zh-CN": f"本机无法加载该竞赛：{err}"}) from None  # fmt: skip
    if comp.content_hash != want:
        raise TakingError({"en": "this desk's simulator differs from the server's; update shapan",
                           "zh-CN": "本机模拟器与服务器不一致，请更新 shapan"})  # fmt: skip
    return comp


# ---- the adapter -----------------------------------------------------------------------------
@dataclass
class _Title:
    title: dict[str, str]
    instructions: dict[str, str]


@dataclass
class _Form:
    id: str
    customers: int


class LeagueTaking:
    """`MemberPlay` through the desk's `ExamTaking` interface (the part the desk reads)."""

    is_online = True
    sending_choice: tuple[str, str] | None = None

    def __init__(self, play: Any, comp: Any, state: dict[str, Any], lang: str) -> None:
        rnd = comp.rounds[play.round_index]
        self.play = play
        self.comp = comp
        self.lang = lang
        self.candidate = str((state.get("team") or {}).get("name") or "")
        self.exam = _Title(dict(comp.title), dict(rnd.briefing or rnd.title))
        self.form = _Form(rnd.id, 10**6)  # a team's customers are shared: no fixed count
        self._prefix = f"{rnd.seat}-"
        self._last_contact: str | None = None
        self.client = play.client
        self.last_error: dict[str, str] | None = None
        self.notices: list[dict[str, str]] = []
        self.online = True

    @property
    def session(self) -> Any:
        return self.play.session

    @property
    def clock_s(self) -> float:
        return float(self.play.clock())

    @property
    def now(self) -> float:
        return float(self.play.session.now)

    @property
    def time_left_s(self) -> float:
        return max(0.0, self.play.limit_s - self.clock_s)

    @property
    def connection(self) -> str:
        return "closed" if self.play.closed else "connected" if self.online else "reconnecting"

    @property
    def finished(self) -> bool:
        return False  # the round ends when the server closes it (`LeagueDesk.frame`)

    def advance(self, wall_dt: float, budget_s: float | None = None) -> None:
        from sandbox.server.client import ConnectionLost

        try:
            self.play.advance()
        except ConnectionLost as err:  # a claim could not be made: retried on the next frame
            self.online, self.last_error = False, err.words

    def tick(self, wall_dt: float) -> None:
        pass

    def pop_notices(self) -> list[dict[str, str]]:
        out, self.notices = self.notices, []
        return out

    def current_contact(self) -> str | None:
        for p in self.session.pending_decisions():
            if str(p["contact_id"]).startswith(self._prefix):
                return str(p["contact_id"])
        return self._last_contact

    def contact_number(self, contact_id: str | None) -> int | None:
        if not contact_id or not contact_id.startswith(self._prefix):
            return None
        tail = contact_id[len(self._prefix) :]
        return int(tail) if tail.isdigit() else None

    def contacts_done(self) -> int:
        human = getattr(self.session.recorder, "human", [])
        return sum(1 for r in human if str(r.get("contact_id", "")).startswith(self._prefix))

    def decide(self, contact_id: str, choice_id: str) -> Any:
        """Stream the decision to the server; applied once acknowledged (`MemberPlay`)."""
        from sandbox.exam.taking import TakingError

        if self.play.closed:
            raise TakingError({"en": "the round is over", "zh-CN": "本轮已结束"})
        offered = next((p for p in self.session.pending_decisions()
                        if p["contact_id"] == contact_id), None)  # fmt: skip
        ids = [c["id"] for c in offered["choices"] if c.get("available", True)] if offered else []
        if not contact_id.startswith(self._prefix) or choice_id not in ids:
            raise TakingError({"en": f"choice {choice_id} is not on offer now",
                               "zh-CN": f"当前不能选择 {choice_id}"})  # fmt: skip
        self._last_contact = contact_id
        self.play.decide(contact_id, choice_id)
        return None

    def request_result(self) -> None:
        return None

    def shutdown(self) -> None:
        pass


# ---- the seat's connection -------------------------------------------------------------------
class LeagueDesk:
    """The seat: join (or resume with the saved token), poll, play the open round."""

    def __init__(self, url: str, code: str, member: int | None = None, *,
                 lang: str | None = None, seat_file: Path | None = None) -> None:  # fmt: skip
        from sandbox.league.desk import LeagueClient
        from sandbox.server.client import ConnectionLost, Rejected

        self.url, self.code = url, code
        self.path = seat_file or seat_path(url, code)
        saved = _load_seat(self.path)
        token = saved.get("token") if saved.get("url") == url else None
        if member is not None and saved.get("member") not in (None, member):
            token = None  # another seat was asked for
        self.client = LeagueClient(url, code, member=member, token=token, timeout=3.0)
        self.state: dict[str, Any] = {}
        if token:
            try:
                self.state = self.client.state()
            except ConnectionLost:
                raise
            except Rejected:  # the server forgot the token (kicked, a new competition): join
                self.client.token = None
        if not self.state:
            answer = self.client.join()
            _save_seat(self.path, {"url": url, "code": code, "member": answer.get("member"),
                                   "token": self.client.token})  # fmt: skip
            self.state = self.client.state()
        self.lang = lang or str((self.state.get("competition") or {}).get("lang") or "zh-CN")
        self.online = True
        self.app: App | None = None
        self.taking: LeagueTaking | None = None
        self.comp: Any = None
        self.next_poll = 0.0
        self.last_round: int | None = None
        self.lobby: LobbyScreen | None = None
        self.shown: dict[str, Any] = {}

    # -- wiring ----------------------------------------------------------------------------
    def attach(self, app: App) -> None:
        """The window opened: timed rules, the competition's language, the lobby or the round."""
        self.app = app
        app.mode = "timed"
        if not app.options.lang and self.lang in i18n.LANGS:
            app.lang = self.lang  # type: ignore[assignment]
        team = self.state.get("team") or {}
        app.trainee = (
            f"{team.get('name') or ''} · {w('member', app.lang, m=self.state.get('member'))}"
        )
        self.lobby = LobbyScreen(app, self)
        self.next_poll = time.monotonic() + POLL_S
        if not self._maybe_start():
            app.switch(self.lobby)

    def _poll(self) -> None:
        from sandbox.server.client import ClientError, ConnectionLost

        try:
            self.state = self.client.state()
            self.online = True
        except ConnectionLost:
            self.online = False
        except ClientError as err:  # kicked: say so, keep polling (a re-admit lets it back)
            self.online = True
            if self.app is not None:
                self.app.notify(i18n.pick(err.words, self.app.lang), 4.0, theme.BAD)

    def _maybe_start(self) -> bool:
        """A round is open and the desk is not in it: build the member's play and go to the desk."""
        from sandbox.exam.taking import TakingError
        from sandbox.league.desk import MemberPlay
        from sandbox.server.client import ClientError

        app = self.app
        rnd = self.state.get("round") or {}
        if app is None or rnd.get("status") != "open" or self.taking is not None:
            return False
        try:
            if self.comp is None or self.comp.content_hash != self.state["competition"].get(
                "content_hash"
            ):
                self.comp = _competition(self.state)
            play = MemberPlay(self.client, self.comp)
        except (TakingError, ClientError) as err:
            app.notify(i18n.pick(err.words, app.lang), 6.0, theme.BAD)
            return False
        if play.closed:
            return False
        self.taking = LeagueTaking(play, self.comp, self.state, app.lang)
        self.last_round = play.round_index
        app.taking = self.taking
        app.session = play.session
        app.switch(app.desk)
        return True

    def frame(self, dt: float) -> None:
        """Each frame, before the desk advances: the beat (lobby poll or round heartbeat) and
        the moves between the lobby and the round."""
        app = self.app
        assert app is not None
        now = time.monotonic()
        if self.taking is None:
            if now >= self.next_poll:
                self.next_poll = now + POLL_S
                self._poll()
                self._maybe_start()
            return
        if now >= self.next_poll:
            self.next_poll = now + POLL_S
            self._heartbeat()
        if self.taking.play.closed:
            self._end_round()
        else:
            app.session = self.taking.session

    def _heartbeat(self) -> None:
        """`MemberPlay.heartbeat` without its blocking retry: a lost server is a state."""
        from sandbox.server.client import ClientError, ConnectionLost

        taking = self.taking
        assert taking is not None
        play = taking.play
        contact = next(iter(play.session.center.active), None)
        try:
            state = self.client.heartbeat(contact)
        except ConnectionLost as err:
            taking.online, taking.last_error, self.online = False, err.words, False
            return
        except ClientError as err:
            taking.notices.append(err.words)
            play.closed = True
            return
        taking.online, taking.last_error, self.online = True, None, True
        self.state = state
        rnd = state.get("round") or {}
        was_paused = play.paused
        play.paused = bool(state.get("paused"))
        if rnd.get("index") != play.round_index or rnd.get("status") != "open":
            play.closed = True
        elif rnd.get("server_now_s") is not None:
            play.anchor = (float(rnd["server_now_s"]), time.monotonic())
        if was_paused and not play.paused:
            play.anchor = (float(rnd.get("server_now_s") or play.anchor[0]), time.monotonic())

    def _end_round(self) -> None:
        app = self.app
        assert app is not None and self.taking is not None
        self.taking = None
        app.taking = None
        app.session = None
        app.snapshot = {}
        self._poll()
        app.switch(self.lobby)

    # -- what the desk shows -----------------------------------------------------------------
    def header(self, lang: str) -> dict[str, Any]:
        """The league's words on screen, as text (drawn by the overlay and the lobby; read by
        tests)."""
        s = self.state
        team = s.get("team") or {}
        rnd = s.get("round") or {}
        comp = s.get("competition") or {}
        rank = s.get("rank")
        if s.get("frozen"):
            rank_text = w("frozen", lang)
        elif rank and rank.get("rank"):
            rank_text = w("rank", lang, rank=rank["rank"], of=rank["of"])
        else:
            rank_text = w("no_rank", lang)
        announcement = str((s.get("announcement") or {}).get("text") or "")
        taking = self.taking
        out = {
            "competition": i18n.pick(comp.get("title"), lang),
            "team": f"{w('team', lang)} {team.get('name') or team.get('id') or ''}",
            "member": w("member", lang, m=s.get("member")),
            "round": w("round", lang, n=int(rnd["index"]) + 1) if rnd else "",
            "rank": rank_text,
            "frozen": bool(s.get("frozen")),
            "announcement": announcement,
            "paused": w("paused", lang) if s.get("paused") else "",
            "connection": w("connected" if self.online else "reconnecting", lang),
            "time_left": "",
            "handled": "",
        }
        if taking is not None:
            out["time_left"] = f"{i18n.t('time_left', lang)} {i18n.duration(taking.time_left_s)}"
            out["handled"] = w("handled", lang, k=taking.contacts_done())
        return out

    def draw_overlay(self, surface: pygame.Surface) -> None:
        """Over the desk: the league header in place of the exam header, the announcement
        banner, the fire-drill pause."""
        import pygame

        from ui.widgets.base import blit_text

        app = self.app
        assert app is not None
        if app.screen is not app.desk or self.taking is None:
            return
        lang, fonts = app.lang, app.fonts
        head = self.header(lang)
        self.shown = head
        layout = app.desk.layout
        # the top bar's left: the competition instead of "Exam | title", then the announcement
        bar = layout["top"]
        left = pygame.Rect(bar.left, bar.top, int(bar.width * 0.78), bar.height - 1)
        pygame.draw.rect(surface, theme.PANEL, left)
        r = blit_text(surface, fonts, f"{w('league', lang)}  |  {head['competition']}  |  {head['round']}",
                      (theme.PAD + 4, bar.centery), theme.BODY, theme.MUTED, anchor="midleft",
                      max_width=int(left.width * 0.45))  # fmt: skip
        if head["announcement"]:
            sep = "：" if lang == "zh-CN" else ": "
            blit_text(surface, fonts, f"{w('announcement', lang)}{sep}{head['announcement']}",
                      (r.right + 24, bar.centery), theme.LARGE, theme.ACCENT, True,
                      anchor="midleft", max_width=max(40, left.right - r.right - 40))  # fmt: skip
        hint = layout["hint"]
        pygame.draw.rect(surface, theme.BG, hint)
        blit_text(surface, fonts, w("keys", lang), hint.center, theme.SMALL, theme.DIM,
                  anchor="center", max_width=hint.width - 16)  # fmt: skip
        rect = layout["kpi"]
        pygame.draw.rect(surface, theme.PANEL, rect, border_radius=6)
        pygame.draw.rect(surface, theme.BORDER, rect, 1, border_radius=6)
        cy = rect.centery
        x = rect.left + 14
        t = blit_text(surface, fonts, head["team"], (x, rect.top + 6), theme.LARGE, theme.TEXT,
                      True, max_width=int(rect.width * 0.30))  # fmt: skip
        blit_text(surface, fonts, f"{head['member']}  ·  {head['handled']}", (x, t.bottom + 2),
                  theme.SMALL, theme.MUTED, max_width=int(rect.width * 0.30))  # fmt: skip
        x = rect.left + int(rect.width * 0.33)
        rank_color = theme.WARN if head["frozen"] else theme.ACCENT
        blit_text(surface, fonts, head["rank"], (x, cy), theme.TITLE, rank_color, True,
                  anchor="midleft", max_width=int(rect.width * 0.24))  # fmt: skip
        x = rect.left + int(rect.width * 0.58)
        left_s = self.taking.time_left_s
        tcol = theme.BAD if left_s < 60 else theme.WARN if left_s < 180 else theme.TEXT
        blit_text(surface, fonts, head["time_left"], (x, cy), theme.TITLE, tcol, True,
                  anchor="midleft", max_width=int(rect.width * 0.24))  # fmt: skip
        color = theme.GOOD if self.online else theme.BAD
        blit_text(surface, fonts, head["connection"], (rect.right - 14, cy), theme.BODY, color,
                  True, anchor="midright", max_width=int(rect.width * 0.16))  # fmt: skip
        if head["paused"]:  # the fire drill: the desk is shaded, its clock stopped
            shade = pygame.Surface(app.size, pygame.SRCALPHA)
            shade.fill((0, 0, 0, 120))
            surface.blit(shade, (0, rect.bottom + 2))
            _banner(surface, app, head["paused"], app.size[1] // 2 - 30, theme.WARN)


def _banner(
    surface: pygame.Surface, app: App, text: str, y: int, color: tuple[int, int, int]
) -> int:
    import pygame

    fonts = app.fonts
    width = app.size[0] - 2 * theme.PAD
    lines = fonts.wrap(text, theme.LARGE, width - 32)[:2]
    h = len(lines) * fonts.line_height(theme.LARGE) + 14
    rect = pygame.Rect(theme.PAD, y, width, h)
    pygame.draw.rect(surface, theme.PANEL_ALT, rect, border_radius=8)
    pygame.draw.rect(surface, color, rect, 2, border_radius=8)
    ty = rect.top + 7
    for line in lines:
        surface.blit(fonts.render(line, theme.LARGE, theme.TEXT, True), (rect.left + 16, ty))
        ty += fonts.line_height(theme.LARGE)
    return rect.bottom + 4


class LobbyScreen(Screen):
    """Between rounds: the team, the rank, the announcement, and the wait for the trainer."""

    def __init__(self, app: App, desk: LeagueDesk) -> None:
        super().__init__(app)
        self.desk = desk
        self.shown: dict[str, Any] = {}

    def handle_event(self, event: Any) -> bool:
        import pygame

        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.app.request_quit()
            return True
        return False

    def draw(self, surface: pygame.Surface) -> None:
        import pygame

        from ui.widgets.base import blit_text

        app, lang = self.app, self.app.lang
        surface.fill(theme.BG)
        head = self.desk.header(lang)
        rnd = self.desk.state.get("round") or {}
        if rnd and rnd.get("status") not in (None, "open", "pending"):
            status = f"{w('round_closed', lang, n=int(rnd['index']) + 1)} · {w('waiting', lang)}"
        else:
            status = w("waiting", lang)
        head["status"] = status
        self.shown = head
        cx = app.size[0] // 2
        y = app.size[1] // 5
        for text, size, color, bold in (
            (head["competition"], theme.TITLE, theme.TEXT, True),
            (f"{head['team']}  ·  {head['member']}", theme.LARGE, theme.MUTED, False),
            (head["rank"], theme.TITLE, theme.WARN if head["frozen"] else theme.ACCENT, True),
            (status, theme.LARGE, theme.TEXT, False),
            (head["connection"], theme.BODY, theme.GOOD if self.desk.online else theme.BAD, True),
        ):
            r = blit_text(surface, app.fonts, text, (cx, y), size, color, bold, anchor="midtop",
                          max_width=app.size[0] - 80)  # fmt: skip
            y = r.bottom + 24
        if head["announcement"]:
            y = _banner(
                surface,
                app,
                f"{w('announcement', lang)}: {head['announcement']}",
                y + 10,
                theme.ACCENT,
            )
        if head["paused"]:
            _banner(surface, app, head["paused"], y, theme.WARN)
        pygame.draw.line(
            surface, theme.BORDER, (80, app.size[1] - 60), (app.size[0] - 80, app.size[1] - 60)
        )

    def state(self) -> dict[str, Any]:
        return {"lobby": dict(self.shown)}


__all__ = ["LeagueDesk", "LeagueTaking", "LobbyScreen", "seat_path"]
