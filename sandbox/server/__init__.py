"""The exam and competition server (`shapan serve`): storage, clock, ASGI app, desk client.

See docs/exam-server.md for how the parts fit. Nothing in journeys/, customer_models/ or
sandbox/engine imports this package; heavy libraries (SQLAlchemy, Starlette) load lazily.
"""
