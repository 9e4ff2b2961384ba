"""The README's configuration table is generated from Settings: a setting added without its row fails here."""

from __future__ import annotations

import pytest

from config.settings import Settings
from tools.settings_doc import MEANINGS, README, UndocumentedSetting, render_readme, table


def test_readme_configuration_table_matches_the_settings_class():
    text = README.read_text(encoding="utf-8")
    assert render_readme(text) == text, "README.md is out of date: run `.venv/bin/python -m tools.settings_doc --write`"


def test_every_setting_has_one_row_named_by_its_environment_variable():
    rows = table().splitlines()[2:]
    assert len(rows) == len(Settings.model_fields)
    for name, row in zip(Settings.model_fields, rows, strict=True):
        assert row.startswith(f"| `CCHC_{name.upper()}` |")


def test_a_new_setting_without_a_meaning_is_refused():
    class Grown(Settings):
        brand_new_knob: int = 3

    with pytest.raises(UndocumentedSetting, match="brand_new_knob"):
        table(Grown)


def test_defaults_are_shown_and_secrets_are_marked_not_printed():
    text = table()
    assert "| `CCHC_PORT` | `8000` |" in text
    assert "| `CCHC_DATA_DIR` | `./data` |" in text
    assert "| `CCHC_CORS_ORIGINS` | `[\"*\"]` |" in text
    admin = next(line for line in text.splitlines() if line.startswith("| `CCHC_ADMIN_TOKEN`"))
    assert "bí mật" in admin
    assert set(MEANINGS) == set(Settings.model_fields)
