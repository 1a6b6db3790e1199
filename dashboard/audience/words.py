"""A segment rule said as a sentence, in Japanese or English (issue 15, point 5): an approver judges
an audience without reading JSON.

    describe(rule, "ja", labels) -> "ブロックしていない友だち かつ 流入経路がサンクスページ かつ 直近90日に購入なし"

`labels` carries what the account names itself (all optional): "routes" {route: (name_ja, name_en)}
as in inflow_routes, "deliveries" {delivery_id: title}. Codes of the rule language (fields, levels,
reaction types, operators) are said by their words (texts `fr.w.*`); values the account wrote itself
(tags, attribute keys and values, areas, genres) are quoted as they are. Groups nest: all → "かつ" /
"and", any → "または" / "or", a nested group in brackets, not → "…ではない" / "not (…)", with the
usual negations said directly ("直近90日に購入なし").
"""
from __future__ import annotations

from dashboard.audience import rules
from dashboard.core.i18n import t


def _q(value, lang: str) -> str:
    return f"「{value}」" if lang == "ja" else f"“{value}”"


def _list(values, lang: str, quote: bool = True, word: str = "or") -> str:
    """「a」「b」 / a・b in Japanese; “a”, “b” or “c” in English (`word`: or / and)."""
    items = [_q(v, lang) if quote else str(v) for v in values]
    if lang == "ja":
        return "・".join(items) if not quote else "".join(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


def _route(route: str, labels: dict, lang: str) -> str:
    names = labels.get("routes") or {}
    if route in names:
        ja, en = names[route]
        return ja if lang == "ja" else en
    return route


def _num(value) -> str:
    value = float(value)
    return f"{int(value):,}" if value == int(value) else f"{value:,}"


def _range(node: dict, unit_key: str, lang: str) -> str:
    low, high = node.get("min"), node.get("max")
    if low is not None and high is not None:
        return t(f"fr.w.range.{unit_key}", lang, low=_num(low), high=_num(high))
    if low is not None:
        return t(f"fr.w.min.{unit_key}", lang, low=_num(low))
    return t(f"fr.w.max.{unit_key}", lang, high=_num(high))


def condition(node: dict, lang: str, labels: dict | None = None, negated: bool = False) -> str:
    """One condition in words; `negated` says its negation where there is a natural one (or None
    is never returned: the caller wraps what has no natural negation)."""
    labels = labels or {}
    field = node["field"]
    n = lambda key: node.get(key)  # noqa: E731
    if field == "following":
        following = node.get("value", True) is not negated
        return t("fr.w.following" if following else "fr.w.blocked", lang)
    if field == "followed":
        if "within_days" in node:
            return t("fr.w.followed.days", lang, n=n("within_days"))
        return t("fr.w.followed.dates", lang, first=n("from"), last=n("to"))
    if field == "route":
        names = [_route(r, labels, lang) for r in node["in"]]
        return t("fr.w.route", lang, routes=_list(names, lang, quote=False))
    if field == "tags":
        match = node.get("match", "any")
        if negated and match == "any":
            match = "none"
        elif negated and match == "none":
            match = "any"
        one = ".one" if len(node["tags"]) == 1 else ""
        return t(f"fr.w.tags.{match}{one}", lang, tags=_list(node["tags"], lang, word="and" if match == "all" else "or"))
    if field == "attribute":
        op = node.get("op", "eq")
        value = _list(node["value"], lang) if op == "in" else (
            _num(node["value"]) if op in ("lt", "le", "gt", "ge") else _q(node["value"], lang))
        return t(f"fr.w.attr.{op}", lang, name=_q(node["key"], lang), value=value)
    if field == "customer":
        linked = node.get("linked", True) is not negated
        return t("fr.w.customer.yes" if linked else "fr.w.customer.no", lang)
    if field == "purchased":
        key = "fr.w.purchased.none" if negated else "fr.w.purchased"
        text = t(key, lang, n=n("within_days"))
        if node.get("category") is not None:
            text += t("fr.w.category", lang, category=_q(node["category"], lang))
        return text
    if field == "never_purchased":
        return t("fr.w.ever_purchased" if negated else "fr.w.never_purchased", lang)
    if field in ("orders", "revenue"):
        return t(f"fr.w.{field}", lang, range=_range(node, field, lang))
    if field == "reactions":
        kind = t(f"fr.w.reaction.{node.get('type', 'any')}", lang)
        key = "fr.w.reactions.under" if negated else "fr.w.reactions"
        return t(key, lang, n=n("within_days"), k=n("min"), kind=kind)
    if field == "richmenu_tap":
        return t("fr.w.tap", lang, n=n("within_days"), area=_q(node["area"], lang))
    if field == "clicked":
        title = (labels.get("deliveries") or {}).get(node["delivery_id"]) or node["delivery_id"]
        return t("fr.w.clicked", lang, title=_q(title, lang))
    if field == "received":
        key = "fr.w.received.under" if negated else "fr.w.received"
        return t(key, lang, n=n("within_days"), k=n("min"))
    if field == "interest":
        levels = [t(f"seg.level.{level}", lang) for level in node["in"]]
        return t("fr.w.interest", lang, levels=_list(levels, lang, quote=False))
    if field == "genre":
        return t("fr.w.genre", lang, genres=_list(node["in"], lang))
    if field == "email_reached":
        return t("fr.w.email", lang, n=f"{len(node['in']):,}")
    raise rules.RuleError("rule", "field", name=repr(field), known=", ".join(sorted(rules.CONDITIONS)))


# the negations said directly; any other negated node is "…ではない" / "not (…)"
_NATURAL_NOT = {"following", "customer", "purchased", "never_purchased", "reactions", "received"}


def _node(node: dict, lang: str, labels: dict, top: bool) -> str:
    if "not" in node:
        inner = node["not"]
        if "field" in inner and (inner["field"] in _NATURAL_NOT
                                 or (inner["field"] == "tags" and inner.get("match", "any") in ("any", "none"))):
            return condition(inner, lang, labels, negated=True)
        return t("fr.w.not", lang, what=_node(inner, lang, labels, top=True))
    for kind in ("all", "any"):
        if kind in node:
            parts = [_node(child, lang, labels, top=False) for child in node[kind]]
            if len(parts) == 1:
                return parts[0]
            text = t(f"fr.w.join.{kind}", lang).join(parts)
            return text if top else t("fr.w.group", lang, what=text)
    return condition(node, lang, labels)


def describe(rule, lang: str = "ja", labels: dict | None = None) -> str:
    """The whole rule as one sentence. An invalid rule raises rules.RuleError (as validate does)."""
    rule = rules.parse(rule)
    rules.validate(rule)
    return _node(rule["rule"], lang, labels or {}, top=True)
