"""Japanese and English texts: both complete, and every key the code uses exists."""
from __future__ import annotations

import re
from pathlib import Path

from dashboard.core import i18n

ROOT = Path(__file__).resolve().parent.parent


def test_every_text_has_both_languages():
    for key, entry in i18n.TEXT.items():
        assert set(entry) == set(i18n.LANGS), key
        assert all(v.strip() for v in entry.values()), key


def test_every_literal_key_in_code_exists():
    sources = list((ROOT / "pages").glob("*.py")) + list((ROOT / "dashboard").rglob("*.py")) + [ROOT / "app.py"]
    for path in sources:
        # whole literal keys only: t("kpi.blocks") but not t(f"kpi.{key}")
        for _, key in re.findall(r"""\bt\(\s*(["'])([a-z_0-9.]+)\1\s*[,)]""", path.read_text(encoding="utf-8")):
            assert key in i18n.TEXT, f"{path.name}: unknown text key {key!r}"


def test_every_kpi_has_a_definition():
    from dashboard.analytics.metrics import KPI_KEYS

    for key in KPI_KEYS:
        assert f"kpi.{key}" in i18n.TEXT and f"kpi.{key}.def" in i18n.TEXT, key
