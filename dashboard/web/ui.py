"""What a page reaches through `ui.`: one name for the page-side helpers, which live by concern in
context.py (connection, filters, who, the page's frame), sidebar.py, questions.py (cached page
questions), figures.py (figures built once per data), widgets.py (KPI cards, definitions,
look-back) and downloads.py (CSV).
A page: `f = ui.context()`, read its widgets, `ui.ask(f, metrics.<question>)`, render.
"""
from dashboard.web.context import (CACHE_TTL_S, VERSIONED_TTL_S, Filters, actor, allowed, connection, context, cursor,  # noqa: F401
                                   data_version, lang, lang_key, require, user)
from dashboard.web.figures import chart  # noqa: F401
from dashboard.web.downloads import csv_download, members_csv  # noqa: F401
from dashboard.web.questions import (ask, audience_question, builder_options, line_clients,  # noqa: F401
                                     segment_as_of)
from dashboard.web.sidebar import route_names  # noqa: F401
from dashboard.web.widgets import definition, file_uploader, kpi, lookback, multi, quota_cards, refuse, with_period  # noqa: F401
