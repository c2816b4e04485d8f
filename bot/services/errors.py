"""What a service reports to its caller instead of a result, carrying a text key for the user.

- `Problem`: a rule said no to what was typed or chosen; a flow may catch it and ask again.
- `AccessDenied`: the user may not do this at all (a forged button, a case taken away). It
  is deliberately not a `Problem`, so no flow's `except Problem` swallows it and asks again
  forever: it reaches the error handler, which says so and ends the flow.
"""

from __future__ import annotations

from typing import Any


class Refusal(Exception):
    """A refusal shown to the user as a text (never logged as a failure)."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class Problem(Refusal):
    """A rule said no. `key` names the text to show; `params` fill it in."""


class AccessDenied(Refusal):
    def __init__(self) -> None:
        super().__init__("common.not_allowed")
