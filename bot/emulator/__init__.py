"""A model of the Telegram Bot API that enforces its rules: the engine behind the
conversation test client and the local playground."""
