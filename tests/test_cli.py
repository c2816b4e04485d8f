"""The command line, run as an administrator would."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from bot.cli import cli


@pytest.fixture
def runner(tmp_path, monkeypatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    return CliRunner()


def test_help_everywhere(runner):
    for args in (
        [],
        ["run"],
        ["db"],
        ["db", "upgrade"],
        ["org"],
        ["org", "add"],
        ["org", "list"],
        ["invite"],
    ):
        result = runner.invoke(cli, [*args, "--help"])
        assert result.exit_code == 0, (args, result.output)
        assert "Usage" in result.output


def test_org_tree_and_invite(runner):
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(cli, ["org", "add", "湖北省总工会", "--level", "province"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli, ["org", "add", "武汉市总工会", "--level", "city", "--parent", "湖北省总工会"]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        cli, ["org", "add", "洪山区总工会", "--level", "county", "--parent", "2"]
    )
    assert result.exit_code == 0, result.output
    listing = runner.invoke(cli, ["org", "list"]).output
    assert "    3\t洪山区总工会\tcounty" in listing

    result = runner.invoke(cli, ["invite", "--org", "洪山区总工会", "--role", "liaison"])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,64}", last)


def test_cli_errors_are_one_clear_line(runner):
    runner.invoke(cli, ["org", "add", "武汉市总工会", "--level", "city"])
    result = runner.invoke(cli, ["org", "add", "武汉市总工会", "--level", "city"])
    assert result.exit_code == 1
    assert "exists already" in result.output
    result = runner.invoke(cli, ["org", "add", "新区", "--level", "zone", "--parent", "火星"])
    assert "No union" in result.output
    result = runner.invoke(cli, ["org", "add", "新区", "--level", "planet"])
    assert result.exit_code == 2
    result = runner.invoke(cli, ["invite", "--org", "火星", "--role", "liaison"])
    assert "No union" in result.output


def test_run_without_token_starts_the_playground(runner, monkeypatch):
    started: list[tuple[str, int]] = []
    monkeypatch.setattr(
        "bot.cli._playground", lambda settings, host, port: started.append((host, port))
    )
    result = runner.invoke(cli, ["run"])
    assert result.exit_code == 0, result.output
    assert "BOT_TOKEN" in result.output
    assert started == [("127.0.0.1", 8080)]


def test_bad_setting_names_the_setting(runner, monkeypatch):
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus")
    result = runner.invoke(cli, ["org", "list"])
    assert result.exit_code == 2
    monkeypatch.setenv("TIMEZONE", "Asia/Shanghai")
    monkeypatch.setenv("LEGAL__AGE_EXTENDED_LIMIT", "60")
    result = runner.invoke(cli, ["org", "list"])
    assert result.exit_code == 2
