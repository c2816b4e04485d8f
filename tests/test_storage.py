"""Storage on SQLite and PostgreSQL: UTC datetimes, the union tree, atomic claims, the
update guard and the database FSM storage; the same FSM contract on Redis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from aiogram.fsm.storage.base import DefaultKeyBuilder, StorageKey

from bot.clock import FrozenClock
from bot.services import invites, orgs
from bot.services.errors import Problem
from storage.db import Database
from storage.fsm import SQLModelStorage
from storage.models import OrgLevel, Role
from storage.uow import UnitOfWork
from tests.conftest import make_settings

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture
async def db(any_db_url):
    database = Database(any_db_url)
    yield database
    await database.dispose()


async def test_datetimes_come_back_aware_utc(db):
    beijing = timezone(timedelta(hours=8))
    async with UnitOfWork(db.sessions) as uow:
        org = await orgs.add_org(uow, "武汉市总工会", OrgLevel.city, None, NOW.astimezone(beijing))
        await uow.commit()
    async with UnitOfWork(db.sessions) as uow:
        assert org.id is not None
        loaded = await uow.orgs.get(org.id)
        assert loaded is not None
        assert loaded.created_at == NOW
        assert loaded.created_at.tzinfo is not None
        assert loaded.created_at.utcoffset() == timedelta(0)


async def test_naive_datetimes_are_refused(db):
    from sqlalchemy.exc import StatementError

    async with UnitOfWork(db.sessions) as uow:
        with pytest.raises(StatementError):
            await orgs.add_org(uow, "x", OrgLevel.city, None, datetime(2026, 1, 1))


async def test_subtree_and_access(db):
    async with UnitOfWork(db.sessions) as uow:
        province = await orgs.add_org(uow, "湖北省总工会", OrgLevel.province, None, NOW)
        city = await orgs.add_org(uow, "武汉市总工会", OrgLevel.city, "湖北省总工会", NOW)
        county = await orgs.add_org(uow, "洪山区总工会", OrgLevel.county, str(city.id), NOW)
        other = await orgs.add_org(uow, "宜昌市总工会", OrgLevel.city, "湖北省总工会", NOW)
        await uow.commit()
    async with UnitOfWork(db.sessions) as uow:
        names = [o.name for o in await uow.orgs.subtree(city)]
        assert names == ["武汉市总工会", "洪山区总工会"]
        assert len(await uow.orgs.subtree(province)) == 4
        assert orgs.within(city, county)
        assert not orgs.within(city, other)
        assert not orgs.within(county, city)
        with pytest.raises(Problem):
            await orgs.add_org(uow, "武汉市总工会", OrgLevel.city, None, NOW)
        with pytest.raises(Problem):
            await orgs.add_org(uow, "新区", OrgLevel.zone, "不存在", NOW)


async def test_invite_claim_is_atomic(db):
    settings = make_settings("sqlite+aiosqlite:///:memory:")
    async with UnitOfWork(db.sessions) as uow:
        org = await orgs.add_org(uow, "武汉市总工会", OrgLevel.city, None, NOW)
        made = await invites.create(uow, org, Role.instructor, NOW, settings)
        await uow.commit()
    assert made.invite.id is not None
    async with UnitOfWork(db.sessions) as uow:
        assert await uow.invites.claim(made.invite.id, NOW)
        assert not await uow.invites.claim(made.invite.id, NOW)
        await uow.commit()
    async with UnitOfWork(db.sessions) as uow:
        assert await uow.invites.by_hash(invites.hash_code(made.code)) is not None
        assert await uow.invites.by_hash(made.code) is None  # only the hash is stored


async def test_update_guard(db):
    async with UnitOfWork(db.sessions) as uow:
        assert await uow.updates.claim(42, NOW)
        assert not await uow.updates.claim(42, NOW)
        await uow.commit()
    async with UnitOfWork(db.sessions) as uow:
        assert not await uow.updates.claim(42, NOW)
        await uow.updates.prune(NOW + timedelta(seconds=1))
        await uow.commit()
    async with UnitOfWork(db.sessions) as uow:
        assert await uow.updates.claim(42, NOW)


async def _add_then_fail(db: Database) -> None:
    async with UnitOfWork(db.sessions) as uow:
        await orgs.add_org(uow, "临时", OrgLevel.city, None, NOW)
        raise RuntimeError("boom")


async def test_rollback_leaves_nothing(db):
    with pytest.raises(RuntimeError):
        await _add_then_fail(db)
    async with UnitOfWork(db.sessions) as uow:
        assert await uow.orgs.count() == 0


KEY = StorageKey(bot_id=7, chat_id=1101, user_id=1101)


async def _fsm_contract(storage) -> None:
    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {}
    await storage.set_state(KEY, "ProfileForm:phone")
    await storage.set_data(KEY, {"name": "李明 <&>", "n": 3, "nested": {"a": [1, 2]}})
    assert await storage.get_state(KEY) == "ProfileForm:phone"
    assert await storage.get_data(KEY) == {"name": "李明 <&>", "n": 3, "nested": {"a": [1, 2]}}
    other = StorageKey(bot_id=7, chat_id=1102, user_id=1102)
    assert await storage.get_state(other) is None
    await storage.set_state(KEY, None)
    await storage.set_data(KEY, {})
    assert await storage.get_state(KEY) is None
    assert await storage.get_data(KEY) == {}


async def test_fsm_storage_contract_and_persistence(db):
    clock = FrozenClock(NOW)
    await _fsm_contract(SQLModelStorage(db.sessions, clock.now))
    first = SQLModelStorage(db.sessions, clock.now)
    await first.set_state(KEY, "ProfileForm:area")
    await first.set_data(KEY, {"name": "李明"})
    # A new storage object (as after a restart) reads what the first one wrote.
    second = SQLModelStorage(db.sessions, clock.now)
    assert await second.get_state(KEY) == "ProfileForm:area"
    assert await second.get_data(KEY) == {"name": "李明"}


async def test_fsm_steps_inside_one_unit_of_work(db):
    """Within an update the state is read once and held; a handler that changes what
    get_data returned, nested lists included, changes nothing stored until it writes."""
    clock = FrozenClock(NOW)
    storage = SQLModelStorage(db.sessions, clock.now)
    await storage.set_data(KEY, {"a": {"topics": [0]}})
    async with UnitOfWork(db.sessions) as uow:
        data = await storage.get_data(KEY)
        data["a"]["topics"].append(1)  # in place, as a form's answer object would
        assert await storage.get_data(KEY) == {"a": {"topics": [0]}}
        await storage.set_data(KEY, data)
        data["a"]["topics"].append(2)  # after the write: not stored either
        await storage.set_state(KEY, "Answering:question")
        assert await storage.get_state(KEY) == "Answering:question"
        await uow.commit()
    assert await storage.get_data(KEY) == {"a": {"topics": [0, 1]}}
    async with UnitOfWork(db.sessions) as uow:
        await storage.set_state(KEY, None)
        await storage.set_data(KEY, {})
        assert await storage.get_data(KEY) == {}
        await storage.set_data(KEY, {"again": True})  # deleted, then written anew
        await uow.commit()
    assert await storage.get_data(KEY) == {"again": True}
    assert await storage.get_state(KEY) is None


async def test_fsm_contract_on_redis(redis_url):
    from aiogram.fsm.storage.redis import RedisStorage

    storage = RedisStorage.from_url(
        redis_url, key_builder=DefaultKeyBuilder(with_bot_id=True, with_destiny=True)
    )
    try:
        await _fsm_contract(storage)
    finally:
        await storage.close()
