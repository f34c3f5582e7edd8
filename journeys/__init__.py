"""The journey language: load YAML journeys into validated, immutable `Journey` objects and
play one step by step with `JourneyRun`. Knows nothing of SimPy, pygame or ML."""
