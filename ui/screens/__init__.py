"""The three screens a trainee moves through: start → desk → results (with drill-down)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pygame

    from ui.app import App


class Screen:
    """One screen: gets events, advances with the frame, draws itself. No game rules here."""

    #: whether the sim advances while this screen is shown
    runs_sim = False
    #: whether the screen draws the app's toasts itself (else they float at the bottom)
    inline_notices = False

    def __init__(self, app: App) -> None:
        self.app = app

    def enter(self) -> None:
        """Called when the screen becomes the current one."""

    def leave(self) -> None:
        """Called when another screen replaces this one."""

    def handle_event(self, event: pygame.event.Event) -> bool:
        """Handle one event; True when consumed."""
        return False

    def update(self, dt: float) -> None:
        """Advance screen state by `dt` wall seconds."""

    def draw(self, surface: pygame.Surface) -> None:
        """Draw the whole screen."""

    def on_resize(self, size: tuple[int, int]) -> None:
        """The window changed size: recompute the layout."""

    def state(self) -> dict[str, Any]:
        """What the screen shows, as plain data, for tests and screenshots."""
        return {}
