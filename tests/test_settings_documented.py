"""Every setting is declared once (dashboard/core/config.py) and documented in the README."""
from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.core import config

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("setting", config.SETTINGS, ids=lambda s: s.name)
def test_setting_is_in_readme_table(setting):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if line.startswith(f"| `{setting.name}`")]
    assert rows, f"{setting.name} is not in the README's settings table"


@pytest.mark.parametrize("setting", config.SETTINGS, ids=lambda s: s.name)
def test_setting_is_in_secrets_example(setting):
    example = (ROOT / ".streamlit" / "secrets.toml.example").read_text(encoding="utf-8")
    assert setting.name in example


def test_readme_lists_no_unknown_setting():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names = {s.name for s in config.SETTINGS}
    in_table = {line.split("`")[1] for line in readme.splitlines()
                if line.startswith("| `") and line.split("`")[1].isupper()}
    assert in_table <= names, f"README documents settings that do not exist: {in_table - names}"


def test_environment_and_secrets_file(monkeypatch, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('DASHBOARD_FREQUENCY_CAP = "5"\n', encoding="utf-8")
    monkeypatch.setenv("DASHBOARD_SECRETS_FILE", str(secrets))
    monkeypatch.setenv("DASHBOARD_FREQUENCY_CAP", "4")
    monkeypatch.setenv("DASHBOARD_ACTIVE_DAYS", "14")
    assert config.get("DASHBOARD_FREQUENCY_CAP") == "5"   # secrets.toml wins
    assert config.get_int("DASHBOARD_ACTIVE_DAYS") == 14   # then the environment
    assert config.get("DASHBOARD_PLAN") == "standard"      # then the default
    with pytest.raises(KeyError):
        config.get("NO_SUCH_SETTING")


def test_sandbox_without_token(monkeypatch):
    monkeypatch.delenv("LINE_CHANNEL_ACCESS_TOKEN", raising=False)
    assert config.is_sandbox()
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "x")
    assert not config.is_sandbox()
