"""Webhook mode: Telegram's calls with the right secret header are handled, others refused."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from bot.testing import Harness
from bot.webhook import webhook_application
from tests.conftest import make_settings

SECRET = "s3cret-token_for-tests"


async def test_webhook_checks_the_secret_token(sqlite_url, clock):
    settings = make_settings(
        sqlite_url, webhook_url="https://bot.example.org", webhook_secret=SECRET
    )
    h = await Harness.start(settings, clock, migrate=False)
    h.user(2001, "路人")
    message = h.telegram.user_message(2001, text="/start")
    update = {"update_id": 5, "message": message}
    async with TestClient(TestServer(webhook_application(h.app))) as client:
        refused = await client.post("/webhook", json=update)
        assert refused.status == 401
        wrong = await client.post(
            "/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
        )
        assert wrong.status == 401
        assert not [c for c in h.telegram.calls if c.method == "sendMessage"]
        accepted = await client.post(
            "/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        )
        assert accepted.status == 200
    sent = [c for c in h.telegram.calls if c.method == "sendMessage"]
    assert len(sent) == 1
    assert "邀请链接" in sent[0].text
    await h.close()


async def test_junk_on_the_webhook_gets_400_and_one_log_line(sqlite_url, clock, caplog):
    settings = make_settings(
        sqlite_url, webhook_url="https://bot.example.org", webhook_secret=SECRET
    )
    h = await Harness.start(settings, clock, migrate=False)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    junk = [
        b"",
        b"{not json",
        b"[1, 2, 3]",
        b'"just a string"',
        b'{"message": {}}',
        b'{"update_id": "7"}',
        b'{"update_id": -1}',
        b'{"update_id": 1180591620717411303424}',
        b'{"update_id": 9, "message": {"chat": 5}}',
        b'{"update_id": true}',
    ]
    try:
        async with TestClient(TestServer(webhook_application(h.app))) as client:
            for body in junk:
                caplog.clear()
                response = await client.post("/webhook", data=body, headers=headers)
                assert response.status == 400, body
                assert not [r for r in caplog.records if r.exc_info], body
                assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 1
            # A real update still goes through afterwards.
            h.user(2001, "路人")
            update = {"update_id": 10, "message": h.telegram.user_message(2001, text="/help")}
            ok = await client.post("/webhook", json=update, headers=headers)
            assert ok.status == 200
    finally:
        await h.close()
