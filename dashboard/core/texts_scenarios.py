"""UI texts of step scenarios (ステップ配信, issue 14), Japanese and English; merged into i18n.TEXT.

All keys start with `scn.`, except `duty.name.scenarios`: the Data page names each background duty
by `duty.name.<duty>`.
"""
TEXT = {
    "duty.name.scenarios": {"ja": "ステップ配信", "en": "Step scenarios"},
}
