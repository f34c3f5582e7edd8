"""The journey language: load YAML journeys into validated, immutable `Journey` objects and
play one step by step with `JourneyRun`. Knows nothing of SimPy, pygame or ML.

Public API (see docs/journey-format.md):
`load_journey`, `load_journey_text`, `check_file`, `Journey`, `JourneyError`, `Diagnostic`,
`JourneyRun`, `JourneyRunError`, `StepResult`, `ChoiceView`, `TriggerEvent`.
"""

from journeys.diagnostics import CODES, Diagnostic, JourneyError
from journeys.loader import check_file, load_journey, load_journey_text
from journeys.model import Choice, Ending, Journey, Line, Node, StateVar, Text, Trigger
from journeys.runtime import ChoiceView, JourneyRun, JourneyRunError, StepResult, TriggerEvent

__all__ = [
    "CODES",
    "Choice",
    "ChoiceView",
    "Diagnostic",
    "Ending",
    "Journey",
    "JourneyError",
    "JourneyRun",
    "JourneyRunError",
    "Line",
    "Node",
    "StateVar",
    "StepResult",
    "Text",
    "Trigger",
    "TriggerEvent",
    "check_file",
    "load_journey",
    "load_journey_text",
]
