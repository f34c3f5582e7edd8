"""shapan's engine layer: SimPy contact center, sessions, scoring, results and the CLI.

Depends on `journeys` and `customer_models`; never on `ui`.
"""

__version__ = "0.1.0"
