"""shapan's pygame front end: the agent desk and the BI results screen.

Talks to the engine only through `sandbox.session.Session`. pygame is imported inside the
functions that draw, so importing this package stays cheap.
"""

import os

# pygame prints a banner on stdout when imported; `shapan play --json` must print only JSON.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
