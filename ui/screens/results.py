"""The BI results screen: KPI tiles vs targets, rubric radar, CSAT distribution, cross-sell
funnel, churn, timeline, risk list, and a drill-down into any human-seat contact.

Shown when the session ends and on demand (R on the desk). Everything comes from
`Session.results()`; the page is rendered once into a cached surface and redrawn only when the
page, selection, scroll, language or window size change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sandbox import kpi_catalogue as kc
from ui import i18n, theme
from ui.screens import Screen
from ui.widgets import charts
from ui.widgets.base import Button, blit_text, blit_wrapped, draw_button, draw_panel, hit

if TYPE_CHECKING:  # pragma: no cover
    import pygame

    from ui.app import App


def csat_distribution(results: Mapping[str, Any]) -> list[float]:
    """Fractions of contacts at CSAT 1..5, whatever shape (list or {score: value}) it came in."""
    raw = results.get("csat_distribution")
    if isinstance(raw, Mapping) and ("shares" in raw or "counts" in raw):
        raw = raw.get("counts") or raw.get("shares")
    values: list[float]
    if isinstance(raw, Mapping):
        values = [float(raw.get(str(k), raw.get(k, 0)) or 0) for k in range(1, 6)]  # type: ignore[call-overload]
    elif isinstance(raw, Sequence) and not isinstance(raw, str):
        values = [float(v or 0) for v in list(raw)[:5]] + [0.0] * max(0, 5 - len(raw))
    else:
        values = [0.0] * 5
    total = sum(values)
    return [v / total for v in values] if total > 0 else values


def funnel_stages(results: Mapping[str, Any], lang: str) -> list[tuple[str, float]]:
    raw = results.get("cross_sell_funnel") or {}
    return [
        (i18n.t("funnel_contacts", lang), float(raw.get("contacts") or 0)),
        (i18n.t("funnel_offered", lang), float(raw.get("offered") or 0)),
        (i18n.t("funnel_accepted", lang), float(raw.get("accepted") or 0)),
    ]


def kpi_tiles(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One tile per KPI: value, target, delta and whether the target is met (from the results)."""
    kpis = results.get("kpis") or {}
    vs = results.get("kpi_vs_target") or {}
    targets = results.get("targets") or {}
    tiles = []
    for key in i18n.RESULT_KPIS:
        row = vs.get(key) or {}
        value = row.get("value", kpis.get(key))
        target = row.get("target", targets.get(key))
        delta = row.get("delta")
        if delta is None and target is not None and value is not None:
            try:
                delta = float(value) - float(target)
            except (TypeError, ValueError):
                delta = None
        met = row.get("met") if "met" in row else kc.met(key, value, target)
        tiles.append({"key": key, "value": value, "target": target, "delta": delta, "met": met})
    return tiles


def feedback_color(decision: Mapping[str, Any]) -> tuple[int, int, int]:
    """A decision's feedback in praise green only when the decision was good: a negative score
    or a risk point reads in red, a neutral one in grey."""
    score = decision.get("score")
    if decision.get("risks") or (isinstance(score, int | float) and score < 0):
        return theme.BAD
    if isinstance(score, int | float) and score > 0:
        return theme.GOOD
    return theme.MUTED


