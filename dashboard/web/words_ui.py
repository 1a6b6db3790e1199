"""A segment rule shown as a sentence (dashboard/audience/words.py), with its JSON one click away:
the compose page's audience, an approval request and the saved-segment list use it."""
from __future__ import annotations

import json

import streamlit as st

from dashboard.audience import rules, words
from dashboard.core.i18n import t


def labels(f, options: dict | None = None) -> dict:
    """The account's own names for what a rule mentions: routes (inflow_routes) and delivery titles."""
    from dashboard.web.questions import builder_options
    from dashboard.web.sidebar import route_names

    options = options if options is not None else builder_options(f.db)
    return {"routes": route_names(f), "deliveries": options.get("delivery_titles") or {}}


def sentence(rule, lang: str, names: dict | None) -> str:
    """The rule in words; an invalid rule says why instead (it cannot be sent anyway)."""
    try:
        return words.describe(rule, lang, names)
    except rules.RuleError as exc:
        return exc.text(lang)


def show(rule, lang: str, names: dict | None, *, key: str, label: str | None = None) -> None:
    """The sentence, then an expander with the rule's JSON."""
    st.markdown(f"**{label or t('fr.w.audience', lang)}:** {sentence(rule, lang, names)}")
    with st.expander(t("fr.w.json", lang), key=key):
        st.code(json.dumps(rule, ensure_ascii=False, indent=1), language="json")
