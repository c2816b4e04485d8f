"""A router blueprint: handlers register with decorators as on an aiogram Router, and
`build()` makes a fresh Router each time. aiogram lets a Router join one dispatcher only,
while tests (and a playground running several bots) build many dispatchers in one process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.handler import CallbackType

Handler = Callable[..., Any]


class Blueprint:
    def __init__(self, name: str) -> None:
        self.name = name
        self._router_filters: list[tuple[str, tuple[CallbackType, ...]]] = []
        self._handlers: list[tuple[str, Handler, tuple[CallbackType, ...], dict[str, Any]]] = []

    def filter(self, observer: str, *filters: CallbackType) -> None:
        self._router_filters.append((observer, filters))

    def _register(
        self, observer: str, filters: tuple[CallbackType, ...], kwargs: dict[str, Any]
    ) -> Callable[[Handler], Handler]:
        def decorate(handler: Handler) -> Handler:
            self._handlers.append((observer, handler, filters, kwargs))
            return handler

        return decorate

    def message(self, *filters: CallbackType, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self._register("message", filters, kwargs)

    def callback_query(self, *filters: CallbackType, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self._register("callback_query", filters, kwargs)

    def errors(self, *filters: CallbackType, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self._register("errors", filters, kwargs)

    def scoped(self, *filters: CallbackType) -> Scope:
        """Handlers registered through the scope get `filters` too (a role, say), declared
        once for the section of the router instead of on every handler; they stay on this
        router, in the order they are written, so no handler moves ahead of another."""
        return Scope(self, filters)

    def build(self) -> Router:
        router = Router(name=self.name)
        for observer, filters in self._router_filters:
            getattr(router, observer).filter(*filters)
        for observer, handler, filters, kwargs in self._handlers:
            getattr(router, observer).register(handler, *filters, **kwargs)
        return router


class Scope:
    def __init__(self, blueprint: Blueprint, filters: tuple[CallbackType, ...]) -> None:
        self.blueprint = blueprint
        self.filters = filters

    def message(self, *filters: CallbackType, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.blueprint.message(*filters, *self.filters, **kwargs)

    def callback_query(self, *filters: CallbackType, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.blueprint.callback_query(*filters, *self.filters, **kwargs)
