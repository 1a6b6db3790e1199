"""UI texts of the warehouse (issue 17). Merged into i18n.TEXT at the end of i18n.py.

The one key is `duty.name.warehouse`: the Data page names each background duty duty.name.<duty>.
"""
from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "duty.name.warehouse": {"ja": "Parquet書き出し・ClickHouse反映", "en": "Parquet export and ClickHouse load"},
}
