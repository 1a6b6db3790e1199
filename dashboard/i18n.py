"""UI text in Japanese (default) and English.

Pages call `t(key)`; the language comes from the sidebar switch (session state) or the
DASHBOARD_LANGUAGE setting. A missing key fails loudly in tests (test_i18n checks both languages
have the same keys).
"""
from __future__ import annotations

LANGS = ("ja", "en")

TEXT: dict[str, dict[str, str]] = {
    # navigation and sidebar
    "app.title": {"ja": "LINE公式アカウント ダッシュボード", "en": "LINE Official Account dashboard"},
    "nav.overview": {"ja": "概要", "en": "Overview"},
    "nav.acquisition": {"ja": "友だち獲得", "en": "Acquisition"},
    "nav.funnel": {"ja": "ファネル", "en": "Funnel"},
    "nav.cohorts": {"ja": "継続率（コホート）", "en": "Cohorts"},
    "nav.engagement": {"ja": "反応", "en": "Engagement"},
    "nav.deliveries": {"ja": "配信", "en": "Deliveries"},
    "nav.group.analysis": {"ja": "分析", "en": "Analysis"},
    "sidebar.language": {"ja": "言語 / Language", "en": "言語 / Language"},
    "sidebar.period": {"ja": "期間（日本時間）", "en": "Period (account time zone)"},
    "sidebar.routes": {"ja": "流入経路", "en": "Inflow routes"},
    "sidebar.routes.help": {"ja": "空欄ならすべての経路", "en": "Empty means all routes"},
    "sidebar.sandbox": {"ja": "サンドボックス — このマシンの外には何も送信されません",
                        "en": "Sandbox — nothing leaves this machine"},
    "sidebar.live": {"ja": "本番のLINEに接続中", "en": "Connected to LINE (live)"},
    "sidebar.db": {"ja": "データベース", "en": "Database"},
    "sidebar.tz": {"ja": "表示タイムゾーン", "en": "Time zone"},
    "common.lookback.weeks": {"ja": "期間末までの{weeks}週間", "en": "{weeks} weeks to the period end"},
    "common.lookback.period": {"ja": "選択期間", "en": "Selected period"},
    "common.history": {"ja": "表示する期間", "en": "History shown"},
    "common.csv": {"ja": "CSVをダウンロード", "en": "Download CSV"},
    "common.definition": {"ja": "定義", "en": "Definition"},
    "common.no_data": {"ja": "この期間・経路にはデータがありません。", "en": "No data for this period and routes."},
    "common.vs_prev": {"ja": "前期間比", "en": "vs previous period"},
    "common.unknown_route": {"ja": "不明", "en": "Unknown"},
    "common.total": {"ja": "合計", "en": "Total"},
    "common.day": {"ja": "日付", "en": "Day"},
    "common.route": {"ja": "流入経路", "en": "Inflow route"},
    "common.invalid_period": {"ja": "期間の終わりが始まりより前です。", "en": "The period ends before it starts."},
    "common.no_db": {"ja": "データベースが見つかりません: ", "en": "Database not found: "},
    # KPIs
    "kpi.friends": {"ja": "友だち数（累計）", "en": "Friends (all time)"},
    "kpi.friends.def": {"ja": "期間末までに一度でも友だち追加したユーザー数（ブロック中を含む）。",
                        "en": "Users who added the account before the end of the period (blocked ones included)."},
    "kpi.following": {"ja": "ターゲットリーチ（有効友だち）", "en": "Target reach (following)"},
    "kpi.following.def": {"ja": "期間末時点でブロックしていない友だち数。配信が届く人数です。",
                          "en": "Friends not blocking at the end of the period: who a message can reach."},
    "kpi.new_friends": {"ja": "新規友だち", "en": "New friends"},
    "kpi.new_friends.def": {"ja": "期間中に初めて友だち追加した人数（ブロック解除は含まない）。",
                            "en": "First adds in the period (unblocks not included)."},
    "kpi.blocks": {"ja": "ブロック数", "en": "Blocks"},
    "kpi.blocks.def": {"ja": "期間中のブロック（unfollow）イベント数。",
                       "en": "Block (unfollow) events in the period."},
    "kpi.block_rate": {"ja": "ブロック率", "en": "Block rate"},
    "kpi.block_rate.def": {"ja": "期間中のブロック数 ÷（期間開始時の有効友だち＋期間中の新規友だち）。",
                           "en": "Blocks in the period ÷ (following at the start + new friends in the period)."},
    "kpi.active_friends": {"ja": "アクティブ友だち（30日）", "en": "Active friends (30 days)"},
    "kpi.active_friends.def": {
        "ja": "期間末時点で友だちで、直近{days}日間に1回以上の個別反応（メッセージ・ポストバック・リッチメニュー・アンケート・計測リンクのクリック）があった人数。LINEは個人ごとの開封を提供しないため開封は含みません。",
        "en": "Following at the end of the period with at least one per-user reaction (message, postback, rich-menu tap, survey answer, tracked-link click) in the last {days} days. LINE gives no per-user opens, so opens are not included."},
    "kpi.active_rate": {"ja": "アクティブ率", "en": "Active share"},
    "kpi.active_rate.def": {"ja": "アクティブ友だち ÷ ターゲットリーチ。",
                            "en": "Active friends ÷ target reach."},
    "kpi.reactions_per_delivery": {"ja": "配信あたり反応率", "en": "Reactions per delivery"},
    "kpi.reactions_per_delivery.def": {
        "ja": "期間中の配信で、24時間以内にその配信へ反応（計測リンクのクリック・ポストバック・返信）した人数の合計 ÷ 送信数の合計。",
        "en": "Friends who reacted to a delivery within 24 h (tracked-link click, postback, reply), summed over the period's deliveries, ÷ messages sent."},
    "kpi.messages_sent_month": {"ja": "今月の送信数", "en": "Messages sent this month"},
    "kpi.messages_sent_month.def": {
        "ja": "期間末の月の1日から期間末までに送信した通数（受信者1人=1通、吹き出し数に関係なく課金対象）。前月同日までと比較。",
        "en": "Messages sent from the 1st of the period's last month to its end (one per recipient, however many bubbles: what LINE bills). Compared with the same days of the previous month."},
    # overview page
    "overview.title": {"ja": "概要 — LINEは成果を出しているか", "en": "Overview — is LINE working for us?"},
    "overview.trend": {"ja": "配信あたり反応率の推移", "en": "Reactions per delivery over time"},
    "overview.trend.def": {"ja": "各配信の24時間以内反応率。下がり続けていたら配信頻度や内容の見直しどき（seed 002）。",
                           "en": "Each delivery's 24-hour reaction rate. A steady fall means sending too often or the wrong content."},
    "overview.daily": {"ja": "友だち追加とブロック（日別）", "en": "Adds and blocks per day"},
    # acquisition
    "acq.title": {"ja": "友だち獲得 — どの経路がよい友だちを連れてくるか", "en": "Acquisition — which routes bring friends who stay and buy"},
    "acq.daily": {"ja": "友だち追加・ブロック（日別）", "en": "Adds and blocks per day"},
    "acq.daily.def": {"ja": "追加=followイベント（ブロック解除を含む）、ブロック=unfollowイベント。日本時間の日付。",
                      "en": "Adds = follow events (unblocks included), blocks = unfollow events, by day in the account's time zone."},
    "acq.heatmap": {"ja": "曜日×時間帯の友だち追加", "en": "Adds by weekday × hour"},
    "acq.heatmap.def": {"ja": "期間中の新規友だち追加数。色が濃いほど多い。配信や告知のタイミングの参考に。",
                        "en": "First adds in the period; darker = more. Use it to time announcements."},
    "acq.routes": {"ja": "経路別の友だちの質", "en": "Route quality"},
    "acq.routes.def": {
        "ja": "期間中に追加した友だちについて、最新データまでに追加から7日/30日経った人だけで各率を計算（最近の追加で率が歪まないように）。反応率=30日以内に個別反応あり、購入率=30日以内に購入。",
        "en": "For friends added in the period, each rate counts only those whose add is at least 7 / 30 days before the latest data, so recent adds do not skew it. Reaction = a per-user reaction within 30 days; conversion = a purchase within 30 days."},
    "acq.cohort": {"ja": "評価する友だち（追加日）", "en": "Friends judged (by add day)"},
    "acq.observed_7d": {"ja": "7日経過した追加", "en": "Adds seen 7 days"},
    "acq.observed_30d": {"ja": "30日経過した追加", "en": "Adds seen 30 days"},
    "acq.too_recent": {"ja": "30日指標は追加から30日経った友だちが必要です。期間を過去に広げてください。",
                       "en": "30-day rates need friends added at least 30 days ago: widen the period into the past."},
    "sidebar.routes.all": {"ja": "すべての経路", "en": "All routes"},
    "acq.adds": {"ja": "追加数", "en": "Adds"},
    "acq.blocks": {"ja": "ブロック数", "en": "Blocks"},
    "acq.block_rate_7d": {"ja": "7日以内ブロック率", "en": "Blocked within 7 days"},
    "acq.block_rate_30d": {"ja": "30日以内ブロック率", "en": "Blocked within 30 days"},
    "acq.reaction_rate_30d": {"ja": "30日以内反応率", "en": "Reacted within 30 days"},
    "acq.conversion_rate_30d": {"ja": "30日以内購入率", "en": "Bought within 30 days"},
    "weekday.1": {"ja": "月", "en": "Mon"}, "weekday.2": {"ja": "火", "en": "Tue"},
    "weekday.3": {"ja": "水", "en": "Wed"}, "weekday.4": {"ja": "木", "en": "Thu"},
    "weekday.5": {"ja": "金", "en": "Fri"}, "weekday.6": {"ja": "土", "en": "Sat"},
    "weekday.7": {"ja": "日", "en": "Sun"},
    "common.hour": {"ja": "時", "en": "Hour"},
    # funnel
    "funnel.title": {"ja": "ファネル — 訪問から購入まで", "en": "Funnel — from visit to purchase"},
    "funnel.window": {"ja": "追加後の日数（N日以内）", "en": "Days after adding (within N days)"},
    "funnel.def": {
        "ja": "サイト訪問（アクセス解析・経路リンク）→ 友だち追加（期間中の初回追加）→ N日以内の初回反応 → さらにN日以内に購入。各段階は前の段階の内数。期間末からN日以内の追加はまだ途中です。",
        "en": "Site visits (analytics or route links) → friend adds (first adds in the period) → a first reaction within N days → a purchase within N days as well. Each step is a subset of the one before; adds in the last N days are still maturing."},
    "funnel.visits": {"ja": "サイト訪問", "en": "Site visits"},
    "funnel.adds": {"ja": "友だち追加", "en": "Friend adds"},
    "funnel.reacted": {"ja": "初回反応", "en": "First reaction"},
    "funnel.converted": {"ja": "購入", "en": "Purchase"},
    "funnel.step_rate": {"ja": "前段からの移行率", "en": "Step conversion"},
    "funnel.dropoff": {"ja": "離脱", "en": "Drop-off"},
    "funnel.add_rate": {"ja": "訪問→追加", "en": "Visit → add"},
    "funnel.reaction_rate": {"ja": "追加→反応", "en": "Add → reaction"},
    "funnel.conversion_rate": {"ja": "反応→購入", "en": "Reaction → purchase"},
    "funnel.overall_rate": {"ja": "追加→購入", "en": "Add → purchase"},
    "funnel.by_route": {"ja": "経路別ファネル", "en": "Funnel by route"},
    # cohorts
    "cohorts.title": {"ja": "継続率 — 追加後も友だちでいるか", "en": "Cohorts — do friends stay?"},
    "cohorts.def": {
        "ja": "追加週（月曜始まり・日本時間）ごとに、追加からN週後もブロックしていない友だちの割合。まだN週経っていない週は空欄。",
        "en": "Per add week (Monday, account time zone): share of friends not blocked N weeks after their add. Blank where N weeks have not yet passed for the whole week."},
    "cohorts.week": {"ja": "週後", "en": "weeks later"},
    "cohorts.add_week": {"ja": "追加週", "en": "Add week"},
    "cohorts.size": {"ja": "人数", "en": "Friends"},
    "cohorts.avg": {"ja": "N週後の継続率（全コホート平均・人数加重）", "en": "Retention after N weeks (all cohorts, weighted)"},
    # engagement
    "eng.title": {"ja": "反応 — 友だちは何に関心があるか", "en": "Engagement — what friends care about"},
    "eng.taps": {"ja": "リッチメニューのタップ（週別・エリア別）", "en": "Rich-menu taps by week and area"},
    "eng.taps.def": {"ja": "richmenu_tapイベント数。「解約方法」が増えていたら要注意。",
                     "en": "richmenu_tap events. A rise in 解約方法 (how to cancel) is a warning."},
    "eng.survey": {"ja": "アンケート回答の分布", "en": "Survey answers"},
    "eng.survey.def": {"ja": "期間中に回答した友だちの人数（同じ人の別回答は両方に数える）。",
                       "en": "Friends who gave each answer in the period (a friend giving two answers counts in both)."},
    "eng.rpd": {"ja": "配信あたり反応率（seed 002の警告サイン）", "en": "Reactions per delivery (the seed-002 warning sign)"},
    "eng.area": {"ja": "エリア", "en": "Area"},
    "eng.answer": {"ja": "回答", "en": "Answer"},
    "eng.respondents": {"ja": "回答者数", "en": "Respondents"},
    "eng.taps_n": {"ja": "タップ数", "en": "Taps"},
    "eng.promotion": {"ja": "販促", "en": "Promotion"},
    "eng.other": {"ja": "販促以外", "en": "Other"},
    "eng.reaction_rate": {"ja": "24時間以内反応率", "en": "Reacted within 24 h"},
    "eng.sends_per_week": {"ja": "週あたり配信数", "en": "Deliveries per week"},
    # deliveries
    "dlv.title": {"ja": "配信 — 1通ごとの成果", "en": "Deliveries — what each send did"},
    "dlv.def": {
        "ja": "送信数=課金対象の通数。開封・クリック（ユニーク）はLINE Insightの集計値で個人別ではありません（20未満は「< 20」）。反応・購入は個人別に計測できたもの。24時間以内ブロックは配信後24時間の全ブロックで、その配信が原因とは限りません。",
        "en": "Recipients = messages billed. Unique impressions and clicks are LINE Insight aggregates, not per user (under 20 shown as \"< 20\"). Reactions and purchases are what we measure per user. Blocks within 24 h are all blocks in the 24 h after sending, not necessarily caused by it."},
    "dlv.sent_at": {"ja": "送信日時", "en": "Sent at"},
    "dlv.title_col": {"ja": "タイトル", "en": "Title"},
    "dlv.kind": {"ja": "種類", "en": "Kind"},
    "dlv.recipients": {"ja": "送信数", "en": "Recipients"},
    "dlv.unique_impressions": {"ja": "開封（ユニーク・LINE集計）", "en": "Unique impressions (LINE aggregate)"},
    "dlv.unique_clicks": {"ja": "クリック（ユニーク・LINE集計）", "en": "Unique clicks (LINE aggregate)"},
    "dlv.open_rate": {"ja": "開封率（LINE集計）", "en": "Open rate (LINE aggregate)"},
    "dlv.reactors_24h": {"ja": "24時間以内の反応者", "en": "Reacted within 24 h"},
    "dlv.blocks_24h": {"ja": "24時間以内ブロック", "en": "Blocks within 24 h"},
    "dlv.conversions_7d": {"ja": "7日以内購入（反応者）", "en": "Bought within 7 days (reactors)"},
    "dlv.promotion": {"ja": "販促", "en": "Promo"},
    "dlv.not_synced": {"ja": "未取得", "en": "not synced"},
    "dlv.chart": {"ja": "配信ごとの開封率と24時間以内ブロック", "en": "Open rate and blocks within 24 h per delivery"},
}


def t(key: str, lang: str = "ja", **fmt) -> str:
    entry = TEXT.get(key)
    if entry is None:
        raise KeyError(f"no UI text for {key!r}")
    text = entry.get(lang) or entry["ja"]
    return text.format(**fmt) if fmt else text


def route_label(route: str | None, names: dict[str, tuple[str, str]], lang: str) -> str:
    """Display name of an inflow route from the inflow_routes table, else its key."""
    if route in (None, "unknown"):
        return t("common.unknown_route", lang)
    if route == "__total__":
        return t("common.total", lang)
    ja, en = names.get(route, (route, route))
    return ja if lang == "ja" else en
