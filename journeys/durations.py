"""The one duration grammar of every file shapan reads (journeys, scenarios, …).

Why one module: the journey loader and the scenario loader used to carry their own patterns,
and `1.5h` was valid in a scenario but an error in a journey. Both loaders now call
`parse_duration` and word a bad value with `not_a_duration`, so a designer learns one syntax and
sees one message (the diagnostic code still says which file type it came from). It lives in
`journeys/` because `sandbox/` may import `journeys/` but not the other way round.

The grammar (documented for users in docs/journey-format.md, "Durations"):

- a YAML number of seconds, at least 0 and finite: `20`, `90.5` (not `true`/`false`);
- or a string of up to three parts in the order hours, minutes, seconds, each a non-negative
  decimal number followed by its unit letter, at least one part, no spaces, no sign:
  `20s`, `2m`, `1m30s`, `1h`, `1.5h`, `1h30m`, `0.5m`, `8h`. Leading or trailing blanks are
  ignored.

Range limits (a journey line at most 24 h, a scenario's `duration` above 0) are each loader's
business, reported with its own "out of range" code.
"""

from __future__ import annotations

import math
import re

#: The string form as a regular expression (also used by the journey JSON Schema for editors).
PATTERN = r"^(\d+(\.\d+)?h)?(\d+(\.\d+)?m)?(\d+(\.\d+)?s)?$"

_PARTS = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?\Z")

#: How the message tells the user to write a duration (one wording for every file type).
EXAMPLES = '"20s", "1m30s", "1.5h" or a number of seconds'


def parse_duration(value: object) -> float | None:
    """Seconds for a duration value (`"1h30m"`, `"1.5h"`, `"45s"`, `90`); None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        seconds = float(value)
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    if not isinstance(value, str):
        return None
    match = _PARTS.match(value.strip())
    if match is None or not any(match.groups()):
        return None
    hours, minutes, seconds_part = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600.0 + minutes * 60.0 + seconds_part


def not_a_duration(field: str, value: object) -> str:
    """The one-line message for a value that `parse_duration` refused (same in every loader)."""
    return f'"{field}" is not a duration: write {EXAMPLES}; got {value!r}'


__all__ = ["EXAMPLES", "PATTERN", "not_a_duration", "parse_duration"]
