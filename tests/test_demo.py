"""The playground's demo data works through the real chat: the demo instructor finds the
case in negotiation with its logged meeting and topic; a second seed does nothing."""

from __future__ import annotations

from bot.services import demo
from bot.testing import Harness
from storage.uow import UnitOfWork


async def test_demo_seed_is_usable_and_idempotent(harness: Harness):
    async with UnitOfWork(harness.app.db.sessions) as uow:
        assert await demo.seed(uow, harness.clock.now())
        await uow.commit()
    async with UnitOfWork(harness.app.db.sessions) as uow:
        assert not await demo.seed(uow, harness.clock.now())

    instructor = harness.user(1101, "李明")
    await instructor.send("/menu")
    reply = await instructor.click("我的案件")
    assert "光谷电子有限公司" in reply.text
    assert "协商中" in reply.text
    reply = await instructor.click("光谷电子有限公司")
    assert "🟠 劳动报酬 · 对方还价" in reply.text
    assert "最近一次协商：第 1 轮" in reply.text

    liaison = harness.user(1001, "王芳")
    await liaison.send("/menu")
    reply = await liaison.click("辖区案件")
    assert "光谷电子有限公司" in reply.text
    assert not harness.telegram.errors()
