"""Callback data: every class has a prefix of its own (two sharing one would each try to read
the other's buttons), actions are enums, and the longest packed value fits Telegram's 64
bytes."""

from __future__ import annotations

import typing
from enum import Enum

from aiogram.filters.callback_data import CallbackData

import bot.callbacks as callbacks
from handlers.forms import FormCB

CLASSES = [
    value
    for value in vars(callbacks).values()
    if isinstance(value, type) and issubclass(value, CallbackData) and value is not CallbackData
] + [FormCB]


def test_prefixes_are_unique() -> None:
    prefixes = [cls.__prefix__ for cls in CLASSES]
    assert len(prefixes) == len(set(prefixes)), sorted(prefixes)


def test_actions_are_enums() -> None:
    for cls in CLASSES:
        hints = typing.get_type_hints(cls)
        if "action" in hints:
            assert isinstance(hints["action"], type), cls
            assert issubclass(hints["action"], Enum), cls


def _longest(cls: type[CallbackData]) -> CallbackData:
    """An instance with the widest value of every field."""
    values: dict[str, object] = {}
    for name, field in cls.model_fields.items():
        kind = field.annotation
        options = typing.get_args(kind) or (kind,)
        enum = next((o for o in options if isinstance(o, type) and issubclass(o, Enum)), None)
        if enum is not None:
            values[name] = max(enum, key=lambda m: len(str(m.value)))
        elif int in options:
            values[name] = 2**31 - 1
        elif bool in options:
            values[name] = True
        else:  # a survey link's token is 35 characters; keys and field names at most 24
            values[name] = "x" * (35 if name == "token" else 24)
    return cls(**values)


def test_every_packed_value_fits_in_64_bytes() -> None:
    for cls in CLASSES:
        packed = _longest(cls).pack()
        assert len(packed.encode()) <= 64, (cls.__name__, packed)
