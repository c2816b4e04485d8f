"""aiogram FSM storage in the database, so a half-filled form survives a restart.

Inside an update, state and data are written through that update's unit of work, so a form
step commits together with whatever the step changed; outside one (rare), each call opens
and commits its own.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StateType,
    StorageKey,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.repositories import FsmRepo
from storage.uow import UnitOfWork, current_uow


class SQLModelStorage(BaseStorage):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        now: Callable[[], datetime],
        key_builder: KeyBuilder | None = None,
    ) -> None:
        self._sessions = sessions
        self._now = now
        self._keys = key_builder or DefaultKeyBuilder(with_bot_id=True, with_destiny=True)

    @asynccontextmanager
    async def _repo(self) -> AsyncIterator[FsmRepo]:
        uow = current_uow()
        if uow is not None:
            yield uow.fsm
            return
        async with UnitOfWork(self._sessions) as own:
            yield own.fsm
            await own.commit()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        async with self._repo() as repo:
            await repo.put(self._keys.build(key), self._now(), state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._repo() as repo:
            record = await repo.get(self._keys.build(key))
            return record.state if record else None

    # Data is copied deeply both ways: a handler that changes a nested list in place must
    # not change the stored record behind SQLAlchemy's back (it would then see no change
    # and write nothing).
    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        async with self._repo() as repo:
            await repo.put(self._keys.build(key), self._now(), data=copy.deepcopy(dict(data)))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._repo() as repo:
            record = await repo.get(self._keys.build(key))
            return copy.deepcopy(record.data) if record else {}

    async def close(self) -> None:
        return None
