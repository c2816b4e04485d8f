"""The conversation test client: drive the real dispatcher as named users, read what the
bot sent, move the clock. Used by the project's tests and by every flow's tests."""

from bot.testing.client import ChatUser, Harness, Reply

__all__ = ["ChatUser", "Harness", "Reply"]
