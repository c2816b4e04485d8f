"""The playground's demo data works through the real chat: the demo instructor finds the
case in negotiation with its logged meeting, topic and open survey, the demo worker answers
the survey; a second seed does nothing."""

from __future__ import annotations

from bot.services import demo
from bot.testing import Harness
from storage.uow import UnitOfWork


async def test_demo_seed_is_usable_and_idempotent(harness: Harness):
    async with UnitOfWork(harness.app.db.sessions) as uow:
        assert await demo.seed(uow, harness.clock.now(), harness.app.settings)
        await uow.commit()
    async with UnitOfWork(harness.app.db.sessions) as uow:
        assert not await demo.seed(uow, harness.clock.now(), harness.app.settings)

    instructor = harness.user(1101, "李明")
    await instructor.send("/menu")
    reply = await instructor.click("我的案件")
    assert "光谷电子有限公司" in reply.text
    assert "协商中" in reply.text
    reply = await instructor.click("光谷电子有限公司")
    assert "🟠 劳动报酬 · 对方还价" in reply.text
    assert "最近一次协商：第 1 轮" in reply.text
    reply = await instructor.click("职工问卷")
    assert "进行中 · 11 份答卷" in reply.text
    await instructor.click("11 份")
    reply = await instructor.click("结果")
    assert "答卷：11 份" in reply.text
    assert "劳动报酬" in reply.text
    assert "一线职工：8 人" in reply.text
    assert "中层管理" not in reply.text  # one person: no line that would reveal them
    assert "少于" not in reply.text
    assert "夜班津贴多年没涨了" in reply.text  # comments from 10 answers

    # The demo worker answers the open survey through its link.
    async with UnitOfWork(harness.app.db.sessions) as uow:
        [survey] = await uow.surveys.of_case(1)
    worker = harness.user(1201, "职工小陈")
    await worker.send(f"/start {survey.token}")
    await worker.click("开始作答")
    await worker.click("▫️ 工作时间")
    await worker.click("选好了")
    await worker.send("5")
    await worker.click("一线职工")
    await worker.click("跳过")
    assert "匿名保存" in (await worker.click("提交")).text

    # A training next week, with its invitation waiting in the outbox.
    from bot import jobs

    english = harness.user(1102, "Zhang Hua", "en")
    await jobs.reminder_tick(harness.app)
    assert "Training invitation" in english.last_text
    assert "培训邀请" in instructor.last_text
    assert "工资集体协商模拟演练" in instructor.last_text

    liaison = harness.user(1001, "王芳")
    await liaison.send("/menu")
    reply = await liaison.click("辖区案件")
    assert "光谷电子有限公司" in reply.text
    assert not harness.telegram.errors()
