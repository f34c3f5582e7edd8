"""The window and the game loop.

Each frame: read events, advance the sim by `dt × speed` under a ~4 ms wall budget through
`Session.advance_frame`, take one `snapshot()`, draw. The loop is steppable (`step_frame(dt)`)
so tests and the screenshot script drive the real UI headless with a fixed dt. The UI only talks
to the engine through the `Session` API and holds no game rules.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ui import i18n, theme
from ui.fonts import Fonts

FRAME_BUDGET_S = 0.004
SPEEDS = (1.0, 2.0, 4.0)


@dataclass
class PlayOptions:
    """What `shapan play` asked for."""

    scenario: str | None = None
    scenarios: list[str] = field(default_factory=list)
    lang: str | None = None
    seed: int | None = None
    fullscreen: bool = False
    resume: Path | None = None
    save: Path | None = None
    out_dir: Path | None = None
    trainee: str = ""
    mode: str = "practice"
    size: tuple[int, int] = theme.DEFAULT_SIZE
    skip_start: bool = False
    #: exam mode: an opened `sandbox.exam.taking.ExamTaking` (online or offline)
    exam: Any = None
    #: an exam attempt that was already finished when opened: its result, shown at once
    exam_result: dict[str, Any] | None = None
    #: the trainee history's database (sandbox.server.history): a finished session with a
    #: trainee name is recorded there; None records nothing
    history_db: str | None = None
    #: league mode: an opened `ui.league.LeagueDesk` (a seat in a classroom competition)
    league: Any = None


def sessions_dir() -> Path:
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "shapan" / "sessions"


def _atomic_json(path: Path, data: Any) -> None:
    """The UI's settings file, through the project's one crash-safe writer (`sandbox.fileio`)."""
    from sandbox.fileio import atomic_write_text

    atomic_write_text(path, json.dumps(data, ensure_ascii=False))


def sidecar_path(save_path: Path) -> Path:
    """Where the UI keeps its language next to the session save (the trainee name and mode
    live in the save itself, sealed: `sandbox.session_seal`)."""
    return save_path.with_name(save_path.stem + ".ui.json")


def _default_session_factory(
    scenario: str, seed: int | None, lang: str, *, trainee: str = "", mode: str = "practice"
) -> Any:
    from sandbox.session import Session

    return Session(scenario, seed, lang=lang, trainee=trainee, mode=mode)


def _default_resume(path: Path) -> Any:
    """The desk resumes only its own saves: the trainee/mode seal must be there and intact."""
    from sandbox.session import Session

    return Session.resume(path, sealed=True)


class App:
    """The pygame window, its screens and the frame loop."""

    def __init__(
        self,
        options: PlayOptions,
        *,
        session_factory: Callable[..., Any] | None = None,
        resume_factory: Callable[[Path], Any] | None = None,
    ) -> None:
        import pygame
        import pygame_gui

        self.t0 = time.perf_counter()
        self.options = options
        self.lang = options.lang if options.lang in i18n.LANGS else "zh-CN"  # type: ignore[assignment]
        self.mode = options.mode
        self.trainee = options.trainee
        self.recorded = False  # the finished session is in the trainee history
        self.session_factory = session_factory or _default_session_factory
        self.resume_factory = resume_factory or _default_resume
        pygame.display.init()  # no audio: nothing to play, and no mixer errors on servers
        pygame.font.init()
        pygame.key.set_repeat(400, 40)
        flags = pygame.RESIZABLE | (pygame.FULLSCREEN if options.fullscreen else 0)
        size = (0, 0) if options.fullscreen else options.size
        self.flags = flags
        self.window = pygame.display.set_mode(size, flags)
        pygame.display.set_caption(i18n.t("app_title", self.lang))
        with contextlib.suppress(Exception), warnings.catch_warnings():  # needs SDL's window API
            warnings.simplefilter("ignore", DeprecationWarning)
            pygame.Window.from_display_module().minimum_size = theme.MIN_SIZE
        self.size = self.window.get_size()
        self.fonts = Fonts()
        self.gui = pygame_gui.UIManager(self.size, theme.gui_theme())
        self.clock = pygame.time.Clock()
        self.session: Any = None
        self.save_path: Path | None = None
        self.speed_index = 0
        self.paused = False
        self.auto_paused = False
        self.visible = True
        self.running = True
        self.confirming_quit = False
        self.snapshot: dict[str, Any] = {}
        self.frame_ms: float = 0.0
        self.first_frame_s: float | None = None
        #: longest wall step the sim follows per frame (a hitch never jumps the sim far ahead)
        self.max_frame_dt = 0.25
        self.frame_budget_s = FRAME_BUDGET_S
        self.notice: tuple[str, float, tuple[int, int, int]] | None = None
        #: the background export running, if any: (thread, outcome box, report path)
        self.export_job: tuple[Any, dict[str, Any], Path] | None = None
        self.error: str | None = None
        #: exam mode: the attempt being taken (all time, decisions and the result go through it)
        self.taking: Any = options.exam
        self.exam_result: dict[str, Any] | None = options.exam_result
        from ui.screens.desk import DeskScreen
        from ui.screens.exam_result import ExamResultScreen
        from ui.screens.results import ResultsScreen
        from ui.screens.start import StartScreen

        self.start_screen = StartScreen(self)
        self.desk = DeskScreen(self)
        self.results = ResultsScreen(self)
        self.exam_result_screen = ExamResultScreen(self)
        self.screen = self.start_screen
        self.league: Any = options.league
        if self.league is not None:
            self.league.attach(self)  # the lobby, or the open round at the desk
        elif self.taking is not None or self.exam_result is not None:
            self._enter_exam()
        elif options.resume is not None:
            self.resume(options.resume)
        else:
            self.start_screen.enter()
            if options.skip_start:  # first frame shows "Preparing…", the next builds the session
                self.start_screen.request_start()

    # ---- session lifecycle -------------------------------------------------------------
    @property
    def speed(self) -> float:
        return SPEEDS[self.speed_index]

    @property
    def exam_mode(self) -> bool:
        return self.taking is not None or self.exam_result is not None

    @property
    def strict(self) -> bool:
        """Exam rules (an exam, or `--mode timed`): the clock is not the trainee's (no pause,
        no speed), no results or drill-down mid-session, no coaching (tags on the trainee's
        lines, the required-next bar, rule banners, lessons and model answers)."""
        return self.exam_mode or self.mode == "timed"

    def _enter_exam(self) -> None:
        """Exam mode: timed, no coaching, no pause, no local save (an online attempt resumes
        from the server); straight to the desk, or to the result of a finished attempt."""
        self.mode = "timed"
        taking = self.taking
        if taking is not None:
            if not self.options.lang and taking.lang in i18n.LANGS:
                self.lang = taking.lang
            self.trainee = taking.candidate or self.trainee
            self.session = taking.session
            self.switch(self.desk)
        else:
            result = self.exam_result or {}
            if not self.options.lang and (result.get("exam") or {}).get("lang") in i18n.LANGS:
                self.lang = result["exam"]["lang"]
            self.switch(self.exam_result_screen)

    def finish_exam(self) -> None:
        """The attempt is over: show its result. Online the server's signed result is fetched
        in the background (retried while the server cannot be reached): until it has come the
        desk keeps drawing and says so; this is called again every frame."""
        if self.exam_result is None:
            result = self.taking.request_result()
            if result is None:
                text = i18n.t("exam_fetching", self.lang)
                if self.taking.last_error:
                    text += f" {i18n.pick(self.taking.last_error, self.lang)}"
                if self.notice is None or self.notice[2] != theme.BAD:  # keep "not recorded"
                    self.notify(text, 1.0, theme.WARN)
                return
            self.exam_result = result
        self.switch(self.exam_result_screen)

    def begin(self, scenario: str, seed: int | None) -> None:
        """Create the session and go to the desk."""
        self.session = self.session_factory(
            scenario, seed, self.lang, trainee=self.trainee, mode=self.mode
        )
        name = Path(str(getattr(self.session, "scenario_name", scenario))).stem
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        self.save_path = (
            self.options.save or sessions_dir() / f"{name}-{self.session.seed}-{stamp}.json"
        )
        self.save()
        self.switch(self.desk)

    def resume(self, path: Path) -> None:
        """Rebuild a session from its save file and continue at the desk."""
        self.session = self.resume_factory(path)
        self.save_path = self.options.save or path
        # who and how come from the sealed save (a changed one was refused by the resume)
        self.trainee = str(getattr(self.session, "trainee", None) or self.trainee)
        mode = getattr(self.session, "mode", None)
        self.mode = mode if mode in ("practice", "timed") else self.mode
        side = sidecar_path(path)
        if side.is_file():
            try:
                data = json.loads(side.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                data = {}
            if self.options.out_dir is None and isinstance(data.get("out"), str) and data["out"]:
                self.options.out_dir = Path(data["out"])
            if not self.options.lang and data.get("lang") in i18n.LANGS:
                self.lang = data["lang"]
        self.save()
        self.switch(self.results if getattr(self.session, "finished", False) else self.desk)

    def save(self) -> None:
        """Save the decision log (after every decision) and the UI's own settings beside it.
        Exam mode saves nothing locally: an online attempt lives on the server."""
        if self.session is None or self.save_path is None or self.exam_mode:
            return
        self.session.save(self.save_path)
        settings: dict[str, Any] = {"lang": self.lang}
        if self.options.out_dir is not None:  # --out is remembered for a resume
            settings["out"] = str(self.options.out_dir.resolve())
        _atomic_json(sidecar_path(self.save_path), settings)

    def decide(self, contact_id: Any, choice_id: str) -> Any:
        """Send a decision to the engine and save straight away (exam mode: to the attempt,
        which streams it to the server before applying it)."""
        if self.taking is not None:
            outcome = self.taking.decide(contact_id, choice_id)
            self.session = self.taking.session
            return outcome
        outcome = self.session.decide(contact_id, choice_id)
        self.save()
        return outcome

    def take_snapshot(self) -> dict[str, Any]:
        self.snapshot = self.session.snapshot() if self.session is not None else {}
        return self.snapshot

    def export_dir(self) -> Path:
        return self.options.out_dir or (
            self.save_path.with_suffix("") if self.save_path else Path.cwd() / "shapan-report"
        )

    def export_report(self) -> Path:
        """Write the HTML report (and results files) through the Session, here and now."""
        out = self.export_dir()
        self.session.export(out)  # results.json + report.html, in the Session's language
        return out / "report.html"

    @property
    def exporting(self) -> bool:
        return self.export_job is not None

    def start_export(self) -> bool:
        """Export in the background: the results are taken now, the files are written on a
        worker thread while the desk keeps drawing (a progress note says so); one at a time —
        False (and a note) while one is running. `poll_export` reports the outcome."""
        import threading

        if self.export_job is not None:
            self.notify(i18n.t("export_busy", self.lang), 2.0, theme.WARN)
            return False
        out = self.export_dir()
        try:
            write = self.session.prepare_export(out)
        except Exception as err:  # e.g. no folder to write to
            self.notify(i18n.t("export_failed", self.lang) + str(err), 6.0, theme.BAD)
            return False
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                write()
            except Exception as err:  # disk full, permissions: reported on the next frame
                box["error"] = err

        thread = threading.Thread(target=run, name="shapan-export", daemon=True)
        self.export_job = (thread, box, out / "report.html")
        thread.start()
        self.notify(i18n.t("exporting", self.lang), 3600.0, theme.ACCENT)
        return True

    def poll_export(self, wait: float | None = 0.0) -> None:
        """Report a finished background export (`wait` seconds at most; None: until done)."""
        if self.export_job is None:
            return
        thread, box, path = self.export_job
        thread.join(wait)
        if thread.is_alive():
            return
        self.export_job = None
        if "error" in box:
            self.notify(i18n.t("export_failed", self.lang) + str(box["error"]), 6.0, theme.BAD)
        else:
            self.notify(i18n.t("exported", self.lang) + str(path), 6.0, theme.GOOD)

    def record_history(self) -> bool:
        """Record a finished practice or timed session in the trainee's history (once), so
        `shapan trainee report` can show the trainee's progress. Exams are recorded by the
        exam server itself. A failure is a notice, never a crash: the session is saved anyway."""
        if (
            self.recorded
            or not self.options.history_db
            or not self.trainee
            or self.taking is not None
            or not getattr(self.session, "finished", False)
        ):
            return False
        self.recorded = True
        from sandbox.server.history import History

        try:
            history = History.open(self.options.history_db)
            try:
                history.record_session(self.trainee, self.session.results(), kind="practice",
                                       source="shapan play", label=self.mode)  # fmt: skip
            finally:
                history.close()
        except Exception as err:  # a database that cannot be opened, a bad id: a notice only
            why = (str(err).splitlines() or [type(err).__name__])[0]
            self.notify(i18n.t("history_failed", self.lang) + why, 6.0, theme.BAD)
            return False
        self.notify(i18n.t("history_recorded", self.lang) + self.trainee, 4.0, theme.GOOD)
        return True

    # ---- screens and UI state -------------------------------------------------------------
    def switch(self, screen: Any) -> None:
        if self.screen is not screen:
            self.screen.leave()
        self.screen = screen
        screen.on_resize(self.size)
        screen.enter()

    def set_lang(self, lang: str) -> None:
        import pygame

        self.lang = lang
        pygame.display.set_caption(i18n.t("app_title", lang))

    def notify(
        self, text: str, seconds: float = 4.0, color: tuple[int, int, int] = theme.ACCENT
    ) -> None:
        self.notice = (text, seconds, color)

    def _quit_title_key(self) -> str:
        if self.league is not None:
            return "league_quit_title"
        return "exam_quit_title" if self.exam_mode else "quit_title"

    def toggle_pause(self) -> None:
        if self.league is not None:
            self.notify(i18n.t("league_no_pause", self.lang), 2.5, theme.WARN)
            return
        if self.exam_mode:
            online = self.taking is not None and self.taking.is_online
            key = "exam_no_pause" if online else "exam_no_pause_offline"
            self.notify(i18n.t(key, self.lang), 2.5, theme.WARN)
            return
        if self.strict:
            self.notify(i18n.t("timed_no_pause", self.lang), 2.5, theme.WARN)
            return
        self.paused = not self.paused
        self.auto_paused = False

    def set_speed(self, index: int) -> None:
        if self.strict:  # the clock's pace is not the candidate's to set
            if not self.exam_mode:
                self.notify(i18n.t("timed_no_speed", self.lang), 2.5, theme.WARN)
            return
        self.speed_index = max(0, min(len(SPEEDS) - 1, index))
        self.paused = False

    def request_quit(self) -> None:
        """Closing mid-session asks first; elsewhere the window just closes."""
        if self.exam_mode:
            if self.screen is self.desk:
                self.confirming_quit = True
            else:
                self.quit()
            return
        if self.session is not None and not getattr(self.session, "finished", False):
            self.confirming_quit = True
        else:
            self.quit()

    def quit(self) -> None:
        self.poll_export(wait=None)  # a report half-written is not left behind
        if self.session is not None:
            self.save()
        if self.taking is not None:  # the network thread ends; the attempt lives on the server
            self.taking.shutdown()
        self.running = False

    # ---- the frame ------------------------------------------------------------------------
    def _handle(self, event: Any) -> None:
        import pygame

        if event.type == pygame.QUIT:
            self.request_quit()
            return
        if event.type in (pygame.VIDEORESIZE, pygame.WINDOWSIZECHANGED):
            if event.type == pygame.VIDEORESIZE:
                wanted = (max(event.w, theme.MIN_SIZE[0]), max(event.h, theme.MIN_SIZE[1]))
                current = pygame.display.get_surface()
                assert current is not None  # the window is open while the app runs
                if current.get_size() != wanted:  # drivers that do not resize
                    pygame.display.set_mode(wanted, self.flags)
            window = pygame.display.get_surface()
            assert window is not None
            self.window = window
            self.size = self.window.get_size()
            self.gui.set_window_resolution(self.size)
            self.screen.on_resize(self.size)
            return
        if event.type == pygame.WINDOWMINIMIZED:
            self.visible = False
            if self.mode == "practice" and not self.paused and self.screen.runs_sim:
                self.paused = self.auto_paused = True
            return
        if event.type in (pygame.WINDOWRESTORED, pygame.WINDOWSHOWN, pygame.WINDOWEXPOSED):
            self.visible = True
            if self.auto_paused:
                self.paused = self.auto_paused = False
            return
        if self.confirming_quit:
            self._handle_confirm(event)
            return
        if self.screen.handle_event(event):
            return
        self.gui.process_events(event)

    def _handle_confirm(self, event: Any) -> None:
        import pygame

        if event.type == pygame.KEYDOWN:
            if event.key in (pygame.K_y, pygame.K_RETURN, pygame.K_KP_ENTER):
                self.quit()
            elif event.key in (pygame.K_n, pygame.K_ESCAPE):
                self.confirming_quit = False
        elif event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            yes, no = self._confirm_buttons()
            if yes.rect.collidepoint(event.pos):
                self.quit()
            elif no.rect.collidepoint(event.pos):
                self.confirming_quit = False

    def step_frame(self, dt: float | None = None) -> bool:
        """One frame: events, sim advance, snapshot, draw. `dt` fixed in tests; measured live."""
        import pygame

        real_dt = self.clock.tick(60 if self.visible else 15) / 1000.0
        start = time.perf_counter()  # after the frame-rate cap's sleep: this is our own cost
        dt = real_dt if dt is None else dt
        for event in pygame.event.get():
            self._handle(event)
            if not self.running:
                return False
        if self.league is not None:
            self.league.frame(real_dt if dt is None else dt)
        if self.taking is not None and self.screen is self.desk:
            self._exam_frame(real_dt if dt is None else dt)
        elif (
            self.session is not None
            and self.screen.runs_sim
            and not self.paused
            and (not self.confirming_quit or self.strict)  # a timed clock runs on while asking
        ):
            finished = getattr(self.session, "finished", False)
            if not finished:
                self.session.advance_frame(
                    min(dt, self.max_frame_dt) * self.speed, self.frame_budget_s
                )
        self.poll_export()
        self.screen.update(dt)
        self.gui.update(dt)
        if self.notice is not None:
            text, left, color = self.notice
            self.notice = (text, left - dt, color) if left - dt > 0 else None
        if self.visible:
            self.screen.draw(self.window)
            if self.league is not None:
                self.league.draw_overlay(self.window)
            self.gui.draw_ui(self.window)
            self._draw_notice()
            if self.confirming_quit:
                self._draw_confirm()
            pygame.display.flip()
        self.frame_ms = (time.perf_counter() - start) * 1000.0
        if self.first_frame_s is None:
            self.first_frame_s = time.perf_counter() - self.t0
        return self.running

    def _exam_frame(self, dt: float) -> None:
        """Exam mode: the attempt moves at the exam clock's pace (never paused, not even by the
        quit dialog: the clock runs on the server), within the frame budget. It never waits on
        the network: the attempt's calls run on its own thread, and their answers (a decision
        acknowledged, a heartbeat, the result) are applied here, in order."""
        taking = self.taking
        if taking.finished:
            taking.tick(dt)  # the clock and the network go on; the result is on its way
        else:
            taking.advance(dt, budget_s=self.frame_budget_s)
        self.session = taking.session  # a resynchronisation rebuilds it
        for words in taking.pop_notices():
            self.notify(i18n.pick(words, self.lang), 8.0, theme.BAD)
        if taking.finished:
            self.finish_exam()

    def run(self, max_frames: int | None = None) -> int:
        """The interactive loop until the window closes (or after `max_frames` frames)."""
        import pygame

        frames = 0
        try:
            while self.step_frame():
                frames += 1
                if max_frames is not None and frames >= max_frames:
                    self.quit()
                    break
        finally:
            pygame.display.quit()
        return 0

    # ---- overlays -------------------------------------------------------------------------
    def _draw_notice(self) -> None:
        import pygame

        if self.notice is None:
            return
        text, _, color = self.notice
        if self.screen.inline_notices:
            return
        w = min(self.size[0] - 40, self.fonts.width(text, theme.BODY) + 40)
        lines = self.fonts.wrap(text, theme.BODY, w - 24)
        h = len(lines) * self.fonts.line_height(theme.BODY) + 16
        rect = pygame.Rect(0, 0, w, h)
        rect.midbottom = (self.size[0] // 2, self.size[1] - 34)
        pygame.draw.rect(self.window, theme.PANEL_ALT, rect, border_radius=8)
        pygame.draw.rect(self.window, color, rect, 2, border_radius=8)
        y = rect.top + 8
        for line in lines:
            self.window.blit(self.fonts.render(line, theme.BODY, theme.TEXT), (rect.left + 12, y))
            y += self.fonts.line_height(theme.BODY)

    def _confirm_rect(self) -> Any:
        import pygame

        rect = pygame.Rect(0, 0, 620, 210)
        rect.center = (self.size[0] // 2, self.size[1] // 2)
        return rect

    def _confirm_buttons(self) -> tuple[Any, Any]:
        import pygame

        from ui.widgets.base import Button

        rect = self._confirm_rect()
        yes = Button(
            pygame.Rect(rect.left + 40, rect.bottom - 58, 240, 40),
            i18n.t("quit_yes", self.lang),
            "yes",
            color=(150, 50, 50),
        )
        no = Button(
            pygame.Rect(rect.right - 280, rect.bottom - 58, 240, 40),
            i18n.t("quit_no", self.lang),
            "no",
            active=True,
        )
        return yes, no

    def _draw_confirm(self) -> None:
        import pygame

        from ui.widgets.base import blit_text, blit_wrapped, draw_button

        shade = pygame.Surface(self.size, pygame.SRCALPHA)
        shade.fill((0, 0, 0, 150))
        self.window.blit(shade, (0, 0))
        rect = self._confirm_rect()
        pygame.draw.rect(self.window, theme.PANEL, rect, border_radius=10)
        pygame.draw.rect(self.window, theme.WARN, rect, 2, border_radius=10)
        blit_text(
            self.window,
            self.fonts,
            i18n.t(self._quit_title_key(), self.lang),
            (rect.left + 24, rect.top + 16),
            theme.LARGE,
            bold=True,
        )
        inner = pygame.Rect(rect.left + 24, rect.top + 56, rect.width - 48, 80)
        if self.league is not None:
            text = i18n.t("league_quit_body", self.lang)
        elif self.exam_mode:
            online = self.taking is not None and self.taking.is_online
            text = i18n.t("exam_quit_body" if online else "exam_quit_body_offline", self.lang)
        else:
            body = "timed_quit_body" if self.strict else "quit_body"
            text = i18n.t(body, self.lang) + " " + str(self.save_path or "")
        blit_wrapped(self.window, self.fonts, text, inner, inner.top, theme.SMALL, theme.MUTED)
        for button in self._confirm_buttons():
            draw_button(self.window, self.fonts, button)
