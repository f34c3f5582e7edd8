"""A busy single seat: the queue, ticking wait timers, VIP marks, abandonments and alert banners
drawn on the desk are exactly what the Session's snapshot says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pygame

from tests.ui.conftest import key
from ui import i18n
from ui.screens.desk import human_contact

BUSY = Path(__file__).with_name("busy.yaml")
RISKY = {
    "disclose_private",
    "skip_verification",
    "wrong_info",
    "overpromise",
    "argue",
    "blame_customer",
}


def test_queue_abandonments_and_banners_follow_the_snapshot(make_app: Any) -> None:
    app = make_app(
        scenario=str(BUSY), scenarios=[str(BUSY)], trainee="Ann", skip_start=True, seed=3
    )
    for _ in range(3):
        app.step_frame(0.0)
    assert app.screen is app.desk
    key(app, pygame.K_F2)  # 2×: wait timers tick visibly from frame to frame
    assert app.speed == 2.0
    seen_alerts: set[tuple[Any, ...]] = set()
    max_queue = vip_rows = abandoned_rows = banner_checks = ticks = 0
    last_wait: dict[Any, str] = {}
    for _ in range(3000):
        if app.screen is not app.desk:
            break
        app.step_frame(1.0)
        if app.screen is not app.desk:
            break
        snap, state = app.snapshot, app.desk.state()
        # the queue panel: the first rows of the snapshot's queue, in order, with wait and VIP
        shown = state["queue"]
        assert [q["contact_id"] for q in shown] == [
            q["contact_id"] for q in snap["queue"][: len(shown)]
        ]
        for row, item in zip(shown, snap["queue"], strict=False):
            assert row["wait"] == i18n.duration(item["waited_s"]) and row["vip"] == item["vip"]
            ticks += last_wait.get(row["contact_id"], row["wait"]) != row["wait"]
            last_wait[row["contact_id"]] = row["wait"]
        if snap["queue"]:
            assert shown, "a waiting customer must be visible"
        max_queue = max(max_queue, len(shown))
        vip_rows += sum(q["vip"] for q in shown)
        abandoned_rows = max(abandoned_rows, len(state["abandoned"]))
        assert set(state["abandoned"]) <= {a["contact_id"] for a in snap["abandoned_recent"]}
        # every new trigger / risk / hang-up alert is on a banner the frame it arrives
        for alert in snap["alerts"]:
            k = (alert["t"], alert["contact_id"], alert["kind"])
            if k not in seen_alerts:
                seen_alerts.add(k)
                if alert["kind"] != "abandon":
                    assert i18n.pick(alert["text"], "en") in state["banners"]
                    banner_checks += 1
        contact = human_contact(snap)
        if contact and contact.get("awaiting_decision"):
            options = [c for c in contact["choices"] if c["available"]]
            risky = [c for c in options if RISKY & set(c["behaviours"])]
            choice = (risky or options)[0]
            key(app, getattr(pygame, f"K_{choice['number']}"))
    assert app.screen is app.results
    assert max_queue >= 3 and vip_rows > 0 and ticks > 10
    assert abandoned_rows >= 1, "abandonments appear on the desk"
    assert banner_checks >= 1
    results = app.session.results()
    assert results["kpis"]["abandoned"] >= 1
