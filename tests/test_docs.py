"""The README documents every setting and the commands a newcomer needs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kb.config import describe_settings

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


@pytest.mark.parametrize("name", [name for name, _, _ in describe_settings()])
def test_each_setting_is_in_the_settings_table(name: str) -> None:
    row = re.search(rf"^\| `{name}` \| `KB_{name.upper()}` \|", README, re.MULTILINE)
    assert row, f"add `{name}` to the settings table in README.md"


@pytest.mark.parametrize(
    "command", ["make run", "make test", "kb index", "kb search", "kb eval", "kb calibrate"]
)
def test_commands_are_shown(command: str) -> None:
    assert command in README
