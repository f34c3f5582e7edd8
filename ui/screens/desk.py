"""The agent desk: queue, conversation, customer card, knowledge, options, KPI bar, alerts.

Everything drawn comes from one `Session.snapshot()` per frame; the only thing sent back is
`decide(contact_id, choice_id)` (via the app, which saves after every decision). Text is cached
by `Fonts`, the KPI bar re-renders only when KPIs change.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sandbox import kpi_catalogue as kc
from ui import i18n, theme
from ui.screens import Screen
from ui.widgets.base import Button, blit_text, blit_wrapped, draw_button, draw_panel, hit, meter
from ui.widgets.kpi_bar import KpiBar

if TYPE_CHECKING:  # pragma: no cover
    import pygame

    from ui.app import App

ALERT_SECONDS = 6.0
#: knowledge kinds a timed/exam desk still shows: reference a real agent has (FAQ, policy)
STRICT_KB_KINDS = ("faq", "compliance")
ABANDON_SHOWN_S = 120.0  # sim seconds a hang-up in the queue stays listed
ALERT_COLORS = {
    "trigger": theme.WARN,
    "risk": theme.BAD,
    "hangup": theme.BAD,
    "abandon": theme.MUTED,
}
_NUMBER_KEYS: dict[int, int] = {}


def _number_keys() -> dict[int, int]:
    import pygame

    if not _NUMBER_KEYS:
        for n in range(1, 10):
            _NUMBER_KEYS[getattr(pygame, f"K_{n}")] = n
            _NUMBER_KEYS[getattr(pygame, f"K_KP{n}")] = n
    return _NUMBER_KEYS


def human_contact(snapshot: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The contact at the (first) human seat, if any."""
    for seat in snapshot.get("seats") or ():
        if seat.get("contact"):
            return seat["contact"]
    return None


def mood_words(mood: Mapping[str, Any], lang: str) -> str:
    """The customer's mood now, in words, from the live anger meter (the card's temperament
    is their disposition; a calm person can be angry today)."""
    anger = float(mood.get("anger") or 0.0)
    key = "mood_angry" if anger >= 6 else "mood_upset" if anger >= 3 else "mood_calm"
    return f"{i18n.t('mood_now', lang)}: {i18n.t(key, lang)} ({anger:.0f}/10)"


def _alert_key(alert: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        alert.get("t"),
        alert.get("contact_id"),
        alert.get("kind"),
        i18n.pick(alert.get("text"), "en"),
    )


