"""Classroom competitions (issue 13): teams play scheduled rounds of the same customers and a
balanced scorecard ranks them.

- `sandbox.league.model`: the immutable competition values (`Competition`, `Round`, ...);
- `sandbox.league.loader`: the strict competition-file loader (`load_competition`,
  `check_competition`, `shipped_competitions`; LGnnn codes in `sandbox.league.errors`,
  docs/competition-format.md and docs/competition-errors.md).
"""
