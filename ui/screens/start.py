"""Start screen: scenario, language, trainee name, seed, practice or timed mode.

Built with pygame_gui (text entry handles IME input for Chinese names). Keyboard: ↑/↓ scenario,
F2 language, F3 mode, Tab next field, Enter start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ui import i18n, theme
from ui.screens import Screen

if TYPE_CHECKING:  # pragma: no cover
    import pygame

    from ui.app import App


class StartScreen(Screen):
    def __init__(self, app: App) -> None:
        super().__init__(app)
        opts = app.options
        self.scenarios = list(opts.scenarios) or (
            [opts.scenario] if opts.scenario else ["practice"]
        )
        if opts.scenario and opts.scenario not in self.scenarios:
            self.scenarios.insert(0, opts.scenario)
        self.scenario_index = self.scenarios.index(opts.scenario) if opts.scenario else 0
        self.name = opts.trainee
        self.seed_text = "" if opts.seed is None else str(opts.seed)
        self._seeds: dict[str, tuple[str, dict[str, str]]] = {}
        self.error = ""
        self.pending_start = False
        self.elements: dict[str, Any] = {}

    @property
    def scenario(self) -> str:
        return self.scenarios[self.scenario_index]

    # ---- pygame_gui elements ----------------------------------------------------------------
    def enter(self) -> None:
        self.build()

    def leave(self) -> None:
        self._read_fields()
        self.app.gui.clear_and_reset()
        self.elements = {}

    def on_resize(self, size: tuple[int, int]) -> None:
        if self.elements:
            self._read_fields()
            self.build()

    def _read_fields(self) -> None:
        if "name" in self.elements:
            self.name = self.elements["name"].get_text()
            self.seed_text = self.elements["seed"].get_text()

    def build(self) -> None:
        """(Re)create the widgets in the current language and window size."""
        import pygame
        from pygame_gui.elements import UIButton, UIDropDownMenu, UILabel, UITextEntryLine

        gui = self.app.gui
        gui.clear_and_reset()
        lang = self.app.lang
        w, h = self.app.size
        col = pygame.Rect(0, 0, 640, 0)
        col.centerx = w // 2
        top = max(150, h // 2 - 200)
        lw = 150
        fx, fw = col.left + lw + 10, col.width - lw - 10
        e: dict[str, Any] = {}

        def label(text: str, y: int) -> None:
            UILabel(pygame.Rect(col.left, y, lw, 36), text, gui, object_id="@muted")

        label(i18n.t("scenario", lang), top)
        # each scenario by its title in this language (its name is the option's id)
        options: list[str | tuple[str, str]] = [
            (self.scenario_title(n, lang), n) for n in self.scenarios
        ]
        e["scenario"] = UIDropDownMenu(
            options, options[self.scenario_index], pygame.Rect(fx, top, fw, 36), gui
        )
        y = top + 50
        label(i18n.t("language", lang), y)
        e["lang_zh"] = UIButton(
            pygame.Rect(fx, y, fw // 2 - 4, 36),
            "中文",
            gui,
            object_id="@selected_mode" if lang == "zh-CN" else None,
        )
        e["lang_en"] = UIButton(
            pygame.Rect(fx + fw // 2 + 4, y, fw // 2 - 4, 36),
            "English",
            gui,
            object_id="@selected_mode" if lang == "en" else None,
        )
        y += 50
        label(i18n.t("trainee", lang), y)
        e["name"] = UITextEntryLine(
            pygame.Rect(fx, y, fw, 36), gui, placeholder_text=i18n.t("name_required", lang)
        )
        e["name"].set_text_length_limit(40)
        if self.name:
            e["name"].set_text(self.name)
        y += 50
        label(i18n.t("seed", lang), y)
        e["seed"] = UITextEntryLine(
            pygame.Rect(fx, y, fw, 36), gui, placeholder_text=self.default_seed(self.scenario)
        )
        e["seed"].set_allowed_characters("numbers")
        if self.seed_text:
            e["seed"].set_text(self.seed_text)
        y += 50
        label(i18n.t("mode", lang), y)
        e["practice"] = UIButton(
            pygame.Rect(fx, y, fw // 2 - 4, 36),
            i18n.t("practice", lang),
            gui,
            object_id="@selected_mode" if self.app.mode == "practice" else None,
        )
        e["timed"] = UIButton(
            pygame.Rect(fx + fw // 2 + 4, y, fw // 2 - 4, 36),
            i18n.t("timed", lang),
            gui,
            object_id="@selected_mode" if self.app.mode == "timed" else None,
        )
        y += 42
        e["mode_help"] = UILabel(
            pygame.Rect(col.left, y, col.width, 28),
            i18n.t(f"{self.app.mode}_help", lang),
            gui,
            object_id="@muted",
        )
        y += 46
        e["start"] = UIButton(
            pygame.Rect(fx, y, fw, 46), i18n.t("start", lang), gui, object_id="@start"
        )
        self.elements = e
        e["name"].focus()

    # ---- input ------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> bool:
        import pygame
        import pygame_gui

        if event.type == pygame.KEYDOWN:
            if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
                self.request_start()
                return True
            if event.key == pygame.K_F2:
                self.set_lang("en" if self.app.lang == "zh-CN" else "zh-CN")
                return True
            if event.key == pygame.K_F3:
                self.set_mode("timed" if self.app.mode == "practice" else "practice")
                return True
            if event.key in (pygame.K_UP, pygame.K_DOWN):
                step = -1 if event.key == pygame.K_UP else 1
                self._read_fields()
                self.scenario_index = (self.scenario_index + step) % len(self.scenarios)
                self.build()
                return True
            if event.key == pygame.K_TAB:
                name, seed = self.elements["name"], self.elements["seed"]
                if name.is_focused:
                    name.unfocus()
                    seed.focus()
                else:
                    seed.unfocus()
                    name.focus()
                return True
            if event.key == pygame.K_ESCAPE:
                self.app.request_quit()
                return True
        self.app.gui.process_events(event)
        if event.type == pygame_gui.UI_BUTTON_PRESSED:
            e = self.elements
            if event.ui_element is e.get("start"):
                self.request_start()
            elif event.ui_element is e.get("lang_zh"):
                self.set_lang("zh-CN")
            elif event.ui_element is e.get("lang_en"):
                self.set_lang("en")
            elif event.ui_element is e.get("practice"):
                self.set_mode("practice")
            elif event.ui_element is e.get("timed"):
                self.set_mode("timed")
        elif (
            event.type == pygame_gui.UI_DROP_DOWN_MENU_CHANGED
            and event.ui_element is self.elements.get("scenario")
        ):
            chosen = getattr(event, "selected_option_id", None) or event.text
            if chosen not in self.scenarios:
                return True
            self.scenario_index = self.scenarios.index(chosen)
            self._read_fields()
            self.build()  # the seed field shows this scenario's own default seed
        return True

    def _about(self, scenario: str) -> tuple[str, dict[str, str]]:
        """A scenario's default seed and title (loaded once; a broken one is reported when it
        starts, not here)."""
        if scenario not in self._seeds:
            from sandbox.scenario import ScenarioError, load_scenario

            try:
                sc = load_scenario(scenario)
                self._seeds[scenario] = (str(sc.seed), dict(sc.title))
            except (ScenarioError, OSError, ValueError):
                self._seeds[scenario] = ("", {})
        return self._seeds[scenario]

    def default_seed(self, scenario: str) -> str:
        """The seed an empty seed field plays: the scenario's own (never a made-up "42")."""
        return self._about(scenario)[0]

    def scenario_title(self, scenario: str, lang: str) -> str:
        """The scenario's title in `lang` (its name when it has none)."""
        return i18n.pick(self._about(scenario)[1], lang) or scenario

    def set_lang(self, lang: str) -> None:
        self._read_fields()
        self.app.set_lang(lang)
        self.build()

    def set_mode(self, mode: str) -> None:
        self._read_fields()
        self.app.mode = mode
        self.build()

    def request_start(self) -> None:
        """Check the fields; the session is built on the next frame, after 'Preparing…' shows."""
        self._read_fields()
        self.name = self.name.strip()
        if not self.name:
            self.error = i18n.t("name_required", self.app.lang)
            return
        self.error = ""
        self.pending_start = True

    def update(self, dt: float) -> None:
        if self.pending_start and getattr(self, "_drawn_loading", False):
            self.pending_start = self._drawn_loading = False
            self.app.trainee = self.name
            seed = int(self.seed_text) if self.seed_text.strip().isdigit() else None
            try:
                self.app.begin(self.scenario, seed)
            except Exception as err:  # a broken scenario file: show it, never a traceback
                self.error = str(err)
                self.app.session = None

    # ---- drawing ----------------------------------------------------------------------
    def draw(self, surface: pygame.Surface) -> None:
        from ui.widgets.base import blit_text, blit_wrapped

        fonts, lang = self.app.fonts, self.app.lang
        surface.fill(theme.BG)
        w, h = self.app.size
        top = max(150, h // 2 - 200)
        blit_text(
            surface,
            fonts,
            i18n.t("start_title", lang),
            (w // 2, top - 110),
            theme.HUGE,
            theme.TEXT,
            True,
            anchor="midtop",
        )
        blit_text(
            surface,
            fonts,
            i18n.t("start_sub", lang),
            (w // 2, top - 60),
            theme.LARGE,
            theme.MUTED,
            anchor="midtop",
        )
        msg, color = "", theme.BAD
        if self.error:
            msg = self.error
        elif self.pending_start:
            msg, color = i18n.t("loading", lang), theme.ACCENT
            self._drawn_loading = True
        if msg:  # errors (e.g. a scenario's file:line:column diagnostics) wrap over several lines
            import pygame

            area = pygame.Rect(40, top + 360, w - 80, h - top - 400)
            y = area.top
            for part in msg.splitlines():
                y = blit_wrapped(surface, fonts, part, area, y, theme.BODY, color)
        blit_text(
            surface,
            fonts,
            "↑↓ "
            + i18n.t("scenario", lang)
            + " · F2 "
            + i18n.t("language", lang)
            + " · F3 "
            + i18n.t("mode", lang)
            + " · Tab · Enter",
            (w // 2, h - 30),
            theme.SMALL,
            theme.DIM,
            anchor="midtop",
        )

    def state(self) -> dict[str, Any]:
        self._read_fields()
        return {
            "scenario": self.scenario,
            "lang": self.app.lang,
            "mode": self.app.mode,
            "name": self.name,
            "seed": self.seed_text,
            "seed_placeholder": self.default_seed(self.scenario),
            "scenario_shown": self.elements["scenario"].selected_option[0]
            if "scenario" in self.elements
            else "",
            "error": self.error,
        }
