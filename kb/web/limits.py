"""What a request may be, shared by the app (kb.web) and kb serve's worker (kb.web.worker)."""

from __future__ import annotations

# Big enough for a long article saved from the editor; queries have their own limits.
MAX_REQUEST_BYTES = 1024 * 1024
# The WSGI environ key kb serve's worker sets when a body stopped arriving; the app answers 408.
BODY_STALLED = "kb.body_stalled"
