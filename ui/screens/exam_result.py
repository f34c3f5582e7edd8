"""The candidate's exam result: pass/fail with the reasons in words, the score per contact
against the cut, critical errors, and whose signature the result carries.

Everything comes from the result document (`shapan.exam-result/1`: the server's signed result
online, `grade()` of the local journal offline); names come from the exam (journey titles,
choice texts), so no raw id is shown where a name exists. Rendered once into a cached surface.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ui import i18n, theme
from ui.screens import Screen
from ui.widgets.base import Button, blit_text, blit_wrapped, draw_button, draw_panel, hit

if TYPE_CHECKING:  # pragma: no cover
    import pygame

    from ui.app import App


def _exam_of(app: App, result: Mapping[str, Any]) -> Any:
    """The exam (for names): the attempt's, else the shipped one the result names."""
    if app.taking is not None:
        return app.taking.exam
    from sandbox.exam import ExamError, load_exam, shipped_exams

    ref = str((result.get("exam") or {}).get("id") or "")
    if ref in shipped_exams():
        try:
            return load_exam(ref)
        except ExamError:
            return None
    return None


class ExamResultScreen(Screen):
    def __init__(self, app: App) -> None:
        super().__init__(app)
        self.buttons: list[Button] = []
        self.mouse = (-1, -1)
        self._cache_key: Any = None
        self._cache: pygame.Surface | None = None
        self.shown: dict[str, Any] = {}
        self.verified: bool | None = None

    @property
    def result(self) -> Mapping[str, Any]:
        return self.app.exam_result or {}

    def enter(self) -> None:
        self.app.gui.clear_and_reset()
        self._cache_key = None
        self.verified = self._verify()

    def _verify(self) -> bool | None:
        """Online: check the signature against the server's public key (None: not checked)."""
        taking = self.app.taking
        if taking is None or not taking.is_online or "signature" not in self.result:
            return None
        try:
            from cryptography.hazmat.primitives.serialization import load_pem_public_key

            from sandbox.exam.signing import verify_document

            key = load_pem_public_key(taking.client.public_key_pem().encode("utf-8"))
            return bool(verify_document(dict(self.result), key).ok)  # type: ignore[arg-type]
        except Exception:  # no key, no network: the state says "signed", unchecked
            return None

    def on_resize(self, size: tuple[int, int]) -> None:
        self._cache_key = None

    # ---- names ------------------------------------------------------------------------
    def journey_title(self, journey_id: Any, lang: str) -> str:
        exam = _exam_of(self.app, self.result)
        journey = exam.scenario.journeys.get(journey_id) if exam is not None else None
        if journey is not None:
            return i18n.pick(journey.title, lang)
        return str(journey_id or "–")

    def choice_text(self, journey_id: Any, choice_id: Any, lang: str) -> str | None:
        exam = _exam_of(self.app, self.result)
        journey = exam.scenario.journeys.get(journey_id) if exam is not None else None
        if journey is None or not choice_id:
            return None
        for node in journey.nodes.values():
            for choice in node.choices:
                if choice.id == choice_id or choice.qid == choice_id:
                    return i18n.pick(choice.text, lang)
        return None

    def critical_lines(self, lang: str) -> list[str]:
        """Every critical error in words: customer, what, the decision that raised it, scope."""
        out = []
        for c in self.result.get("contacts") or ():
            for h in c.get("critical_errors") or ():
                what = (
                    i18n.risk_label(str(h["risk"]), lang)
                    if h.get("risk")
                    else i18n.outcome_label(str(h.get("outcome")), lang)
                )
                said = self.choice_text(c.get("journey_id"), h.get("choice_id"), lang)
                scope = i18n.t(
                    "exam_fails_exam" if h.get("fails") == "exam" else "exam_fails_contact", lang
                )
                who = i18n.t("customer_n", lang).format(k=c.get("k"))
                out.append(f"{who}: {what}" + (f" — “{said}”" if said else "") + f" · {scope}")
        return out

    def signature_line(self, lang: str) -> tuple[str, tuple[int, int, int]]:
        sig = self.result.get("signature")
        if isinstance(sig, Mapping):
            key = "exam_signed_verified" if self.verified else "exam_signed"
            return i18n.t(key, lang).format(key=sig.get("key_id")), theme.GOOD
        if self.result.get("proctoring") == "unproctored":
            return i18n.t("exam_unproctored_note", lang), theme.WARN
        return i18n.t("exam_unsigned", lang), theme.WARN

    # ---- input ------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> bool:
        import pygame

        if event.type == pygame.KEYDOWN:
            if event.key == pygame.K_d:
                self.details()
            elif event.key in (pygame.K_q, pygame.K_ESCAPE):
                self.app.request_quit()
            else:
                return False
            return True
        if event.type == pygame.MOUSEMOTION:
            self.mouse = event.pos
            return True
        if event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            button = hit(self.buttons, event.pos)
            if button is not None:
                if button.action == "details":
                    self.details()
                else:
                    self.app.request_quit()
            return True
        return event.type == pygame.MOUSEBUTTONDOWN

    def details(self) -> None:
        """The session's BI results with the drill-down (feedback only now, after the exam)."""
        if self.app.session is not None:
            self.app.results.open(live=False)

    # ---- drawing ----------------------------------------------------------------------
    def draw(self, surface: pygame.Surface) -> None:
        key = (self.app.size, self.app.lang, id(self.app.exam_result), self.verified)
        if key != self._cache_key or self._cache is None:
            import pygame

            self._cache = pygame.Surface(self.app.size)
            self._render(self._cache)
            self._cache_key = key
        surface.blit(self._cache, (0, 0))
        for button in self.buttons:
            draw_button(surface, self.app.fonts, button, button.rect.collidepoint(self.mouse))

    def _make_buttons(self, w: int) -> None:
        import pygame

        lang = self.app.lang
        quit_rect = pygame.Rect(0, 14, 110, 34)
        quit_rect.right = w - theme.PAD
        det = pygame.Rect(0, 14, 200, 34)
        det.right = quit_rect.left - 6
        self.buttons = [
            Button(
                det, i18n.t("exam_details", lang), "details", enabled=self.app.session is not None
            ),
            Button(quit_rect, i18n.t("quit", lang), "quit"),
        ]

    def _render(self, surface: pygame.Surface) -> None:
        import pygame

        fonts, lang = self.app.fonts, self.app.lang
        w, h = self.app.size
        res = self.result
        surface.fill(theme.BG)
        exam = res.get("exam") or {}
        form = res.get("form") or {}
        title = f"{i18n.t('exam_result_title', lang)} · {i18n.pick(exam.get('title'), lang)}"
        blit_text(surface, fonts, title, (theme.PAD * 2, 10), theme.TITLE, theme.TEXT, True,
                  max_width=w - 360)  # fmt: skip
        sig_text, sig_color = self.signature_line(lang)
        sub = f"{i18n.t('exam_form', lang)} {form.get('id', '')}  ·  {i18n.t('candidate', lang)}: {self.app.trainee or '—'}"
        blit_text(surface, fonts, sub, (theme.PAD * 2, 46), theme.SMALL, theme.MUTED,
                  max_width=w - 360)  # fmt: skip
        self._make_buttons(w)
        # verdict band
        passed = bool(res.get("passed"))
        band = pygame.Rect(theme.PAD, 76, w - 2 * theme.PAD, 84)
        color = theme.GOOD if passed else theme.BAD
        pygame.draw.rect(surface, theme.PANEL, band, border_radius=8)
        pygame.draw.rect(surface, color, band, 3, border_radius=8)
        verdict = i18n.t("exam_pass" if passed else "exam_fail", lang)
        vrect = blit_text(surface, fonts, verdict, (band.left + 24, band.centery), theme.HUGE,
                          color, True, anchor="midleft")  # fmt: skip
        score = float(res.get("score") or 0.0)
        cut = res.get("cut")
        line1 = f"{i18n.t('exam_score', lang)} {score:.1f}  /  {i18n.t('exam_cut', lang)} {float(cut or 0):g}"
        n = len(res.get("contacts") or ())
        line2 = i18n.pick(next(iter(res.get("reasons") or ()), None), lang)
        x = vrect.right + 36
        blit_text(surface, fonts, line1, (x, band.top + 14), theme.TITLE, theme.TEXT, True)
        blit_text(surface, fonts, line2, (x, band.top + 50), theme.BODY, theme.MUTED,
                  max_width=band.right - x - 16)  # fmt: skip
        srect = pygame.Rect(0, 0, int(band.width * 0.36), band.height - 20)
        srect.midright = (band.right - 12, band.centery)
        pygame.draw.rect(surface, theme.PANEL_ALT, srect, border_radius=6)
        pygame.draw.rect(surface, sig_color, srect, 1, border_radius=6)
        inner_sig = srect.inflate(-16, -12)
        blit_wrapped(
            surface, fonts, sig_text, inner_sig, inner_sig.top, theme.BODY, sig_color, True
        )
        # left: reasons and critical errors; right: the contacts
        body_top = band.bottom + theme.PAD
        body_h = h - body_top - 30
        left = pygame.Rect(theme.PAD, body_top, int(w * 0.34), body_h)
        right = pygame.Rect(
            left.right + theme.PAD, body_top, w - left.right - 2 * theme.PAD, body_h
        )
        top_half = pygame.Rect(left.left, left.top, left.width, int(body_h * 0.5))
        inner = draw_panel(surface, fonts, top_half, i18n.t("exam_reasons", lang))
        y = inner.top
        reasons = [i18n.pick(r, lang) for r in res.get("reasons") or ()]
        for text in reasons:
            y = blit_wrapped(surface, fonts, f"• {text}", inner, y, theme.BODY, theme.TEXT) + 4
        low = pygame.Rect(left.left, top_half.bottom + theme.PAD, left.width,
                          left.bottom - top_half.bottom - theme.PAD)  # fmt: skip
        critical = self.critical_lines(lang)
        inner = draw_panel(surface, fonts, low, i18n.t("exam_critical", lang),
                           theme.BAD if critical else theme.BORDER)  # fmt: skip
        y = inner.top
        if not critical:
            blit_text(surface, fonts, i18n.t("exam_critical_none", lang), (inner.left, y),
                      theme.BODY, theme.GOOD)  # fmt: skip
        for text in critical:
            y = blit_wrapped(surface, fonts, f"⚠ {text}", inner, y, theme.BODY, theme.BAD) + 4
        rows = self._render_contacts(surface, right, lang)
        blit_text(surface, fonts, i18n.t("exam_result_help", lang), (w // 2, h - 14), theme.SMALL,
                  theme.DIM, anchor="center", max_width=w - 20)  # fmt: skip
        self.shown = {
            "verdict": verdict,
            "score": line1,
            "reasons": reasons,
            "critical": critical,
            "signature": sig_text,
            "contacts": rows,
            "customers": n,
        }

    def _render_contacts(self, surface: pygame.Surface, rect: pygame.Rect, lang: str
                         ) -> list[dict[str, Any]]:  # fmt: skip
        import pygame

        fonts, res = self.app.fonts, self.result
        contacts = list(res.get("contacts") or ())
        ccut = None
        exam = _exam_of(self.app, res)
        if exam is not None:
            ccut = float(exam.pass_rule.contact_cut)
        head = i18n.t("exam_contacts", lang) + (
            f"  ({i18n.t('exam_contact_cut', lang)} {ccut:g})" if ccut is not None else ""
        )
        inner = draw_panel(surface, fonts, rect, head)
        rows: list[dict[str, Any]] = []
        if not contacts:
            return rows
        row_h = max(58, min(96, inner.height // max(1, len(contacts)) - 4))
        y = inner.top
        for c in contacts:
            row = pygame.Rect(inner.left, y, inner.width, row_h - 6)
            if row.bottom > inner.bottom + 4:
                break
            ok = bool(c.get("passed"))
            pygame.draw.rect(surface, theme.PANEL_ALT, row, border_radius=5)
            pygame.draw.rect(surface, theme.GOOD if ok else theme.BAD,
                             (row.left, row.top, 5, row.height), border_radius=2)  # fmt: skip
            who = i18n.t("customer_n", lang).format(k=c.get("k"))
            name = self.journey_title(c.get("journey_id"), lang) if c.get("journey_id") else ""
            status = str(c.get("status") or "graded")
            status_label = i18n.t(f"exam_status_{status}", lang) if status in (
                "graded", "not_reached", "unfinished", "over_time") else status  # fmt: skip
            mark = "✓" if ok else "×"
            blit_text(surface, fonts, f"{mark} {who}", (row.left + 14, row.top + 6), theme.BODY,
                      theme.GOOD if ok else theme.BAD, True)  # fmt: skip
            blit_text(surface, fonts, name or "—", (row.left + 150, row.top + 6), theme.BODY,
                      theme.TEXT, max_width=int(row.width * 0.46))  # fmt: skip
            score = float(c.get("score") or 0.0)
            raw = float(c.get("raw_score") or 0.0)
            stext = f"{score:.1f}" + (
                f" ({raw:.1f})" if abs(raw - score) > 1e-9 and status == "graded" else ""
            )
            blit_text(surface, fonts, stext, (row.right - 12, row.top + 4), theme.LARGE,
                      theme.TEXT, True, anchor="topright")  # fmt: skip
            # score bar against the contact cut
            bar = pygame.Rect(row.left + 150, row.top + 30, int(row.width * 0.46), 8)
            pygame.draw.rect(surface, theme.PANEL, bar, border_radius=3)
            fill = bar.copy()
            fill.width = int(bar.width * max(0.0, min(1.0, score / 100.0)))
            pygame.draw.rect(surface, theme.GOOD if ok else theme.BAD, fill, border_radius=3)
            if ccut is not None:
                cx = bar.left + int(bar.width * ccut / 100.0)
                pygame.draw.line(surface, theme.TEXT, (cx, bar.top - 3), (cx, bar.bottom + 3), 2)
            reasons = [
                i18n.pick(r, lang)
                for r in c.get("reasons") or ()
                if not str((r or {}).get("en", "")).startswith("critical error")
            ]
            if c.get("critical_errors"):
                reasons.insert(0, i18n.t("exam_critical", lang))
            detail = " · ".join([status_label, *reasons])
            blit_text(surface, fonts, detail, (row.left + 14, row.top + 44), theme.SMALL,
                      theme.MUTED, max_width=row.width - 28)  # fmt: skip
            rows.append({"who": who, "name": name, "score": stext, "passed": ok, "detail": detail})
            y += row_h
        return rows

    def state(self) -> dict[str, Any]:
        return dict(self.shown)