class DeskScreen(Screen):
    runs_sim = True

    def __init__(self, app: App) -> None:
        super().__init__(app)
        self.kpi_bar = KpiBar(app.fonts)
        self.buttons: list[Button] = []
        self.option_buttons: list[Button] = []
        self.scroll = 0
        self.kb_index = 0
        self.contact_id: Any = None
        self.seen_alerts: set[tuple[Any, ...]] = set()
        self.banners: list[tuple[Mapping[str, Any], float]] = []
        self.layout: dict[str, Any] = {}
        self.mouse = (-1, -1)
        self.shown_options: list[dict[str, Any]] = []
        self.shown_queue: list[dict[str, Any]] = []
        self.shown_abandoned: list[Any] = []
        self.last_feedback: str = ""
        self.drew_emotion = False
        self.last_summary = ""
        self.feedback_contact: Any = None
        self.strip_text = ""
        self.feedback_for: tuple[Any, str, float] | None = None
        self.shown_header: dict[str, str] = {}
        self.shown_clock = ""
        self.drew_required = False
        self.tags_shown = 0
        self.shown_kb: list[str] = []
        self.shown_subtitle = ""
        self.shown_banners: list[str] = []
        self.shown_alerts: list[str] = []
        from ui.learning_pack import LearningPackPanel  # the knowledge push (issue 16)

        self.learning_pack = LearningPackPanel(app)
        # the practice room (ui.practice_room): the last decision's effect, the scorecard
        self.shown_effect: list[str] = []
        self.scorecard: dict[str, Any] | None = None
        self.shown_scorecard: list[str] = []
        self.highlighted: list[str] = []
        self.kb_scroll = 0
        self.required_text = ""
        self.kb_more = False
        self.shown_kb_lines: list[str] = []
        self.shown_card: list[str] = []

    # ---- layout -------------------------------------------------------------------------
    def on_resize(self, size: tuple[int, int]) -> None:
        import pygame

        w, h = size
        p = theme.PAD
        top, kpi_h, hint_h = 46, 60, 26
        body_top = top + kpi_h + 2 * p
        body_h = h - body_top - hint_h
        left_w = max(220, int(w * 0.19))
        right_w = max(300, int(w * 0.27))
        center_w = w - left_w - right_w - 4 * p
        center_x = p + left_w + p
        right_x = center_x + center_w + p
        self.layout = {
            "top": pygame.Rect(0, 0, w, top),
            "kpi": pygame.Rect(p, top + p, w - 2 * p, kpi_h),
            "queue": pygame.Rect(p, body_top, left_w, body_h),
            "center": pygame.Rect(center_x, body_top, center_w, body_h),
            "card": pygame.Rect(right_x, body_top, right_w, int(body_h * 0.34)),
            "kb": pygame.Rect(
                right_x, body_top + int(body_h * 0.34) + p, right_w, int(body_h * 0.36) - p
            ),
            "alerts": pygame.Rect(
                right_x, body_top + int(body_h * 0.70) + p, right_w, body_h - int(body_h * 0.70) - p
            ),
            "hint": pygame.Rect(0, h - hint_h, w, hint_h),
        }
        self._top_buttons()

    def _top_buttons(self) -> None:
        import pygame

        lang, app = self.app.lang, self.app
        if app.strict:  # no speed, no pause, no live results in an exam or a timed session
            self.buttons = []
            return
        w = self.app.size[0]
        x = w - theme.PAD
        buttons = []
        rb = pygame.Rect(0, 7, 130, 32)
        rb.right = x
        buttons.append(Button(rb, i18n.t("results_button", lang), "results"))
        x = rb.left - 16
        for idx in reversed(range(3)):
            r = pygame.Rect(0, 7, 52, 32)
            r.right = x
            buttons.append(
                Button(
                    r,
                    f"{int(2**idx)}×",
                    f"speed{idx}",
                    active=app.speed_index == idx and not app.paused,
                )
            )
            x = r.left - 4
        r = pygame.Rect(0, 7, 52, 32)
        r.right = x
        buttons.append(
            Button(
                r,
                "▶" if app.paused else "||",
                "pause",
                enabled=app.mode != "timed",
                active=app.paused,
            )
        )
        self.buttons = buttons

    # ---- input --------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> bool:
        import pygame

        if self.learning_pack.handle_event(event):
            return True

        if event.type == pygame.KEYDOWN:
            keys = _number_keys()
            if event.key in keys:
                self.choose(keys[event.key])
            elif event.key == pygame.K_SPACE:
                self.app.toggle_pause()
            elif event.key in (pygame.K_F1, pygame.K_F2, pygame.K_F3):
                self.app.set_speed((pygame.K_F1, pygame.K_F2, pygame.K_F3).index(event.key))
            elif event.key in (pygame.K_UP, pygame.K_PAGEUP):
                self.scroll += 3 if event.key == pygame.K_UP else 12
            elif event.key in (pygame.K_DOWN, pygame.K_PAGEDOWN):
                self.scroll = max(0, self.scroll - (3 if event.key == pygame.K_DOWN else 12))
            elif event.key == pygame.K_END:
                self.scroll = 0
            elif event.key == pygame.K_k:
                self.kb_index += 1
                self.kb_scroll = 0
            elif event.key == pygame.K_j:
                self.kb_scroll = self.kb_scroll + 3 if self.kb_more else 0
            elif event.key == pygame.K_RETURN and self.scorecard is not None:
                self.close_scorecard()
            elif event.key == pygame.K_c:
                self.skip_speaking()
            elif event.key == pygame.K_r:
                self.app.results.open(live=True)  # refused under exam rules (results.open)
            elif event.key == pygame.K_ESCAPE:
                self.app.request_quit()
            else:
                return False
            return True
        if event.type == pygame.MOUSEMOTION:
            self.mouse = event.pos
            return True
        if event.type == pygame.MOUSEWHEEL:
            if self.layout.get("kb") is not None and self.layout["kb"].collidepoint(self.mouse):
                self.kb_scroll = max(0, self.kb_scroll - event.y * 2)
            else:
                self.scroll = max(0, self.scroll + event.y * 3)
            return True
        if event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            button = hit(self.buttons + self.option_buttons, event.pos)
            if button is not None:
                self._action(button.action)
            return True
        return event.type == pygame.MOUSEBUTTONDOWN

    def _action(self, action: str) -> None:
        if action == "results":
            self.app.results.open(live=True)
        elif action == "pause":
            self.app.toggle_pause()
        elif action.startswith("speed"):
            self.app.set_speed(int(action[5:]))
        elif action.startswith("choose"):
            self.choose(int(action[6:]))

    def choose(self, number: int) -> None:
        """Decide the choice shown with `number` for the contact at the human seat."""
        contact = human_contact(self.app.snapshot)
        lang = self.app.lang
        if not contact or not contact.get("awaiting_decision"):
            return
        choice = next((c for c in contact.get("choices") or () if c.get("number") == number), None)
        if choice is None or (self.app.mode == "timed" and not choice.get("available", True)):
            return
        if not choice.get("available", True):
            reason = i18n.pick(choice.get("reason"), lang) or i18n.t("unavailable", lang)
            self.app.notify(f"{number}. {reason}", 3.0, theme.WARN)
            return
        from sandbox.exam.taking import TakingError
        from sandbox.session import SessionError  # part of the Session API

        try:
            outcome = self.app.decide(contact["contact_id"], choice["id"])
        except SessionError as err:  # e.g. the customer hung up this very moment
            self.app.notify(i18n.t("decision_refused", lang) + str(err), 4.0, theme.WARN)
            return
        except TakingError as err:  # exam mode: the attempt refused it (sending, time up)
            self.app.notify(i18n.t("exam_decision_not_sent", lang) + err.message(lang), 4.0,
                            theme.WARN)  # fmt: skip
            return
        self.scroll = 0
        if self.app.mode == "practice":  # the engine applies it on the next step; see update()
            self.feedback_for = (
                contact["contact_id"],
                choice["id"],
                float(self.app.snapshot.get("now") or 0.0),
            )
            self._feedback(outcome)

    def _feedback(self, outcome: Any = None) -> None:
        """Practice mode: toast the feedback of the decision just taken, once the Session shows
        it (the return value of `decide`, or the contact's `last_decision` in a snapshot)."""
        if self.feedback_for is None:
            return
        lang = self.app.lang
        contact_id, choice_id, t = self.feedback_for
        text = ""
        if isinstance(outcome, Mapping) and outcome.get("feedback"):
            text = i18n.pick(outcome["feedback"], lang)
        else:
            contact = human_contact(self.app.snapshot)
            if not contact or contact.get("contact_id") != contact_id:
                self.feedback_for = None  # the contact ended: its summary says how it went
                return
            last = contact.get("last_decision") or {}
            if last.get("choice_id") != choice_id or float(last.get("t") or 0.0) < t - 1e-6:
                return  # not applied yet
            text = i18n.pick(last.get("feedback"), lang)
        self.feedback_for = None
        if text:
            self.last_feedback, self.feedback_contact = text, contact_id
            self.app.notify(f"{i18n.t('feedback', lang)}: {text}", 5.0, theme.ACCENT)

    # ---- frame --------------------------------------------------------------------------
    def enter(self) -> None:
        self.app.gui.clear_and_reset()
        self.app.take_snapshot()

    def update(self, dt: float) -> None:
        snap = self.app.take_snapshot()
        contact = human_contact(snap)
        cid = contact.get("contact_id") if contact else None
        if cid != self.contact_id:
            ended = self.contact_id
            self.contact_id, self.scroll, self.kb_index, self.kb_scroll = cid, 0, 0, 0
            if ended is not None and self.app.mode == "practice" and not snap.get("finished"):
                self.contact_summary(ended)
                self.open_scorecard(ended)
        for alert in snap.get("alerts") or ():
            key = _alert_key(alert)
            if key not in self.seen_alerts:
                self.seen_alerts.add(key)
                if alert.get("kind") in self._banner_kinds():
                    self.banners.append((alert, ALERT_SECONDS))
        if self.scorecard is not None and contact and contact.get("awaiting_decision"):
            self.close_scorecard()  # the next customer is waiting for the trainee
        waiting = bool(contact and contact.get("trigger_alert"))
        self.banners = [
            (a, left if waiting and a.get("kind") == "trigger" and a.get("contact_id") == cid
             else left - dt)
            for a, left in self.banners
            if left - dt > 0 or (waiting and a.get("kind") == "trigger" and a.get("contact_id") == cid)
        ][-3:]  # fmt: skip
        self._feedback()
        if snap.get("finished") and not self.app.exam_mode:
            self.app.record_history()
            self.app.results.open(live=False)

    def _banner_kinds(self) -> tuple[str, ...]:
        """Exam mode flashes only what a real line shows (a hang-up): rule triggers and risk
        points would coach the candidate."""
        return ("hangup",) if self.app.strict else ("trigger", "risk", "hangup")

    def contact_summary(self, contact_id: Any) -> None:
        """Practice mode: when a contact ends, say how it went (outcome, predicted CSAT, risks)."""
        lang = self.app.lang
        record = next(
            (
                c
                for c in self.app.session.results().get("contacts") or ()
                if c.get("contact_id") == contact_id
            ),
            None,
        )
        if record is None:
            return
        outcome = str(record.get("outcome") or "unresolved")
        risks = int(record.get("risk_points") or 0)
        text = (
            f"{i18n.t('contact_ended', lang)} #{contact_id}: {i18n.outcome_label(outcome, lang)} · "
            f"{i18n.t('csat_after', lang)} {kc.format_value('csat_mean', record.get('csat_mean'), lang)} · "
            f"{i18n.t('risk_point', lang)} {risks}"
        )
        self.last_summary = text
        good = outcome in ("resolved", "sale") and not risks
        self.app.notify(text, 5.0, theme.GOOD if good else theme.WARN)

    def open_scorecard(self, contact_id: Any) -> None:
        """Practice mode: the ended contact's scorecard with the customer's last lines stays
        on the desk until the trainee moves on (Enter) or the next customer waits for a reply."""
        record = next((c for c in self.app.session.results().get("contacts") or ()
                       if c.get("contact_id") == contact_id), None)  # fmt: skip
        if record is None:
            return
        self.scorecard = dict(record)

    def close_scorecard(self) -> None:
        self.scorecard = None

    def skip_speaking(self, limit_s: float = 180.0) -> float:
        """Practice mode, "continue" (C): skip the rest of the customer's speaking time — the
        centre runs on until the seat's contact waits for a decision (or ends), at most
        `limit_s` sim seconds. Returns the sim seconds skipped."""
        if self.app.strict or self.app.paused:
            return 0.0
        session = self.app.session
        contact = human_contact(self.app.snapshot)
        if not contact or contact.get("awaiting_decision") or session.finished:
            return 0.0
        start = session.now
        cid = contact.get("contact_id")
        while session.now - start < limit_s and not session.finished:
            session.advance(1.0)
            if any(p["contact_id"] == cid for p in session.pending_decisions()):
                break
            if not any((s.get("contact") or {}).get("contact_id") == cid
                       for s in session.snapshot().get("seats") or ()):  # fmt: skip
                break
        self.app.take_snapshot()
        return session.now - start

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(theme.BG)
        snap, lang = self.app.snapshot, self.app.lang
        self._top_buttons()
        self._draw_top(surface, snap, lang)
        if self.app.taking is not None:
            self._draw_exam_header(surface, self.layout["kpi"], lang)
        else:
            self.kpi_bar.draw(
                surface, self.layout["kpi"], snap.get("kpis") or {}, snap.get("targets") or {}, lang
            )
        contact = human_contact(snap)
        self._draw_queue(surface, snap, lang)
        if self.scorecard is not None and self.app.mode == "practice":
            self._draw_scorecard(surface, self.scorecard, lang)
        else:
            self._draw_center(surface, contact, lang)
        self._draw_card(surface, contact, lang)
        self._draw_kb(surface, contact, lang)
        self._draw_alerts(surface, snap, lang)
        self.learning_pack.draw(surface, snap, lang, self.layout["kb"].union(self.layout["alerts"]))
        keys = "keys_timed" if self.app.strict else "keys_desk"
        if self.app.taking is not None:
            keys = "keys_exam" if self.app.taking.is_online else "keys_exam_offline"
        blit_text(
            surface,
            self.app.fonts,
            i18n.t(keys, lang),
            self.layout["hint"].center,
            theme.SMALL,
            theme.DIM,
            anchor="center",
            max_width=self.layout["hint"].width - 16,
        )

    # ---- pieces -------------------------------------------------------------------------
    def _draw_top(self, surface: pygame.Surface, snap: Mapping[str, Any], lang: str) -> None:
        import pygame

        fonts, app = self.app.fonts, self.app
        bar = self.layout["top"]
        pygame.draw.rect(surface, theme.PANEL, bar)
        pygame.draw.line(surface, theme.BORDER, bar.bottomleft, bar.bottomright)
        mode = i18n.t(app.mode, lang)
        name = str(getattr(app.session, "scenario_name", ""))
        left = f"{i18n.t('app_title', lang)}  |  {name}  |  {app.trainee}  |  {mode}"
        speed_left = self.buttons[-1].rect.left if self.buttons else bar.right - theme.PAD
        clock = str(snap.get("clock") or i18n.duration(snap.get("now")))
        taking = app.taking
        if taking is not None:
            # the exam clock, not the session's: it keeps moving while a decision is sending
            clock = self.clock_at(taking.clock_s, seconds=True)
            exam = taking.exam
            left = f"{i18n.t('exam', lang)}  |  {i18n.pick(exam.title, lang)}"
            if not taking.is_online:
                left += f"  |  {i18n.t('unproctored', lang)}"
        self.shown_clock = clock
        clock_img = fonts.render(clock, theme.TITLE, theme.TEXT, True)
        clock_rect = clock_img.get_rect(midright=(speed_left - 16, bar.centery))
        blit_text(
            surface,
            fonts,
            left,
            (theme.PAD + 4, bar.centery),
            theme.BODY,
            theme.MUTED,
            anchor="midleft",
            max_width=max(40, clock_rect.left - 110 - theme.PAD),
        )
        surface.blit(clock_img, clock_rect)
        if taking is not None:
            pass  # the header shows the time left: no pause, no scenario end
        elif app.paused:
            blit_text(
                surface,
                fonts,
                i18n.t("paused", lang),
                (clock_rect.left - 10, bar.centery),
                theme.BODY,
                theme.WARN,
                True,
                anchor="midright",
            )
        else:
            end = snap.get("end") or 0
            now = snap.get("now") or 0
            blit_text(
                surface,
                fonts,
                f"-{i18n.duration(max(0, end - now))}",
                (clock_rect.left - 10, bar.centery),
                theme.SMALL,
                theme.DIM,
                anchor="midright",
            )
        for button in self.buttons:
            draw_button(surface, fonts, button, button.rect.collidepoint(self.mouse))

    def _draw_queue(self, surface: pygame.Surface, snap: Mapping[str, Any], lang: str) -> None:
        import pygame

        fonts = self.app.fonts
        queue = list(snap.get("queue") or ())
        rect = self.layout["queue"]
        inner = draw_panel(surface, fonts, rect, f"{i18n.t('queue', lang)} ({len(queue)})")
        now = float(snap.get("now") or 0.0)
        abandoned = [
            a
            for a in snap.get("abandoned_recent") or ()
            if now - float(a.get("at") or 0.0) <= ABANDON_SHOWN_S
        ][-4:]
        row_h = 44
        ab_h = (len(abandoned) * 24 + 26) if abandoned else 0
        rows = max(0, (inner.height - ab_h) // row_h)
        self.shown_queue = []
        self.shown_abandoned = []
        y = inner.top
        if not queue:
            blit_text(
                surface,
                fonts,
                i18n.t("queue_empty", lang),
                (inner.left, y + 4),
                theme.SMALL,
                theme.DIM,
            )
        for item in queue[:rows]:
            row = pygame.Rect(inner.left, y, inner.width, row_h - 4)
            pygame.draw.rect(surface, theme.PANEL_ALT, row, border_radius=4)
            channel = str(item.get("channel", ""))
            ccol = theme.CHANNEL_COLORS.get(channel, theme.MUTED)
            pygame.draw.rect(surface, ccol, (row.left, row.top, 4, row.height), border_radius=2)
            x = row.left + 10
            tag = blit_text(
                surface,
                fonts,
                i18n.label(i18n.CHANNELS, channel, lang),
                (x, row.top + 2),
                theme.SMALL,
                ccol,
                True,
            )
            x = tag.right + 6
            if item.get("vip"):
                vip = blit_text(
                    surface, fonts, "★VIP", (x, row.top + 2), theme.SMALL, theme.VIP, True
                )
                x = vip.right + 6
            waited = float(item.get("waited_s") or 0)
            wcol = theme.BAD if waited >= 60 else theme.WARN if waited >= 20 else theme.TEXT
            blit_text(
                surface,
                fonts,
                i18n.duration(waited),
                (row.right - 6, row.top + 2),
                theme.SMALL,
                wcol,
                True,
                anchor="topright",
            )
            title = i18n.pick(item.get("title"), lang) or str(item.get("journey_id", ""))
            blit_text(
                surface,
                fonts,
                title,
                (row.left + 10, row.top + 21),
                theme.SMALL,
                theme.MUTED,
                max_width=row.width - 16,
            )
            self.shown_queue.append(
                {
                    "contact_id": item.get("contact_id"),
                    "wait": i18n.duration(waited),
                    "vip": bool(item.get("vip")),
                }
            )
            y += row_h
        if len(queue) > rows and rows:
            blit_text(
                surface,
                fonts,
                f"+{len(queue) - rows}",
                (inner.right, inner.bottom - ab_h - 2),
                theme.SMALL,
                theme.DIM,
                anchor="bottomright",
            )
        if abandoned:
            y = inner.bottom - ab_h + 4
            blit_text(
                surface,
                fonts,
                i18n.t("recent_abandoned", lang),
                (inner.left, y),
                theme.SMALL,
                theme.BAD,
                True,
            )
            y += 22
            for item in reversed(abandoned):
                channel = i18n.label(i18n.CHANNELS, str(item.get("channel", "")), lang)
                blit_text(
                    surface,
                    fonts,
                    f"× {channel} · {i18n.t('waited', lang)} {i18n.duration(item.get('waited_s'))}",
                    (inner.left + 4, y),
                    theme.SMALL,
                    theme.BAD,
                    max_width=inner.width - 4,
                )
                self.shown_abandoned.append(item.get("contact_id"))
                y += 24

    def _draw_center(
        self, surface: pygame.Surface, contact: Mapping[str, Any] | None, lang: str
    ) -> None:
        import pygame

        fonts, app = self.app.fonts, self.app
        rect = self.layout["center"]
        self.option_buttons = []
        self.shown_options = []
        self.drew_emotion = False
        if not contact and app.taking is not None:
            inner = draw_panel(surface, fonts, rect, i18n.t("exam_instructions", lang))
            exam = app.taking.exam
            y = blit_wrapped(surface, fonts, i18n.pick(exam.title, lang), inner, inner.top,
                             theme.LARGE, theme.TEXT, True)  # fmt: skip
            y = blit_wrapped(surface, fonts, i18n.pick(exam.instructions, lang), inner, y + 8,
                             theme.BODY, theme.MUTED)  # fmt: skip
            blit_text(surface, fonts, i18n.t("no_contact", lang), (inner.centerx, y + 40),
                      theme.LARGE, theme.DIM, anchor="center", max_width=inner.width)  # fmt: skip
            self._draw_banners(surface, inner, lang, y + 70)
            return
        if not contact:
            inner = draw_panel(surface, fonts, rect, i18n.t("conversation", lang))
            blit_text(
                surface,
                fonts,
                i18n.t("no_contact" if self.app.snapshot.get("seats") else "no_seat", lang),
                inner.center,
                theme.LARGE,
                theme.DIM,
                anchor="center",
                max_width=inner.width,
            )
            self._draw_banners(surface, inner, lang)
            return
        choices = [
            c
            for c in contact.get("choices") or ()
            if app.mode == "practice" or c.get("available", True)
        ]
        awaiting = bool(contact.get("awaiting_decision"))
        # exam mode, online: the decision on its way to the server (applied once acknowledged)
        sending = app.taking.sending_choice if app.taking is not None else None
        if sending is not None and sending[0] != contact.get("contact_id"):
            sending = None
        sending_label = i18n.t("exam_option_sending", lang)
        label_w = fonts.width(sending_label, theme.BODY, True) + 16
        opt_w = rect.width - 2 * theme.PAD - 40
        opt_lines = (
            [
                fonts.wrap(
                    self._choice_text(c, lang),
                    theme.BODY,
                    opt_w - (label_w if sending and c.get("id") == sending[1] else 0),
                )[:3]
                for c in choices
            ]
            if awaiting
            else []
        )
        line_h = fonts.line_height(theme.BODY)
        cap = int(rect.height * 0.5)
        for most in (2, 1):  # every option on screen: fewer lines each before any is dropped
            if sum(len(lines) * line_h + 10 for lines in opt_lines) + 40 <= cap:
                break
            opt_lines = [
                [*lines[:most - 1], lines[most - 1] + "…"] if len(lines) > most else lines
                for lines in opt_lines
            ]  # fmt: skip
        opt_h = sum(len(lines) * line_h + 10 for lines in opt_lines) + 40 if awaiting else 64
        opt_h = min(opt_h, cap)
        conv = pygame.Rect(rect.left, rect.top, rect.width, rect.height - opt_h - theme.PAD)
        opts = pygame.Rect(rect.left, conv.bottom + theme.PAD, rect.width, opt_h)
        # exam mode: no coaching — the "required next" hint is not shown
        required = [] if app.strict else list(contact.get("required_behaviours") or ())
        border = theme.WARN if required or contact.get("trigger_alert") else theme.BORDER
        inner = draw_panel(surface, fonts, conv, None, border, 2 if border is theme.WARN else 1)
        # header: who, channel, stage, handle-time clock
        title = i18n.pick(contact.get("title"), lang) or str(contact.get("journey_id", ""))
        channel = i18n.label(i18n.CHANNELS, str(contact.get("channel", "")), lang)
        stage = i18n.label(i18n.STAGES, str(contact.get("stage", "")), lang)
        blit_text(
            surface,
            fonts,
            f"{title}",
            (inner.left, inner.top),
            theme.LARGE,
            theme.TEXT,
            True,
            max_width=inner.width - 190,
        )
        blit_text(
            surface,
            fonts,
            self._subtitle(contact, channel, stage, lang),
            (inner.left, inner.top + 30),
            theme.SMALL,
            theme.MUTED,
            max_width=inner.width - 190,
        )
        blit_text(
            surface,
            fonts,
            i18n.t("handle_time", lang),
            (inner.right, inner.top),
            theme.SMALL,
            theme.MUTED,
            anchor="topright",
        )
        handle = float(contact.get("handle_s") or 0)
        blit_text(
            surface,
            fonts,
            i18n.duration(handle),
            (inner.right, inner.top + 16),
            theme.TITLE,
            theme.WARN if handle > 300 else theme.TEXT,
            True,
            anchor="topright",
        )
        y = inner.top + 56
        self.drew_emotion = app.mode == "practice"
        if self.drew_emotion:
            y = self._draw_emotion(
                surface,
                contact.get("mood") or {},
                pygame.Rect(inner.left, y, inner.width, 20),
                lang,
            )
        self.drew_required = bool(required)
        if required:
            rule = contact.get("trigger_alert") or {}
            failed = i18n.pick(rule.get("text"), lang) if rule.get("status") == "failed" else ""
            y = self._draw_required(
                surface, required, pygame.Rect(inner.left, y, inner.width, 0), lang, failed
            )
        y = self._draw_banners(surface, inner, lang, y + 2) - 4
        y = self._draw_effect(surface, inner, contact, lang, y)
        bottom = self._draw_strip(surface, inner, contact, lang)
        pygame.draw.line(surface, theme.BORDER, (inner.left, y + 2), (inner.right, y + 2))
        self._draw_transcript(
            surface,
            contact.get("transcript") or [],
            pygame.Rect(inner.left, y + 8, inner.width, bottom - y - 8),
            lang,
            keywords=[] if app.strict else
            list((contact.get("trigger_alert") or {}).get("keywords") or ()),
        )  # fmt: skip
        # options
        oinner = draw_panel(surface, fonts, opts, i18n.t("options", lang))
        if not awaiting:
            blit_text(
                surface,
                fonts,
                i18n.t("waiting_customer", lang),
                (oinner.left, oinner.top + 4),
                theme.BODY,
                theme.DIM,
            )
            return
        y = oinner.top
        for choice, lines in zip(choices, opt_lines, strict=True):
            h = len(lines) * line_h + 6
            if y + h > oinner.bottom + 4:
                break
            row = pygame.Rect(oinner.left, y, oinner.width, h)
            chosen = sending is not None and choice.get("id") == sending[1]
            # while a decision is sending, the other options wait (a click says so)
            ok = bool(choice.get("available", True)) and (sending is None or chosen)
            number = int(choice.get("number") or 0)
            button = Button(row, "", f"choose{number}", enabled=True)
            hovered = ok and sending is None and row.collidepoint(self.mouse)
            fill = theme.SELECTED if chosen else theme.HOVER if hovered else theme.PANEL_ALT
            pygame.draw.rect(surface, fill, row, border_radius=4)
            if chosen:
                pygame.draw.rect(surface, theme.WARN, row, 2, border_radius=4)
                blit_text(surface, fonts, sending_label, (row.right - 8, row.top + 3),
                          theme.BODY, theme.WARN, True, anchor="topright")  # fmt: skip
            key_box = pygame.Rect(row.left + 4, row.top + 3, 26, line_h)
            pygame.draw.rect(surface, theme.ACCENT if ok else theme.DIM, key_box, border_radius=4)
            blit_text(
                surface,
                fonts,
                str(number),
                key_box.center,
                theme.BODY,
                theme.BG if ok else theme.PANEL,
                True,
                anchor="center",
            )
            ty = row.top + 3
            for line in lines:
                surface.blit(
                    fonts.render(line, theme.BODY, theme.TEXT if ok else theme.DIM),
                    (row.left + 38, ty),
                )
                ty += line_h
            self.option_buttons.append(button)
            self.shown_options.append(
                {
                    "number": number,
                    "id": choice.get("id"),
                    "text": i18n.pick(choice.get("text"), lang),
                    "available": bool(choice.get("available", True)),
                    "sending": chosen,
                    "label": sending_label if chosen else "",
                }
            )
            y += h + 4

    def _draw_effect(
        self, surface: pygame.Surface, inner: pygame.Rect, contact: Mapping[str, Any], lang: str,
        top: int,
    ) -> int:  # fmt: skip
        """Practice mode: the last decision's predicted effect, rubric and reason, at once."""
        import pygame

        from ui.practice_room import effect_lines

        self.shown_effect = []
        if self.app.mode != "practice" or self.app.strict:
            return top
        last = contact.get("last_decision") or {}
        effect = last.get("effect") or {}
        lines = effect_lines(effect, lang, int(effect.get("contact_risk_points") or 0))
        if not lines:
            return top
        fonts = self.app.fonts
        step = fonts.line_height(theme.SMALL)
        wrapped = [(w, color) for text, color in lines
                   for w in fonts.wrap(text, theme.SMALL, inner.width - 16)[:2]]  # fmt: skip
        # the transcript keeps room for its last lines (and the feedback strip): the effect
        # gives up its last lines (rubric detail) first, never the CSAT lines
        body = fonts.line_height(theme.BODY)
        room = (inner.bottom - top - 8) - (2 * body + 14) - 3 * body
        wrapped = wrapped[: max(0, room // step)]
        if not wrapped:
            return top
        box = pygame.Rect(inner.left, top + 4, inner.width, len(wrapped) * step + 8)
        pygame.draw.rect(surface, theme.PANEL_ALT, box, border_radius=4)
        ty = box.top + 4
        for text, color in wrapped:
            surface.blit(fonts.render(text, theme.SMALL, color), (box.left + 8, ty))
            self.shown_effect.append(text)
            ty += step
        return box.bottom

    def _draw_scorecard(
        self, surface: pygame.Surface, record: Mapping[str, Any], lang: str
    ) -> None:
        """Practice mode, contact end: the scorecard and the customer's last lines."""
        from ui.practice_room import last_lines, scorecard_lines

        fonts = self.app.fonts
        rect = self.layout["center"]
        title = i18n.pick(record.get("journey_title"), lang)
        inner = draw_panel(surface, fonts, rect, f"{i18n.t('scorecard', lang)} · {title}")
        self.option_buttons, self.shown_options = [], []
        self.shown_scorecard = []
        # how to move on, first (toasts at the foot never cover it)
        blit_text(surface, fonts, i18n.t("scorecard_next", lang), (rect.centerx, rect.top + 30),
                  theme.LARGE, theme.ACCENT, True, anchor="midtop", max_width=inner.width)  # fmt: skip
        y = rect.top + 64
        for text, color in scorecard_lines(record, lang):
            y = blit_wrapped(surface, fonts, text, inner, y, theme.BODY, color, True) + 4
            self.shown_scorecard.append(text)
        y = blit_wrapped(surface, fonts, i18n.t("customer_last", lang), inner, y + 8,
                         theme.SMALL, theme.MUTED, True)  # fmt: skip
        for entry in last_lines(record):
            speaker = str(entry.get("speaker", "system"))
            color = {"customer": theme.CUSTOMER, "agent": theme.AGENT}.get(speaker, theme.SYSTEM)
            said = i18n.without_label(i18n.pick(entry.get("text"), lang),
                                      i18n.label(i18n.SPEAKERS, speaker, lang))  # fmt: skip
            text = f"{i18n.label(i18n.SPEAKERS, speaker, lang)}: {said}"
            y = blit_wrapped(surface, fonts, text, inner, y + 2, theme.BODY, color)
            self.shown_scorecard.append(text)

    def _draw_strip(
        self, surface: pygame.Surface, inner: pygame.Rect, contact: Mapping[str, Any], lang: str
    ) -> int:
        """A strip under the transcript for toasts (feedback, refusals): it never covers the
        transcript or the options. Returns the strip's top (the transcript's bottom)."""
        import pygame

        fonts = self.app.fonts
        notice = self.app.notice
        if notice is not None:
            text, color = notice[0], notice[2]
        elif (
            self.app.mode == "practice"
            and self.last_feedback
            and self.feedback_contact == contact.get("contact_id")
        ):
            text, color = f"{i18n.t('feedback', lang)}: {self.last_feedback}", theme.DIM
        else:
            self.strip_text = ""
            return inner.bottom
        self.strip_text = text
        lines = fonts.wrap(text, theme.BODY, inner.width - 20)[:3]
        step = fonts.line_height(theme.BODY)
        box = pygame.Rect(
            inner.left, inner.bottom - len(lines) * step - 10, inner.width, len(lines) * step + 10
        )
        pygame.draw.rect(surface, theme.PANEL_ALT, box, border_radius=6)
        pygame.draw.rect(surface, color, box, 2, border_radius=6)
        ty = box.top + 5
        for line in lines:
            surface.blit(fonts.render(line, theme.BODY, theme.TEXT), (box.left + 10, ty))
            ty += step
        return box.top - 4

    def _subtitle(self, contact: Mapping[str, Any], channel: str, stage: str, lang: str) -> str:
        """Channel · stage · waited — a contact with no stage has no "stage: None"."""
        parts = [channel]
        if contact.get("stage"):
            parts.append(f"{i18n.t('stage', lang)}: {stage}")
        parts.append(f"{i18n.t('waited', lang)} {i18n.duration(contact.get('waited_s'))}")
        self.shown_subtitle = " · ".join(p for p in parts if p)
        return self.shown_subtitle

    def _choice_text(self, choice: Mapping[str, Any], lang: str) -> str:
        text = i18n.pick(choice.get("text"), lang)
        if not choice.get("available", True):
            reason = i18n.pick(choice.get("reason"), lang) or i18n.t("unavailable", lang)
            text = f"{text}  ({reason})"
        return text

    def _draw_emotion(
        self, surface: pygame.Surface, mood: Mapping[str, Any], rect: pygame.Rect, lang: str
    ) -> int:
        import pygame

        fonts = self.app.fonts
        label_rect = blit_text(
            surface,
            fonts,
            i18n.t("emotion", lang),
            (rect.left, rect.top),
            theme.SMALL,
            theme.MUTED,
            True,
        )
        x = rect.left + label_rect.width + 12
        slot = (rect.right - x) // 3
        for key, color in (("anger", theme.BAD), ("trust", theme.GOOD), ("patience", theme.ACCENT)):
            value = mood.get(key)
            name = blit_text(
                surface, fonts, i18n.t(key, lang), (x, rect.top), theme.SMALL, theme.MUTED
            )
            frac = 0.0 if value is None else float(value) / 10.0
            meter(
                surface,
                pygame.Rect(name.right + 6, rect.top + 5, slot - (name.width + 16) - 22, 10),
                frac,
                color,
            )
            blit_text(
                surface,
                fonts,
                "–" if value is None else f"{float(value):.0f}",
                (x + slot - 12, rect.top),
                theme.SMALL,
                theme.TEXT,
                anchor="topright",
            )
            x += slot
        return rect.top + 24

    def _draw_required(
        self, surface: pygame.Surface, required: list[str], rect: pygame.Rect, lang: str,
        failed: str = "",
    ) -> int:  # fmt: skip
        """The rule's required steps in words; when nothing on offer can do them, the rule's
        failure in words (red) instead of a demand the trainee cannot meet."""
        import pygame

        fonts = self.app.fonts
        text = f"⚠ {i18n.t('required', lang)}: " + " → ".join(
            i18n.behaviour_label(tag, lang) for tag in required
        )
        color = theme.WARN
        if failed:
            text, color = f"× {failed}", theme.BAD
        self.required_text = text
        box = pygame.Rect(rect.left, rect.top, rect.width, 26)
        pygame.draw.rect(surface, (90, 62, 20), box, border_radius=4)
        pygame.draw.rect(surface, color, box, 1, border_radius=4)
        blit_text(
            surface,
            fonts,
            text,
            (box.left + 8, box.centery),
            theme.BODY,
            color,
            True,
            anchor="midleft",
            max_width=box.width - 16,
        )
        return box.bottom + 4

    def _draw_transcript(
        self,
        surface: pygame.Surface,
        transcript: list[Mapping[str, Any]],
        rect: pygame.Rect,
        lang: str,
        keywords: list[str] | None = None,
    ) -> None:
        import pygame

        from ui.practice_room import keyword_hit

        fonts = self.app.fonts
        size = theme.BODY
        step = fonts.line_height(size)
        rendered: list[tuple[str, tuple[int, int, int], int]] = []
        self.tags_shown = 0
        self.highlighted = []
        for entry in transcript[-60:]:
            speaker = str(entry.get("speaker", "system"))
            color = {"customer": theme.CUSTOMER, "agent": theme.AGENT}.get(speaker, theme.SYSTEM)
            # the customer's tone cues are what a real line sounds like; tags on the trainee's
            # own lines grade them (coaching): not under exam rules
            tags = () if self.app.strict and speaker == "agent" else entry.get("tags") or ()
            tones = [i18n.tag_label(speaker, str(tag), lang) for tag in tags]
            self.tags_shown += len(tones) if speaker == "agent" else 0
            head = i18n.label(i18n.SPEAKERS, speaker, lang) + (
                f" [{'·'.join(tones)}]" if tones else ""
            )
            rendered.append(
                (head, theme.MUTED if speaker != "customer" or not tones else theme.WARN, 0)
            )
            said = i18n.without_label(
                i18n.pick(entry.get("text"), lang), i18n.label(i18n.SPEAKERS, speaker, lang)
            )
            hot = keyword_hit(said, keywords) if keywords and speaker == "customer" else None
            if hot:  # the rule's words: highlighted where they are said
                self.highlighted.append(said)
                said = said.replace(hot, f"【{hot}】") if hot in said else said
            for line in fonts.wrap(said, size, rect.width - 14):
                rendered.append((line, theme.WARN if hot else color, 15 if hot else 14))
        visible = max(1, rect.height // step)
        self.scroll = min(self.scroll, max(0, len(rendered) - visible))
        end = len(rendered) - self.scroll
        window = rendered[max(0, end - visible) : end]
        y = rect.bottom - len(window) * step
        for text, color, indent in window:
            if indent == 15:  # a line of the rule's words: on an amber band
                band = pygame.Rect(rect.left + 8, y, rect.width - 8, step)
                pygame.draw.rect(surface, (80, 56, 14), band, border_radius=3)
            surface.blit(
                fonts.render(
                    text, size if indent else theme.SMALL, color, indent == 15 or not indent
                ),
                (rect.left + min(indent, 14), y),
            )
            y += step
        if self.scroll:
            blit_text(
                surface,
                fonts,
                f"↓ {self.scroll}",
                (rect.right, rect.bottom - step),
                theme.SMALL,
                theme.ACCENT,
                anchor="topright",
            )

    def _draw_banners(
        self, surface: pygame.Surface, rect: pygame.Rect, lang: str, top: int | None = None
    ) -> int:
        """New triggers, risk points and hang-ups: big flashing boxes over the transcript."""
        import pygame

        fonts = self.app.fonts
        y = rect.top + 50 if top is None else top
        self.shown_banners = []
        for alert, left in reversed(self.banners):
            kind = str(alert.get("kind", "trigger"))
            color = ALERT_COLORS.get(kind, theme.WARN)
            head = i18n.t(kind if kind in ("trigger", "hangup", "abandon") else "risk_point", lang)
            said = i18n.without_label(i18n.pick(alert.get("text"), lang), head)
            text = f"⚠ {head}: {said}"
            self.shown_banners.append(text)
            # compact on a conversation (the practice room's effect box needs the room)
            size = theme.BODY if top is not None else theme.LARGE
            lines = fonts.wrap(text, size, rect.width - 40, True)[: 2 if top is not None else 3]
            box = pygame.Rect(
                rect.left + 8,
                y,
                rect.width - 16,
                len(lines) * fonts.line_height(size, True) + 10,
            )
            flash = int(left * 4) % 2 == 0 or left < ALERT_SECONDS - 1.5
            pygame.draw.rect(
                surface, (70, 24, 24) if kind != "trigger" else (80, 56, 14), box, border_radius=6
            )
            pygame.draw.rect(surface, color if flash else theme.TEXT, box, 3, border_radius=6)
            ty = box.top + 5
            for line in lines:
                surface.blit(fonts.render(line, size, color, True), (box.left + 12, ty))
                ty += fonts.line_height(size, True)
            y = box.bottom + 6
        return y

    def _draw_card(
        self, surface: pygame.Surface, contact: Mapping[str, Any] | None, lang: str
    ) -> None:
        fonts = self.app.fonts
        inner = draw_panel(surface, fonts, self.layout["card"], i18n.t("customer_card", lang))
        if not contact:
            return
        card = contact.get("persona") or {}
        if isinstance(card, Mapping) and (lang in card or i18n.other(lang) in card):
            card = card.get(lang) or card.get(i18n.other(lang))
        lines: list[str]
        if isinstance(card, Mapping):
            lines = [str(v) for v in card.values()]  # the card's values are self-describing labels
        elif isinstance(card, list | tuple):
            lines = [str(x) for x in card]
        else:
            lines = [str(card)] if card else []
        if self.app.mode == "practice":  # how they feel now, first; the disposition below
            lines.insert(0, mood_words(contact.get("mood") or {}, lang))
        self.shown_card = list(lines)
        y = inner.top
        for line in lines:
            y = blit_wrapped(surface, fonts, line, inner, y, theme.SMALL, theme.TEXT)
            if y > inner.bottom:
                break

    def _draw_kb(
        self, surface: pygame.Surface, contact: Mapping[str, Any] | None, lang: str
    ) -> None:
        fonts = self.app.fonts
        entries = list((contact or {}).get("knowledge") or ())
        if self.app.strict:  # reference only (FAQ, policy): lessons and cases teach the answer
            entries = [e for e in entries if e.get("kind") in STRICT_KB_KINDS]
        self.shown_kb = [str(e.get("id")) for e in entries]
        title = i18n.t("knowledge", lang) + (
            f"  ({self.kb_index % len(entries) + 1}/{len(entries)} · K)" if entries else ""
        )
        inner = draw_panel(surface, fonts, self.layout["kb"], title)
        if not entries:
            blit_text(
                surface,
                fonts,
                i18n.t("knowledge_none", lang),
                (inner.left, inner.top),
                theme.SMALL,
                theme.DIM,
                max_width=inner.width,
            )
            return
        entry = entries[self.kb_index % len(entries)]
        y = blit_wrapped(
            surface,
            fonts,
            i18n.pick(entry.get("title"), lang),
            inner,
            inner.top,
            theme.BODY,
            theme.ACCENT,
            True,
        )
        # the article scrolls (J, or the wheel over the panel): never cut mid-sentence
        step = fonts.line_height(theme.SMALL)
        lines = fonts.wrap(i18n.pick(entry.get("body"), lang), theme.SMALL, inner.width)
        visible = max(1, (inner.bottom - y - 2) // step)
        self.kb_scroll = max(0, min(self.kb_scroll, len(lines) - visible))
        shown = lines[self.kb_scroll : self.kb_scroll + visible]
        self.kb_more = self.kb_scroll + visible < len(lines)
        self.shown_kb_lines = list(shown)
        ty = y + 2
        for line in shown:
            surface.blit(fonts.render(line, theme.SMALL, theme.TEXT), (inner.left, ty))
            ty += step
        if self.kb_more or self.kb_scroll:
            more = ("↓ " if self.kb_more else "↑ ") + i18n.t("kb_more", lang)
            blit_text(surface, fonts, more, (inner.right, self.layout["kb"].top + 8),
                      theme.SMALL, theme.ACCENT, anchor="topright")  # fmt: skip

    def _draw_alerts(self, surface: pygame.Surface, snap: Mapping[str, Any], lang: str) -> None:
        import pygame

        fonts = self.app.fonts
        inner = draw_panel(surface, fonts, self.layout["alerts"], i18n.t("alerts", lang))
        kinds = self._banner_kinds()
        alerts = [a for a in snap.get("alerts") or () if a.get("kind") in kinds]
        if not alerts:
            blit_text(
                surface,
                fonts,
                i18n.t("alerts_none", lang),
                (inner.left, inner.top),
                theme.SMALL,
                theme.DIM,
            )
            return
        y = inner.top
        self.shown_alerts = []
        # the contact on the desk first, in colour; earlier contacts' below it, greyed and named
        current = self.contact_id
        ordered = [
            a for a in reversed(alerts) if current is not None and a.get("contact_id") == current
        ]
        ordered += [a for a in reversed(alerts) if a not in ordered]
        for alert in ordered:
            if y + fonts.line_height(theme.SMALL) > inner.bottom:
                break  # no bullet without its line (no orphan bullet at the bottom)
            kind = str(alert.get("kind", ""))
            now = current is not None and alert.get("contact_id") == current
            color = ALERT_COLORS.get(kind, theme.WARN) if now else theme.DIM
            pygame.draw.circle(surface, color, (inner.left + 4, y + 9), 4)
            said = i18n.pick(alert.get("text"), lang)
            if not now and alert.get("contact_id") is not None:
                said = f"#{alert.get('contact_id')} {said}"
            self.shown_alerts.append(said)
            stamp = self.clock_at(alert.get("t"), seconds=True)  # one time format: time of day
            y = blit_wrapped(
                surface,
                fonts,
                f"{stamp}  {said}",
                inner,
                y,
                theme.SMALL,
                color,
                indent=14,
            )
            if y > inner.bottom:
                break

    def exam_header(self) -> dict[str, str]:
        """What the exam header says, as text (drawn by `_draw_exam_header`; read by tests)."""
        taking, lang = self.app.taking, self.app.lang
        exam = taking.exam
        k = taking.contact_number(taking.current_contact() or self.contact_id)
        n = taking.form.customers
        who = (
            i18n.t("customer_k", lang).format(k=k, n=n)
            if k
            else i18n.t("customer_k", lang).format(k=min(n, taking.contacts_done() + 1), n=n)
        )
        # closed, unproctored, reconnecting (a call failed or is slow), sending, connected
        conn = f"conn_{taking.connection}"
        return {
            "title": i18n.pick(exam.title, lang),
            "form": f"{i18n.t('exam_form', lang)} {taking.form.id}",
            "candidate": f"{i18n.t('candidate', lang)}: {taking.candidate or self.app.trainee or '—'}",
            "customer": who,
            "time_left": f"{i18n.t('time_left', lang)} {i18n.duration(taking.time_left_s)}",
            "connection": i18n.t(conn, lang),
            "connection_state": conn[5:],
        }

    def _draw_exam_header(self, surface: pygame.Surface, rect: pygame.Rect, lang: str) -> None:
        import pygame

        fonts = self.app.fonts
        head = self.exam_header()
        self.shown_header = head
        pygame.draw.rect(surface, theme.PANEL, rect, border_radius=6)
        pygame.draw.rect(surface, theme.BORDER, rect, 1, border_radius=6)
        state = head["connection_state"]
        color = {
            "connected": theme.GOOD,
            "reconnecting": theme.BAD,
            "sending": theme.WARN,
            "unproctored": theme.WARN,
        }.get(state, theme.MUTED)
        x, cy = rect.left + 14, rect.centery
        title = blit_text(surface, fonts, head["title"], (x, rect.top + 6), theme.LARGE,
                          theme.TEXT, True, max_width=int(rect.width * 0.38))  # fmt: skip
        blit_text(surface, fonts, f"{head['form']}  ·  {head['candidate']}",
                  (x, title.bottom + 2), theme.SMALL, theme.MUTED,
                  max_width=int(rect.width * 0.38))  # fmt: skip
        x = rect.left + int(rect.width * 0.42)
        blit_text(surface, fonts, head["customer"], (x, cy), theme.LARGE, theme.TEXT, True,
                  anchor="midleft")  # fmt: skip
        x = rect.left + int(rect.width * 0.60)
        left_s = self.app.taking.time_left_s
        tcol = theme.BAD if left_s < 120 else theme.WARN if left_s < 300 else theme.TEXT
        blit_text(surface, fonts, head["time_left"], (x, cy), theme.TITLE, tcol, True,
                  anchor="midleft")  # fmt: skip
        text_w = min(300, fonts.width(head["connection"], theme.BODY, True))  # drawn bold
        dot = (rect.right - 14 - text_w - 16, cy)
        pygame.draw.circle(surface, color, dot, 6)
        blit_text(surface, fonts, head["connection"], (rect.right - 14, cy), theme.BODY, color,
                  True, anchor="midright", max_width=300)  # fmt: skip

    def clock_at(self, t: Any, seconds: bool = False) -> str:
        """Time of day of sim time `t`, using the snapshot's clock label for the offset."""
        snap = self.app.snapshot
        try:
            h, m, sec = (int(x) for x in str(snap.get("clock")).split(":"))
            day = (h * 3600 + m * 60 + sec - float(snap.get("now") or 0) + float(t)) % 86400
        except (TypeError, ValueError):
            return i18n.duration(t)
        hm = f"{int(day) // 3600:02d}:{int(day) % 3600 // 60:02d}"
        return f"{hm}:{int(day) % 60:02d}" if seconds else hm

    @property
    def inline_notices(self) -> bool:  # type: ignore[override]
        """While a contact is shown, toasts go in the strip under its transcript."""
        return human_contact(self.app.snapshot) is not None

    def state(self) -> dict[str, Any]:
        snap = self.app.snapshot
        contact = human_contact(snap)
        return {
            "clock": snap.get("clock"),
            "top_clock": self.shown_clock,
            "contact_id": contact.get("contact_id") if contact else None,
            "options": list(self.shown_options),
            "queue": list(self.shown_queue),
            "abandoned": list(self.shown_abandoned),
            "kpis": list(self.kpi_bar.shown),
            "banners": [i18n.pick(a.get("text"), self.app.lang) for a, _ in self.banners],
            "paused": self.app.paused,
            "emotion_meter": self.drew_emotion,
            "strip": self.strip_text,
            "speed": self.app.speed,
            "exam_header": dict(self.shown_header) if self.app.taking is not None else None,
            "buttons": [b.action for b in self.buttons],
            "required_shown": self.drew_required,
            "agent_tags_shown": self.tags_shown,
            "subtitle": self.shown_subtitle,
            "banner_lines": list(self.shown_banners),
            "knowledge": list(self.shown_kb),
            "effect": list(self.shown_effect),
            "scorecard": list(self.shown_scorecard) if self.scorecard is not None else None,
            "highlighted": list(self.highlighted),
            "kb_lines": list(self.shown_kb_lines),
            "kb_more": self.kb_more,
            "required_text": self.required_text if self.drew_required else "",
            "card": list(self.shown_card),
        }
