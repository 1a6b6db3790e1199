"""Words of imports and syncs for people, in the UI language (issue 19, point 9).

A `Said` is a sentence made of an i18n code and its parameters. It *is* its English text (a str):
the command line prints it, import_runs and line_sync_runs store it, tests compare it, exactly as
before. A page says it in the operator's language with `say(value, lang)`. A parameter may itself
be a Said, or a list of them (joined in the language's way).
"""
from __future__ import annotations

from dashboard.core.i18n import t


class Joined(tuple):
    """Items said one after another: Joined(items, " and ") gives "a and b" in English, "a・b" in Japanese."""

    def __new__(cls, items, en: str = ", ", ja: str = "、"):
        obj = super().__new__(cls, items)
        obj.seps = {"en": en, "ja": ja}
        return obj


def _render(value, lang: str):
    if isinstance(value, Said):
        return value.text(lang)
    if isinstance(value, Joined):
        return value.seps.get(lang, value.seps["en"]).join(str(_render(v, lang)) for v in value)
    if isinstance(value, (list, tuple)):
        return ("、" if lang == "ja" else ", ").join(str(_render(v, lang)) for v in value)
    return value


class Said(str):
    code: str
    params: dict

    def __new__(cls, code: str, **params):
        obj = super().__new__(cls, t(code, "en", **{k: _render(v, "en") for k, v in params.items()}))
        obj.code, obj.params = code, params
        return obj

    def text(self, lang: str) -> str:
        return t(self.code, lang, **{k: _render(v, lang) for k, v in self.params.items()})

    def __reduce__(self):   # kept through copies and caches
        return (_said, (self.code, self.params))


def _said(code: str, params: dict) -> "Said":
    return Said(code, **params)


def say(value, lang: str) -> str:
    """A Said in `lang`; anything else as it is (e.g. text stored by an older release)."""
    return value.text(lang) if isinstance(value, Said) else ("" if value is None else str(value))


def message_of(exc: BaseException) -> str:
    """An exception's message, keeping a Said it was raised with."""
    first = exc.args[0] if exc.args else ""
    return first if isinstance(first, Said) else str(exc)


def known(text: str, prefix: str) -> str:
    """A fixed English sentence of a lower module (e.g. csv_values' reasons) as a Said when i18n has
    it under `prefix` (its English text word for word), else the text as it is."""
    from dashboard.core.i18n import TEXT

    if isinstance(text, Said):   # already said in words (a reason with a value in it)
        return text
    for key, entry in TEXT.items():
        if key.startswith(prefix) and entry.get("en") == text:
            return Said(key)
    return text


def _plain(value):
    if isinstance(value, Said):
        return {"said": value.code, "params": {k: _plain(v) for k, v in value.params.items()}}
    if isinstance(value, Joined):
        return {"joined": [_plain(v) for v in value], "en": value.seps["en"], "ja": value.seps["ja"]}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _back(value):
    if isinstance(value, dict) and "said" in value:
        return Said(value["said"], **{k: _back(v) for k, v in value["params"].items()})
    if isinstance(value, dict) and "joined" in value:
        return Joined([_back(v) for v in value["joined"]], value["en"], value["ja"])
    if isinstance(value, list):
        return [_back(v) for v in value]
    return value


def to_json(value) -> str | None:
    """A Said as JSON for the database (None for plain text)."""
    import json

    return json.dumps(_plain(value), ensure_ascii=False) if isinstance(value, Said) else None


def from_json(text: str | None, fallback: str | None):
    """The Said stored by to_json, or `fallback` (the stored English text) when there is none or
    it no longer reads (a code renamed since)."""
    import json

    if not text:
        return fallback
    try:
        return _back(json.loads(text))
    except (ValueError, KeyError, TypeError):
        return fallback