class ResultsScreen(Screen):
    def __init__(self, app: App) -> None:
        super().__init__(app)
        self.results: dict[str, Any] = {}
        self.live = False
        self.page = "overview"
        self.selected = 0
        self.drill: int | None = None
        self.scroll = 0
        self.buttons: list[Button] = []
        self.contact_rows: list[tuple[int, Any]] = []
        self.timeline_hits: list[tuple[Any, Any]] = []
        self._cache_key: Any = None
        self._cache: pygame.Surface | None = None
        self.shown_tiles: list[dict[str, Any]] = []
        self.shown_drill: dict[str, Any] = {}
        self.mouse = (-1, -1)
        self.max_scroll = 10**6  # known after the drill-down is first drawn
        self.e_held = False
        self.shown_radar: list[str] = []
        self.shown_trainee: list[dict[str, Any]] = []

    # ---- entering -------------------------------------------------------------------------
    def open(self, live: bool) -> None:
        """Fetch the results from the Session and show them. Under exam rules (an exam, a timed
        session) not before the session has ended: they would show graded feedback."""
        if live and self.app.strict and not getattr(self.app.session, "finished", False):
            if not self.app.exam_mode:
                self.app.notify(i18n.t("timed_no_results", self.app.lang), 2.5, theme.WARN)
            return
        self.results = self.app.session.results()
        self.live = live and not getattr(self.app.session, "finished", False)
        self.drill = None
        self.scroll = 0
        self._cache_key = None
        self.app.switch(self)
        if not self.live:
            self.app.save()

    def enter(self) -> None:
        self.app.gui.clear_and_reset()
        if not self.results and self.app.session is not None:
            self.results = self.app.session.results()

    def on_resize(self, size: tuple[int, int]) -> None:
        self._cache_key = None

    @property
    def contacts(self) -> list[Mapping[str, Any]]:
        return list(self.results.get("contacts") or ())

    # ---- input --------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> bool:
        import pygame

        if event.type == pygame.KEYDOWN:
            key = event.key
            if key == pygame.K_ESCAPE or key == pygame.K_BACKSPACE:
                self.back()
            elif key == pygame.K_e:
                if not self.e_held:  # a held key's repeats are not more exports
                    self.export()
                self.e_held = True
            elif key == pygame.K_q:
                self.app.request_quit()
            elif key == pygame.K_TAB and self.drill is None:
                self.page = "contacts" if self.page == "overview" else "overview"
                self.scroll = 0
            elif key in (pygame.K_UP, pygame.K_DOWN):
                step = -1 if key == pygame.K_UP else 1
                if self.drill is not None:
                    self.scroll = max(0, min(self.max_scroll, self.scroll + step * 3))
                elif self.contacts:
                    self.page = "contacts"
                    self.selected = (self.selected + step) % len(self.contacts)
            elif (
                key in (pygame.K_LEFT, pygame.K_RIGHT) and self.drill is not None and self.contacts
            ):
                self.open_drill(
                    (self.drill + (1 if key == pygame.K_RIGHT else -1)) % len(self.contacts)
                )
            elif (
                key in (pygame.K_RETURN, pygame.K_KP_ENTER) and self.contacts and self.drill is None
            ):
                self.open_drill(self.selected)
            elif key == pygame.K_r and self.live:
                self.back()
            else:
                return False
            return True
        if event.type == pygame.KEYUP and event.key == pygame.K_e:
            self.e_held = False
            return True
        if event.type == pygame.MOUSEMOTION:
            self.mouse = event.pos
            return True
        if event.type == pygame.MOUSEWHEEL:
            self.scroll = max(0, min(self.max_scroll, self.scroll - event.y * 3))
            return True
        if event.type == pygame.MOUSEBUTTONUP and event.button == 1:
            button = hit(self.buttons, event.pos)
            if button is not None:
                self._action(button.action)
                return True
            for index, rect in self.contact_rows:
                if rect.collidepoint(event.pos):
                    self.open_drill(index)
                    return True
            for cid, rect in self.timeline_hits:
                if rect.collidepoint(event.pos):
                    ids = [c.get("contact_id") for c in self.contacts]
                    if cid in ids:
                        self.open_drill(ids.index(cid))
                    return True
            return True
        return event.type == pygame.MOUSEBUTTONDOWN

    def _action(self, action: str) -> None:
        if action == "export":
            self.export()
        elif action == "back":
            self.back()
        elif action == "quit":
            self.app.request_quit()
        elif action in ("overview", "contacts"):
            self.page, self.drill, self.scroll = action, None, 0

    def open_drill(self, index: int) -> None:
        if self.live and self.app.strict:  # never mid-session under exam rules
            return
        self.drill = self.selected = index
        self.scroll, self.max_scroll = 0, 10**6

    def back(self) -> None:
        if self.drill is not None:
            self.drill = None
            self.scroll = 0
        elif self.live:
            self.app.switch(self.app.desk)
        elif self.app.exam_result is not None:  # exam mode: details were opened from the result
            self.app.switch(self.app.exam_result_screen)

    def export(self) -> None:
        """Export in the background (`App.start_export`): the screen keeps drawing."""
        self.app.start_export()

    # ---- drawing ----------------------------------------------------------------------
    def draw(self, surface: pygame.Surface) -> None:
        key = (
            self.app.size,
            self.app.lang,
            self.page,
            self.selected,
            self.drill,
            self.scroll,
            id(self.results),
            self.live,
        )
        if key != self._cache_key or self._cache is None:
            import pygame

            self._cache = pygame.Surface(self.app.size)
            self._render(self._cache)
            self._cache_key = key
        surface.blit(self._cache, (0, 0))
        for button in self.buttons:  # buttons show hover, so they are drawn live
            draw_button(surface, self.app.fonts, button, button.rect.collidepoint(self.mouse))

    def _render(self, surface: pygame.Surface) -> None:
        import pygame

        fonts, lang = self.app.fonts, self.app.lang
        w, h = self.app.size
        surface.fill(theme.BG)
        res = self.results
        scen = res.get("scenario") or {}
        title = i18n.t("results_title", lang)
        blit_text(
            surface,
            fonts,
            title,
            (theme.PAD * 2, 10),
            theme.TITLE,
            theme.TEXT,
            True,
            max_width=w // 2,
        )
        sub = (
            (i18n.t("results_live", lang) + " " if self.live else "")
            + f"{self.app.trainee} · {scen.get('name', getattr(self.app.session, 'scenario_name', ''))} · {i18n.t('seed', lang)} {res.get('seed', '')} · {i18n.t(self.app.mode, lang)}"
        )
        blit_text(
            surface, fonts, sub, (theme.PAD * 2, 46), theme.SMALL, theme.MUTED, max_width=w // 2
        )
        self._make_buttons(w)
        self.contact_rows, self.timeline_hits = [], []
        body = pygame.Rect(theme.PAD, 74, w - 2 * theme.PAD, h - 74 - 28)
        if self.drill is not None and self.contacts:
            self._render_drill(surface, body, self.contacts[self.drill % len(self.contacts)], lang)
            hint = i18n.t("drill_help", lang)
        elif self.page == "contacts":
            self._render_contacts(surface, body, lang)
            hint = i18n.t("contact_list_help", lang)
        else:
            self._render_overview(surface, body, lang)
            hint = i18n.t("contact_list_help", lang)
        blit_text(
            surface,
            fonts,
            hint + " · E " + i18n.t("export", lang).split(" (")[0],
            (w // 2, h - 14),
            theme.SMALL,
            theme.DIM,
            anchor="center",
            max_width=w - 20,
        )

    def _make_buttons(self, w: int) -> None:
        import pygame

        lang = self.app.lang
        specs = [("export", i18n.t("export", lang), 210)]
        specs.append(
            ("back", i18n.t("back", lang), 120)
            if self.live or self.drill is not None or self.app.exam_result is not None
            else ("quit", i18n.t("quit", lang), 110)
        )
        specs = [
            ("overview", i18n.t("overview", lang), 90),
            ("contacts", i18n.t("contacts", lang), 110),
            *specs,
        ]
        x = w - theme.PAD
        buttons = []
        for action, label, width in reversed(specs):
            rect = pygame.Rect(0, 14, width, 34)
            rect.right = x
            x = rect.left - 6
            active = self.drill is None and action == self.page
            buttons.append(Button(rect, label, action, active=active))
        self.buttons = buttons

    def _render_overview(self, surface: pygame.Surface, body: pygame.Rect, lang: str) -> None:
        import pygame

        fonts, res = self.app.fonts, self.results
        gap = 6
        top = self._render_trainee(surface, body, lang)
        # the centre second: one row of compact tiles
        blit_text(surface, fonts, i18n.t("centre_kpis", lang), (body.left, top), theme.SMALL,
                  theme.MUTED, True)  # fmt: skip
        top += 20
        tiles = kpi_tiles(res)
        self.shown_tiles = []
        per_row = len(tiles)
        tw = (body.width - gap * (per_row - 1)) // per_row
        th = 46
        for i, tile in enumerate(tiles):
            r = pygame.Rect(body.left + i * (tw + gap), top, tw, th)
            met = tile["met"]
            edge = theme.BORDER if met is None else (theme.GOOD if met else theme.BAD)
            pygame.draw.rect(surface, theme.PANEL, r, border_radius=5)
            pygame.draw.rect(surface, edge, r, 1, border_radius=5)
            key = tile["key"]
            value = kc.format_value(key, tile["value"], lang)
            blit_text(surface, fonts, kc.label(key, lang), (r.left + 5, r.top + 3), theme.SMALL,
                      theme.MUTED, max_width=tw - 8)  # fmt: skip
            blit_text(surface, fonts, value, (r.left + 5, r.top + 21), theme.BODY, theme.TEXT,
                      True, max_width=tw - 8)  # fmt: skip
            self.shown_tiles.append({**tile, "label": kc.label(key, lang), "text": value})
        top += th + gap + 4
        row_h = int((body.bottom - top) * 0.58)
        col_w = (body.width - 3 * gap) // 4
        # radar: the trainee's rubric (no evidence = no data), the colleagues' in words below
        from ui.trainee_results import colleagues_rubric, trainee_rubric

        r1 = pygame.Rect(body.left, top, int(col_w * 1.45), row_h)
        inner = draw_panel(surface, fonts, r1, i18n.t("your_rubric", lang))
        rubric: dict[str, Any] = dict(trainee_rubric(res))
        others = colleagues_rubric(res)
        foot = fonts.line_height(theme.SMALL) * 2 + 4
        radar_rect = pygame.Rect(inner.left, inner.top, inner.width, max(40, inner.height - foot))
        charts.radar(
            surface,
            fonts,
            radar_rect,
            rubric,
            {k: i18n.radar_label(k, lang) for k in i18n.RUBRIC_KEYS},
            no_data=i18n.t("no_data", lang),
        )
        self.shown_radar = [
            charts.radar_label(i18n.radar_label(k, lang), rubric.get(k), i18n.t("no_data", lang))
            for k in i18n.RUBRIC_KEYS
        ]
        peers = " · ".join(
            charts.radar_label(i18n.radar_label(k, lang), others.get(k), i18n.t("no_data", lang))
            for k in i18n.RUBRIC_KEYS
        )
        blit_wrapped(surface, fonts, f"{i18n.t('colleagues', lang)}: {peers}", inner,
                     radar_rect.bottom + 2, theme.SMALL, theme.DIM)  # fmt: skip
        # CSAT distribution
        r2 = pygame.Rect(r1.right + gap, top, int(col_w * 0.85), row_h)
        inner = draw_panel(surface, fonts, r2, i18n.t("csat_dist", lang))
        dist = csat_distribution(res)
        charts.bars(
            surface,
            fonts,
            inner,
            [(str(k + 1), v) for k, v in enumerate(dist)],
            [theme.BAD, (235, 140, 70), theme.WARN, (150, 200, 110), theme.GOOD],
        )
        # funnel + churn
        r3 = pygame.Rect(r2.right + gap, top, body.right - r2.right - gap, row_h)
        inner = draw_panel(surface, fonts, r3, i18n.t("funnel", lang))
        fun = pygame.Rect(inner.left, inner.top, inner.width, int(inner.height * 0.55))
        charts.funnel(surface, fonts, fun, funnel_stages(res, lang))
        churn = res.get("churn") or {}
        y = fun.bottom + 8
        blit_text(
            surface, fonts, i18n.t("churn", lang), (inner.left, y), theme.SMALL, theme.MUTED, True
        )
        mean = churn.get("mean", (res.get("kpis") or {}).get("churn_risk_mean"))
        blit_text(
            surface,
            fonts,
            kc.format_value("churn_risk_mean", mean, lang),
            (inner.left, y + 20),
            theme.TITLE,
            theme.WARN,
            True,
        )
        high = churn.get("high_risk", churn.get("high_risk_count"))
        if high is not None:
            blit_text(
                surface,
                fonts,
                f"{i18n.t('churn_high', lang)}: {high}",
                (inner.left + 110, y + 30),
                theme.SMALL,
                theme.TEXT,
                max_width=inner.width - 110,
            )
        # timeline + risk list
        top2 = top + row_h + gap
        r4 = pygame.Rect(body.left, top2, int(body.width * 0.62), body.bottom - top2)
        inner = draw_panel(surface, fonts, r4, i18n.t("timeline", lang))
        items = list(res.get("timeline") or ())
        start = min((float(c.get("arrived_at") or 0) for c in items), default=0.0)
        end = max(
            float(res.get("duration_s") or 0),
            max((float(c.get("ended_at") or 0) for c in items), default=0.0),
        )
        self.timeline_hits = charts.timeline(
            surface, fonts, inner, items, min(0.0, start), end or 1.0
        )
        r5 = pygame.Rect(r4.right + gap, top2, body.right - r4.right - gap, body.bottom - top2)
        self._render_risks(surface, r5, lang)

    def _render_trainee(self, surface: pygame.Surface, body: pygame.Rect, lang: str) -> int:
        """The trainee first: their KPIs against the bot colleagues and the targets (customers
        who hung up on them in red). Returns the y below the row."""
        import pygame

        from ui.trainee_results import tile_label, tile_value, trainee_tiles

        fonts, res = self.app.fonts, self.results
        blit_text(surface, fonts, f"{i18n.t('you', lang)} · {self.app.trainee}", (body.left, body.top),
                  theme.BODY, theme.ACCENT, True)  # fmt: skip
        top = body.top + 24
        tiles = trainee_tiles(res)
        gap = 6
        tw = (body.width - gap * (len(tiles) - 1)) // len(tiles)
        th = 94
        self.shown_trainee = []
        for i, tile in enumerate(tiles):
            r = pygame.Rect(body.left + i * (tw + gap), top, tw, th)
            key, met = tile["key"], tile["met"]
            edge = theme.BORDER if met is None else (theme.GOOD if met else theme.BAD)
            pygame.draw.rect(surface, theme.PANEL, r, border_radius=6)
            pygame.draw.rect(surface, edge, r, 2, border_radius=6)
            label, value = tile_label(key, lang), tile_value(key, tile["value"], lang)
            blit_text(surface, fonts, label, (r.left + 8, r.top + 4), theme.SMALL, theme.MUTED,
                      max_width=tw - 16)  # fmt: skip
            color = theme.BAD if key == "hung_up" and tile["value"] else theme.TEXT
            blit_text(surface, fonts, value, (r.left + 8, r.top + 22), theme.TITLE, color, True)
            notes = []
            if tile["colleagues"] is not None:
                notes.append(
                    f"{i18n.t('colleagues', lang)} {tile_value(key, tile['colleagues'], lang)}"
                )
            if tile["target"] is not None:
                notes.append(
                    f"{i18n.t('target', lang)} {kc.format_target(key, tile['target'], lang)}"
                )
            for j, note in enumerate(notes):  # one line each: never cut off
                blit_text(surface, fonts, note, (r.left + 8, r.top + 56 + 17 * j), theme.SMALL,
                          theme.MUTED, max_width=tw - 12)  # fmt: skip
            self.shown_trainee.append({**tile, "label": label, "text": value, "notes": notes})
        return top + th + 8

    def _risk_rows(self, lang: str) -> list[tuple[str, tuple[int, int, int]]]:
        """Risk points by type, then every risk of the human-seat contacts with its decision."""
        from ui.learning_pack import weak_spot_rows  # the debrief's weak spots (issue 16)

        rows: list[tuple[str, tuple[int, int, int]]] = weak_spot_rows(self.results, lang)
        by_type = self.results.get("risk_points_by_type") or {}
        for kind, points in by_type.items():
            if points:
                rows.append(
                    (
                        f"{i18n.risk_label(kind, lang)}: {points:g} {i18n.t('points', lang)}",
                        theme.BAD,
                    )
                )
        texts = {}
        for contact in self.contacts:
            for d in contact.get("decisions") or ():
                texts[(contact.get("contact_id"), d.get("choice_id"))] = i18n.pick(
                    d.get("text"), lang
                )
        entries = self.results.get("risk_list")
        if entries is None:  # older documents: derive from the decisions
            entries = [
                {
                    "contact_id": c.get("contact_id"),
                    "t": d.get("t"),
                    "choice_id": d.get("choice_id"),
                    "type": r.get("type") if isinstance(r, Mapping) else r,
                }
                for c in self.contacts
                for d in c.get("decisions") or ()
                for r in d.get("risks") or ()
            ]
        for e in entries:
            said = texts.get((e.get("contact_id"), e.get("choice_id"))) or ""
            rows.append(
                (
                    f"#{e.get('contact_id')} {self.app.desk.clock_at(e.get('t'), seconds=True)} {i18n.risk_label(str(e.get('type')), lang)}"
                    + (f" — {said}" if said else ""),
                    theme.WARN,
                )
            )
        return rows

    def _render_risks(self, surface: pygame.Surface, rect: pygame.Rect, lang: str) -> None:
        fonts = self.app.fonts
        inner = draw_panel(surface, fonts, rect, i18n.t("risk_list", lang))
        rows = self._risk_rows(lang)
        if not rows:
            blit_text(
                surface,
                fonts,
                i18n.t("risk_none", lang),
                (inner.left, inner.top),
                theme.SMALL,
                theme.GOOD,
            )
        y = inner.top
        for text, color in rows:
            y = blit_wrapped(surface, fonts, text, inner, y, theme.SMALL, color)
            if y > inner.bottom:
                break

    def _render_contacts(self, surface: pygame.Surface, body: pygame.Rect, lang: str) -> None:
        import pygame

        fonts = self.app.fonts
        inner = draw_panel(surface, fonts, body, i18n.t("contacts", lang))
        if not self.contacts:
            blit_text(
                surface,
                fonts,
                i18n.t("no_contacts", lang),
                (inner.left, inner.top + 4),
                theme.BODY,
                theme.DIM,
            )
            return
        row_h = 34
        visible = max(1, inner.height // row_h)
        first = (
            max(0, min(self.selected - visible + 1, len(self.contacts) - visible))
            if self.selected >= visible
            else 0
        )
        y = inner.top
        for index in range(first, min(len(self.contacts), first + visible)):
            c = self.contacts[index]
            row = pygame.Rect(inner.left, y, inner.width, row_h - 4)
            pygame.draw.rect(
                surface,
                theme.SELECTED if index == self.selected else theme.PANEL_ALT,
                row,
                border_radius=4,
            )
            outcome = str(c.get("outcome") or ("abandoned" if c.get("abandoned") else "unresolved"))
            color = theme.OUTCOME_COLORS.get(outcome, theme.MUTED)
            cols = [
                (f"#{c.get('contact_id')}", 0.0, theme.TEXT),
                (
                    i18n.label(i18n.CHANNELS, str(c.get("channel", "")), lang),
                    0.1,
                    theme.CHANNEL_COLORS.get(str(c.get("channel")), theme.MUTED),
                ),
                (i18n.journey_title(c, lang), 0.17, theme.TEXT),
                (i18n.outcome_label(outcome, lang), 0.42, color),
                (
                    f"CSAT {kc.format_value('csat_mean', c.get('csat_mean'), lang)}",
                    0.56,
                    theme.TEXT,
                ),
                (
                    f"{i18n.t('handle_time', lang)} {i18n.duration(c.get('handle_s'))}",
                    0.68,
                    theme.MUTED,
                ),
                (
                    f"{i18n.t('risk_point', lang)} {c.get('risk_points', 0)}",
                    0.84,
                    theme.BAD if c.get("risk_points") else theme.MUTED,
                ),
            ]
            ends = [frac for _, frac, _ in cols[1:]] + [1.0]
            for (text, frac, col), end in zip(cols, ends, strict=True):
                blit_text(
                    surface,
                    fonts,
                    text,
                    (row.left + 8 + int(row.width * frac), row.centery),
                    theme.BODY,
                    col,
                    anchor="midleft",
                    max_width=int(row.width * (end - frac)) - 12,
                )
            self.contact_rows.append((index, row))
            y += row_h

    def _render_drill(
        self, surface: pygame.Surface, body: pygame.Rect, contact: Mapping[str, Any], lang: str
    ) -> None:
        import pygame

        fonts = self.app.fonts
        gap = theme.PAD
        left = pygame.Rect(body.left, body.top, int(body.width * 0.42), body.height)
        right = pygame.Rect(left.right + gap, body.top, body.right - left.right - gap, body.height)
        outcome = str(contact.get("outcome") or "unresolved")
        head = f"#{contact.get('contact_id')} · {i18n.journey_title(contact, lang)} · {i18n.outcome_label(outcome, lang)}"
        inner = draw_panel(surface, fonts, left, f"{i18n.t('transcript', lang)} — {head}")
        # ↑/↓ scroll both columns; each stops when its end is in view
        tflat: list[tuple[str, tuple[int, int, int]]] = []
        for entry in contact.get("transcript") or ():
            speaker = str(entry.get("speaker", "system"))
            color = {"customer": theme.CUSTOMER, "agent": theme.AGENT}.get(speaker, theme.SYSTEM)
            tones = [i18n.tag_label(speaker, str(tag), lang) for tag in entry.get("tags") or ()]
            label = i18n.label(i18n.SPEAKERS, speaker, lang) + (
                f" [{'·'.join(tones)}]" if tones else ""
            )
            said = i18n.without_label(
                i18n.pick(entry.get("text"), lang), i18n.label(i18n.SPEAKERS, speaker, lang)
            )
            text = f"{label}: {said}"
            tflat.extend((part, color) for part in fonts.wrap(text, theme.SMALL, inner.width))
        step = fonts.line_height(theme.SMALL)
        visible = max(1, inner.height // step)
        y = inner.top
        for text, color in tflat[min(self.scroll, max(0, len(tflat) - visible)) :][:visible]:
            surface.blit(fonts.render(text, theme.SMALL, color), (inner.left, y))
            y += step
        decisions = list(contact.get("decisions") or ())
        csat_values = [float(d["csat_after"]) for d in decisions if d.get("csat_after") is not None]
        rinner = draw_panel(
            surface,
            fonts,
            right,
            f"{i18n.t('decisions', lang)} · {i18n.t('csat_after', lang)} {kc.format_value('csat_mean', contact.get('csat_mean'), lang)}",
        )
        chart = pygame.Rect(rinner.left, rinner.top, rinner.width, 78)
        charts.line(surface, fonts, chart, csat_values)
        area = pygame.Rect(
            rinner.left, chart.bottom + 6, rinner.width, rinner.bottom - chart.bottom - 6
        )
        lines: list[tuple[str, int, tuple[int, int, int], bool, int]] = []
        prev = None
        for i, d in enumerate(decisions, 1):
            after = d.get("csat_after")
            effect = ""
            if after is not None:
                effect = f"  CSAT {float(after):.2f}"
                if prev is not None:
                    diff = float(after) - prev
                    effect += f" ({'+' if diff >= 0 else '−'}{abs(diff):.2f})"
                prev = float(after)
            lines.append(
                (
                    f"{i}. {self.app.desk.clock_at(d.get('t'), seconds=True)} {i18n.pick(d.get('text'), lang)}{effect}",
                    theme.BODY,
                    theme.TEXT,
                    True,
                    0,
                )
            )
            tags = " · ".join(i18n.behaviour_label(b, lang) for b in d.get("behaviours") or ())
            if tags:
                lines.append((tags, theme.SMALL, theme.MUTED, False, 18))
            for risk in d.get("risks") or ():
                kind = risk.get("type") if isinstance(risk, Mapping) else str(risk)
                lines.append(
                    (
                        f"⚠ {i18n.t('risk_point', lang)}: {i18n.risk_label(str(kind), lang)}",
                        theme.SMALL,
                        theme.BAD,
                        True,
                        18,
                    )
                )
            if d.get("feedback"):
                lines.append(
                    (
                        f"{i18n.t('feedback', lang)}: {i18n.pick(d.get('feedback'), lang)}",
                        theme.SMALL,
                        feedback_color(d),
                        False,
                        18,
                    )
                )
            for k in d.get("knowledge") or ():
                title = i18n.pick(k.get("title"), lang) if isinstance(k, Mapping) else str(k)
                kid = k.get("id") if isinstance(k, Mapping) else k
                lines.append(
                    (
                        f"{i18n.t('knowledge', lang)}: {title or kid}",  # the title, not the id
                        theme.SMALL,
                        theme.ACCENT,
                        False,
                        18,
                    )
                )
        explanation = contact.get("explanation")
        why = (
            explanation.get(lang) or explanation.get(i18n.other(lang))
            if isinstance(explanation, Mapping)
            else explanation
        )
        if why:
            lines.append((i18n.t("why", lang), theme.BODY, theme.TEXT, True, 0))
            for item in why:
                lines.append((f"· {i18n.pick(item, lang)}", theme.SMALL, theme.MUTED, False, 18))
        flat: list[tuple[str, int, tuple[int, int, int], bool, int]] = []
        for text, size, color, bold, indent in lines:
            for part in fonts.wrap(text, size, area.width - indent, bold):
                flat.append((part, size, color, bold, indent))
        self.max_scroll = max(0, len(flat) - 3, len(tflat) - visible)
        self.scroll = min(self.scroll, self.max_scroll)
        y = area.top
        for text, size, color, bold, indent in flat[min(self.scroll, max(0, len(flat) - 3)) :]:
            step = fonts.line_height(size, bold)
            if y + step > area.bottom:
                break
            surface.blit(fonts.render(text, size, color, bold), (area.left + indent, y))
            y += step
        self.shown_drill = {
            "contact_id": contact.get("contact_id"),
            "head": head,
            "transcript": [text for text, _ in tflat],
            "feedback": [
                (text, color)
                for text, _, color, _, _ in lines
                if text.startswith(i18n.t("feedback", lang))
            ],
            "knowledge": [
                text for text, _, _, _, _ in lines if text.startswith(i18n.t("knowledge", lang))
            ],
            "decisions": [i18n.pick(d.get("text"), lang) for d in decisions],
            "csat_after": csat_values,
        }

    def state(self) -> dict[str, Any]:
        return {
            "page": self.page,
            "drill": self.drill,
            "trainee_tiles": list(self.shown_trainee),
            "tiles": list(self.shown_tiles),
            "drill_view": dict(self.shown_drill),
            "radar": list(self.shown_radar),
            "live": self.live,
        }
