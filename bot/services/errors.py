"""Problems a service reports to its caller, carrying a text key for the user."""

from __future__ import annotations

from typing import Any


class Problem(Exception):
    """A rule said no. `key` names the text to show; `params` fill it in."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class AccessDenied(Problem):
    def __init__(self) -> None:
        super().__init__("common.not_allowed")
