from storage.models import Role
from tests.factories import make_code, make_org


async def test_liaison_joins_and_sees_menu(harness):
    org = await make_org(harness, "武汉市总工会")
    code = await make_code(harness, org, Role.liaison)
    liaison = harness.user(1001, "王芳")
    reply = await liaison.send(f"/start {code}")
    assert "武汉市总工会" in reply.text, reply.calls
    assert any("邀请成员" in label for label, _ in liaison.buttons())
    assert not harness.telegram.errors()
