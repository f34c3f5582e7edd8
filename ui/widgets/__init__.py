"""Reusable drawing pieces: panels, buttons, KPI bar, radar and bar charts (pure pygame)."""
