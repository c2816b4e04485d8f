"""/menu, /start, /help and /cancel work in any state, and a refused step does not leave
a flow behind that refuses every later message."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey

from bot.testing import Harness
from bot.testing.client import TEST_TOKEN
from tests.test_roster import _demo


def _key(telegram_id: int) -> StorageKey:
    bot_id = int(TEST_TOKEN.split(":")[0])
    return StorageKey(bot_id=bot_id, chat_id=telegram_id, user_id=telegram_id)


async def test_menu_start_help_and_cancel_inside_the_roster(harness: Harness):
    await _demo(harness)
    liaison = harness.user(1001, "王芳")
    await liaison.send("/menu")
    await liaison.click("指导员名册")
    reply = await liaison.send("/menu")
    assert "请选择要办理的事项" in reply.text
    assert "没有看懂" not in reply.text
    await liaison.click("指导员名册")
    reply = await liaison.send("/start")
    assert "请选择要办理的事项" in reply.text
    await liaison.click("指导员名册")
    assert "/menu" in (await liaison.send("/help")).text
    reply = await liaison.send("/cancel")
    assert "已退出当前操作" in reply.text
    assert "没有保存" not in reply.text  # nothing was being filled in
    # The roster's search no longer takes text: a plain message is not a search.
    assert "共" not in (await liaison.send("李")).text


async def test_a_refused_step_ends_its_flow(harness: Harness):
    await _demo(harness)
    instructor = harness.user(1101, "李明")
    storage = harness.app.dispatcher.storage
    # As after a forged button: adding a topic to a case that is not the instructor's.
    await storage.set_state(_key(1101), "TopicInput:custom")
    await storage.set_data(_key(1101), {"case_id": 99_999})
    assert "没有权限" in (await instructor.send("高温津贴")).text
    assert await storage.get_state(_key(1101)) is None
    reply = await instructor.send("还是我")
    assert "没有权限" not in reply.text
    assert "/menu" in reply.text  # a way forward
    # Inside a search no handler takes text in for this user: /menu still works.
    await storage.set_state(_key(1101), "RosterSearch:query")
    assert "请选择要办理的事项" in (await instructor.send("/menu")).text


def test_no_two_flows_share_a_state_name():
    """A state is stored by its name: two flows with one name would take each other's
    messages (the roster's search and the enterprise search once did)."""
    import importlib
    import pkgutil

    from aiogram.fsm.state import StatesGroup

    import handlers

    for module in pkgutil.iter_modules(handlers.__path__):
        importlib.import_module(f"handlers.{module.name}")
    seen: dict[str, str] = {}

    def walk(group: type[StatesGroup]) -> None:
        for sub in group.__subclasses__():
            for state in sub.__all_states_names__:
                owner = f"{sub.__module__}.{sub.__qualname__}"
                assert seen.setdefault(state, owner) == owner, (state, seen[state], owner)
            walk(sub)

    walk(StatesGroup)
