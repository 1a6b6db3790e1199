"""UI texts of the account check-up (issue 16): the Health page, its goals and alerts, the alerts
on the pages they concern, and the weekly report. Merged into i18n.TEXT at the end of i18n.py.

Keys start with `hl.`; the one exception is `duty.name.checkup`, the background duty's name that the
Data page looks up as `duty.name.<duty>` with every other duty.
"""
from __future__ import annotations

TEXT: dict[str, dict[str, str]] = {
    "duty.name.checkup": {"ja": "アカウント診断", "en": "Account check-up"},
    # the page
    "hl.title": {"ja": "アカウント診断", "en": "Account health"},
    "hl.nav": {"ja": "アカウント診断", "en": "Account health"},
    "hl.nav.count": {"ja": "アカウント診断（{n}件）", "en": "Account health ({n})"},
    "hl.intro": {"ja": "目標の進み具合と、うまくいっていないサイン（記事でよくある失敗のパターン）を毎回自動で確認します。"
                       "それぞれに根拠の数字と、おすすめの対応を示します。",
                 "en": "The goals' progress and the warning signs of the usual ways an account fails, checked by "
                       "themselves, each with the numbers behind it and what to do next."},
    "hl.as_of": {"ja": "{as_of}時点のデータで診断（最終チェック {checked}）",
                 "en": "Checked on the data up to {as_of} (last check {checked})"},
    "hl.never_checked": {"ja": "まだ診断していません。", "en": "Not checked yet."},
    "hl.check_now": {"ja": "いま診断する", "en": "Check now"},
    "hl.checked": {"ja": "診断しました: {n}件のサイン", "en": "Checked: {n} warning signs"},
    # goals
    "hl.goals.title": {"ja": "目標", "en": "Goals"},
    "hl.goals.def": {"ja": "指標ごとに目標値と期日を決めると、進み具合・必要なペース・今の傾向で届くかどうかを表示します。"
                           "数字は概要画面と同じ定義で、診断時点までの{days}日間で測ります。",
                     "en": "Give a KPI a target and a date to see its progress, the pace it needs and whether the "
                           "current trend gets there. The numbers are the Overview's, over the {days} days up to the check."},
    "hl.goals.none": {"ja": "まだ目標がありません。", "en": "No goals yet."},
    "hl.goals.admin_only": {"ja": "目標を決められるのは管理者です。", "en": "Only an admin can set goals."},
    "hl.kpi.friends": {"ja": "友だち数（累計）", "en": "Friends (all time)"},
    "hl.kpi.following": {"ja": "ターゲットリーチ（有効友だち）", "en": "Target reach (following)"},
    "hl.kpi.active_friends": {"ja": "アクティブ友だち", "en": "Active friends"},
    "hl.kpi.block_rate": {"ja": "ブロック率（{days}日間）", "en": "Block rate ({days} days)"},
    "hl.kpi.reactions_per_delivery": {"ja": "配信あたりの反応率（{days}日間）", "en": "Reactions per delivery ({days} days)"},
    "hl.kpi.purchases": {"ja": "LINEからの購入（{days}日間）", "en": "Purchases from LINE ({days} days)"},
    "hl.goal.target": {"ja": "目標 {target}（{due}まで）", "en": "Target {target} by {due}"},
    "hl.goal.current": {"ja": "現在 {value}", "en": "Now {value}"},
    "hl.goal.progress": {"ja": "進捗 {pct}（目標を決めたときの {baseline} から）",
                         "en": "Progress {pct} (from {baseline} when the goal was set)"},
    "hl.goal.pace": {"ja": "必要なペース: 1週あたり {pace}（残り {weeks}週）",
                     "en": "Pace needed: {pace} a week ({weeks} weeks left)"},
    "hl.goal.trend": {"ja": "今の傾向: 1週あたり {trend}", "en": "Current trend: {trend} a week"},
    "hl.goal.forecast": {"ja": "期日の予測: {forecast}", "en": "Forecast for the due date: {forecast}"},
    "hl.goal.method": {"ja": "予測の方法: 直近{weeks}週の毎週末の値（それぞれ{days}日間）と現在の値に直線を当てはめ（最小二乗法）、"
                             "期日まで延ばした値です。季節や今後の配信計画の変化は入っていません。",
                       "en": "How it is forecast: a straight line fitted (least squares) through the value at the end of each "
                             "of the last {weeks} weeks (each over {days} days) and the current one, carried on to the due "
                             "date. Seasons and changes to the sending plan are not in it."},
    "hl.goal.set_by": {"ja": "{who}が{at}に設定", "en": "Set by {who} on {at}"},
    "hl.goal.state.reached": {"ja": "達成しています", "en": "Reached"},
    "hl.goal.state.on_track": {"ja": "このままで届く見込み", "en": "On track"},
    "hl.goal.state.off_track": {"ja": "このままでは届きません", "en": "Off track at the current trend"},
    "hl.goal.state.no_forecast": {"ja": "予測に必要なデータが足りません", "en": "Not enough history to forecast"},
    "hl.goal.state.missed": {"ja": "期日を過ぎました（未達成）", "en": "Due date passed, not reached"},
    "hl.goal.form": {"ja": "目標を決める・変える（管理者）", "en": "Set or change a goal (admins)"},
    "hl.goal.form.kpi": {"ja": "指標", "en": "KPI"},
    "hl.goal.form.target": {"ja": "目標値", "en": "Target"},
    "hl.goal.form.target_pct": {"ja": "目標値（%）", "en": "Target (%)"},
    "hl.goal.form.lower": {"ja": "この指標は低いほど良い指標です（目標値以下で達成）。",
                           "en": "Lower is better for this KPI: reached at or below the target."},
    "hl.goal.form.due": {"ja": "期日", "en": "Due date"},
    "hl.goal.form.save": {"ja": "目標を保存", "en": "Save the goal"},
    "hl.goal.form.clear": {"ja": "この指標の目標を消す", "en": "Remove this KPI's goal"},
    "hl.goal.saved": {"ja": "目標を保存しました（操作履歴に記録しました）。", "en": "Goal saved (recorded in the audit log)."},
    "hl.goal.cleared": {"ja": "目標を消しました（操作履歴に記録しました）。", "en": "Goal removed (recorded in the audit log)."},
    "hl.goal.err.unknown_kpi": {"ja": "この指標には目標を決められません。", "en": "This KPI cannot have a goal."},
    "hl.goal.err.not_a_number": {"ja": "目標値には0以上の数を入れてください。", "en": "The target must be a number of 0 or more."},
    "hl.goal.err.rate_range": {"ja": "割合の目標は0〜100%で入れてください。", "en": "A share's target must be between 0 and 100%."},
    "hl.goal.err.whole_number": {"ja": "人数・件数の目標は整数で入れてください。", "en": "A count's target must be a whole number."},
    "hl.goal.err.due_in_past": {"ja": "期日は{today}より後の日にしてください。", "en": "The due date must be after {today}."},
    "hl.chart.value": {"ja": "実績（毎週末）", "en": "Actual (each week's end)"},
    "hl.chart.target": {"ja": "目標", "en": "Target"},
    "hl.chart.forecast": {"ja": "予測（直線）", "en": "Forecast (straight line)"},
    "hl.chart.day": {"ja": "日付", "en": "Day"},
    # alerts
    "hl.alerts.title": {"ja": "気づいたこと", "en": "Warning signs"},
    "hl.alerts.none": {"ja": "いま対応が必要なサインはありません。", "en": "Nothing needs attention now."},
    "hl.alerts.open": {"ja": "対応が必要: {n}件", "en": "Needing attention: {n}"},
    "hl.alerts.handled": {"ja": "対応中・非表示にしたもの（{n}件）", "en": "Being handled or muted ({n})"},
    "hl.alert.evidence": {"ja": "根拠", "en": "Evidence"},
    "hl.alert.action": {"ja": "おすすめの対応", "en": "Suggested action"},
    "hl.alert.rule": {"ja": "判定ルール", "en": "Rule"},
    "hl.alert.open_page": {"ja": "{page}で数字を見る", "en": "See the numbers on {page}"},
    "hl.alert.raised": {"ja": "{at}から", "en": "Since {at}"},
    "hl.alert.urgency.1": {"ja": "今日中に", "en": "Today"},
    "hl.alert.urgency.2": {"ja": "今週中に", "en": "This week"},
    "hl.alert.urgency.3": {"ja": "余裕のあるときに", "en": "When you can"},
    "hl.alert.ack": {"ja": "対応中にする", "en": "Mark as being handled"},
    "hl.alert.mute": {"ja": "しばらく表示しない", "en": "Mute for a while"},
    "hl.alert.mute_days": {"ja": "{days}日間", "en": "{days} days"},
    "hl.alert.mute_for": {"ja": "非表示にする期間", "en": "Mute for"},
    "hl.alert.acked": {"ja": "対応中（{who}、{at}）", "en": "Being handled ({who}, {at})"},
    "hl.alert.muted": {"ja": "{until}まで非表示（{who}）", "en": "Muted until {until} ({who})"},
    "hl.alert.done.acknowledged": {"ja": "対応中にしました（操作履歴に記録しました）。",
                                   "en": "Marked as being handled (recorded in the audit log)."},
    "hl.alert.done.muted": {"ja": "非表示にしました（操作履歴に記録しました）。", "en": "Muted (recorded in the audit log)."},
    "hl.alert.err.unknown": {"ja": "このアラートは見つかりません。", "en": "This alert no longer exists."},
    "hl.alert.err.resolved": {"ja": "このアラートはすでに解消しています。", "en": "This alert has already cleared."},
    "hl.alert.err.mute_days": {"ja": "非表示にする日数を選んでください。", "en": "Choose how many days to mute it for."},
    "hl.alert.only_operators": {"ja": "対応中・非表示にできるのは運用担当者以上です。",
                                "en": "Operators and above can mark or mute alerts."},
    "hl.here.title": {"ja": "この画面に関係するサイン（{n}件）", "en": "Warning signs about this page ({n})"},
    "hl.here.more": {"ja": "詳しくはアカウント診断へ", "en": "More on Account health"},
    # the rules: title, the evidence in words, the suggested action, the rule itself
    "hl.rule.promotion_share.title": {"ja": "宣伝の配信が多すぎます", "en": "Too many of your sends are promotions"},
    "hl.rule.promotion_share.why": {"ja": "直近{days}日の配信{sends}回のうち{promotions}回（{share}）が宣伝でした。",
                                    "en": "{promotions} of the {sends} sends of the last {days} days ({share}) were promotions."},
    "hl.rule.promotion_share.action": {
        "ja": "次の1〜2回は宣伝ではなく、使い方のコツや季節の話題など役に立つ内容にしましょう。宣伝は関心のある友だち（セグメント）に絞って送ると、ブロックが減ります。",
        "en": "Make the next one or two sends useful rather than selling (tips, seasonal topics). Send promotions "
              "only to the friends interested in them (a segment): fewer friends block."},
    "hl.rule.promotion_share.rule": {"ja": "直近{days}日の配信のうち、宣伝の割合が{threshold}を超えたとき",
                                     "en": "Promotions are more than {threshold} of the sends of the last {days} days"},
    "hl.rule.reactions_falling.title": {"ja": "配信ごとの反応が続けて下がっています",
                                        "en": "Reactions per delivery keep falling"},
    "hl.rule.reactions_falling.why": {"ja": "直近{count}回の配信で、反応率が毎回前回を下回りました（{first} → {last}）。",
                                      "en": "Over the last {count} deliveries the reaction rate fell every time ({first} → {last})."},
    "hl.rule.reactions_falling.action": {
        "ja": "配信の回数を減らすか、最近反応した人・興味の高い人に絞って送りましょう。友だち数が増えていても、読まれなくなっているサインです。",
        "en": "Send less often, or only to friends who reacted recently or show interest. Even with more friends, "
              "this is the sign that messages are no longer read."},
    "hl.rule.reactions_falling.rule": {"ja": "配信ごとの反応率（24時間以内に反応した人 ÷ 配信数）が{n}回続けて前回より下がったとき",
                                       "en": "The reaction rate (friends who reacted within 24 h ÷ messages sent) fell "
                                             "{n} deliveries in a row"},
    "hl.rule.block_spike.title": {"ja": "配信の直後にブロックが急に増えました", "en": "Blocks jumped right after a send"},
    "hl.rule.block_spike.why": {"ja": "「{title}」（{sent_at}）の後24時間で{blocks}人がブロックしました（配信数の{rate}）。"
                                      "同じ配信先のいつもの割合{usual}の{times}倍です。",
                                "en": "{blocks} friends blocked within 24 h of \u201c{title}\u201d ({sent_at}): {rate} of the "
                                      "messages sent, {times} times this audience's usual {usual}."},
    "hl.rule.block_spike.action": {
        "ja": "この配信の内容・時間帯・配信先を見直しましょう。同じ内容をもう一度全員に送るのは避け、次は関心のある人に絞ってください。",
        "en": "Look again at this send's content, time and audience. Do not send the same to everyone again; next "
              "time send it only to the friends interested in it."},
    "hl.rule.block_spike.rule": {"ja": "配信後24時間のブロック率が、同じ配信先への過去{baseline_days}日の配信の{factor}倍を超え、"
                                       "ブロックが{min}人以上のとき（直近{days}日の配信）",
                                 "en": "A send's block rate within 24 h is above {factor} times that of the earlier sends to "
                                       "the same audience ({baseline_days} days), with at least {min} blocks (sends of the "
                                       "last {days} days)"},
    "hl.rule.route_blocks.title": {"ja": "「{route}」から来た友だちがすぐにブロックしています",
                                   "en": "Friends from \u201c{route}\u201d block soon after adding"},
    "hl.rule.route_blocks.why": {"ja": "この経路で追加した{adds}人のうち{blocked}人（{rate}）が7日以内にブロックしました。"
                                       "アカウント全体では{account}です。",
                                 "en": "{blocked} of the {adds} friends added through this route ({rate}) blocked within "
                                       "7 days; across the account it is {account}."},
    "hl.rule.route_blocks.action": {
        "ja": "この経路の特典や広告の言葉を見直しましょう（特典だけ受け取ってブロックされていないか）。追加直後のあいさつで、友だちでいる理由を伝えてください。",
        "en": "Rethink this route's offer and ad wording (are friends taking the coupon and leaving?). Tell new "
              "friends in the welcome message why staying is worth it."},
    "hl.rule.route_blocks.rule": {"ja": "経路の7日以内ブロック率が全体の{factor}倍を超え、追加が{min}人以上のとき（{days}日間の追加）",
                                  "en": "A route's 7-day block rate is above {factor} times the account's, with at least "
                                        "{min} adds ({days} days of adds)"},
    "hl.rule.silent_friends.title": {"ja": "登録してから何も届いていない友だちがいます",
                                     "en": "Some friends have received nothing since adding"},
    "hl.rule.silent_friends.why": {"ja": "{days}日以上前に友だち追加したのに、まだ一度もメッセージを受け取っていない友だちが{silent}人います。",
                                   "en": "{silent} friends added the account more than {days} days ago and have not "
                                         "received a single message."},
    "hl.rule.silent_friends.action": {
        "ja": "追加のあとに届くステップ配信を用意するか、まずこの友だちに役立つ情報を送りましょう。登録から3週間以内に何度か声をかけることが大切です。",
        "en": "Set up step messages after the add, or send these friends something useful first: reach out "
              "several times within three weeks of the add."},
    "hl.rule.silent_friends.rule": {"ja": "友だち追加から{days}日以上たっても、配信を一度も受け取っていない友だちがいるとき",
                                    "en": "Friends who added more than {days} days ago have received nothing"},
    "hl.rule.quota_runout.limit.title": {"ja": "今月のメッセージ上限に月末より前に届きそうです",
                                         "en": "This month's message limit will be reached before the month ends"},
    "hl.rule.quota_runout.limit.why": {"ja": "今月はここまで{used}通。このペースでは月末に{forecast}通になり、上限{allowance}通に"
                                             "{runs_out}ごろ届きます。追加メッセージの料金は約{yen}です。",
                                       "en": "{used} messages so far this month. At this pace the month ends at {forecast}, "
                                             "reaching the limit of {allowance} around {runs_out}; the extra messages cost "
                                             "about {yen}."},
    "hl.rule.quota_runout.limit.title_past": {"ja": "今月のメッセージ上限にもう届いています",
                                              "en": "This month's message limit is already reached"},
    "hl.rule.quota_runout.limit.why_past": {"ja": "今月はここまで{used}通で、すでに上限{allowance}通に届いています。このペースでは月末に{forecast}通の見込みで、"
                                                  "追加メッセージの料金は約{yen}です。",
                                            "en": "{used} messages so far this month: the limit of {allowance} is already "
                                                  "reached. At this pace the month would end at {forecast}; the extra "
                                                  "messages cost about {yen}."},
    "hl.rule.quota_runout.limit.action": {
        "ja": "大きな一斉配信を、対象を絞った配信に切り替えましょう。上限に届くと残りの配信は止まります（上限はLINE公式アカウントの管理画面で変えられます）。",
        "en": "Turn large broadcasts into targeted sends. At the limit, the rest of the month's sends stop (the "
              "limit is set in LINE Official Account Manager)."},
    "hl.rule.quota_runout.free.title": {"ja": "今月の無料メッセージを月末より前に使い切りそうです",
                                        "en": "This month's free messages will run out before the month ends"},
    "hl.rule.quota_runout.free.why": {"ja": "今月はここまで{used}通。このペースでは月末に{forecast}通になり、無料分{allowance}通を"
                                            "{runs_out}ごろ超えます。超えた{overage}通の料金は約{yen}です。",
                                      "en": "{used} messages so far this month. At this pace the month ends at {forecast}, "
                                            "past the {allowance} free ones around {runs_out}: {overage} extra messages "
                                            "for about {yen}."},
    "hl.rule.quota_runout.free.title_past": {"ja": "今月の無料メッセージをもう使い切りました",
                                             "en": "This month's free messages are already used up"},
    "hl.rule.quota_runout.free.why_past": {"ja": "今月はここまで{used}通で、無料分{allowance}通をすでに超えました。このペースでは月末に{forecast}通になり、"
                                                 "超えた{overage}通の料金は約{yen}です。",
                                           "en": "{used} messages so far this month: already past the {allowance} free ones. "
                                                 "At this pace the month ends at {forecast}: {overage} extra messages for "
                                                 "about {yen}."},
    "hl.rule.quota_runout.free.action": {
        "ja": "全員への配信を減らし、反応する友だちに絞って送ると費用が下がります。",
        "en": "Send fewer messages to everyone and more to the friends who react: the cost goes down."},
    "hl.rule.quota_runout.rule": {"ja": "今のペースで月末までの通数を予測し、上限か無料分を月末より前に超えそうなとき",
                                  "en": "At the current pace, the month's messages pass the limit or the free ones "
                                        "before the month ends"},
    "hl.rule.heavy_receivers.title": {"ja": "1週間にたくさん受け取っている友だちがいます",
                                      "en": "Some friends get many messages a week"},
    "hl.rule.heavy_receivers.why": {"ja": "直近7日に{n}通より多く受け取った友だちが{heavy}人います（有効友だち{following}人中）。"
                                          "いちばん多い人は{most}通です。",
                                    "en": "{heavy} of {following} friends received more than {n} messages in the last 7 "
                                          "days; the most, {most}."},
    "hl.rule.heavy_receivers.action": {
        "ja": "配信の回数を減らすか、同じ人に重ならないように配信先を分けましょう。配信頻度の上限（設定）は一斉配信には効きません。",
        "en": "Send less often, or split audiences so the same friends are not reached every time. The frequency "
              "cap setting does not apply to broadcasts."},
    "hl.rule.heavy_receivers.rule": {"ja": "直近7日に{n}通より多く受け取った友だちがいるとき",
                                     "en": "Friends received more than {n} messages in the last 7 days"},
    "hl.rule.menu_area.title": {"ja": "リッチメニューの「{area}」がほとんど押されていません",
                                "en": "Hardly anyone taps \u201c{area}\u201d on the rich menu"},
    "hl.rule.menu_area.why": {"ja": "直近{days}日のリッチメニューのタップ{all}回のうち、「{area}」は{taps}回（{share}）でした。",
                              "en": "\u201c{area}\u201d got {taps} of the rich menu's {all} taps in the last {days} days ({share})."},
    "hl.rule.menu_area.action": {"ja": "このエリアを、友だちがよく押す内容や今のキャンペーンに入れ替えましょう。",
                                 "en": "Replace this area with something friends look for, or the current campaign."},
    "hl.rule.menu_area.rule": {"ja": "直近{days}日のタップのうち、あるエリアの割合が{threshold}未満のとき",
                               "en": "An area gets less than {threshold} of the rich menu's taps of the last {days} days"},
    "hl.rule.loader.behind.title": {"ja": "データの取り込みが遅れています", "en": "Data is loading late"},
    "hl.rule.loader.behind.why": {"ja": "受け取ったイベント{bytes}が{minutes}分以上取り込まれていません（最後の取り込み {last}）。",
                                  "en": "{bytes} of received events have waited more than {minutes} minutes to be loaded "
                                        "(last load {last})."},
    "hl.rule.loader.behind.action": {
        "ja": "データ取り込み画面で状況を確かめ、サーバーの空き容量と記録を確認してください。取り込まれるまで数字は古いままです。",
        "en": "Check the Data page, then the server's free disk space and its log. The numbers stay old until it catches up."},
    "hl.rule.loader.quarantine.title": {"ja": "取り込めなかったイベントがあります", "en": "Some events could not be loaded"},
    "hl.rule.loader.quarantine.why": {"ja": "直近{days}日に{n}件のイベントを取り込めず、保留にしました（最新の理由: {reason}）。",
                                      "en": "{n} events of the last {days} days could not be loaded and were set aside "
                                            "(latest reason: {reason})."},
    "hl.rule.loader.quarantine.action": {
        "ja": "データ取り込み画面の保留一覧で理由を確かめてください。保留のイベントはどの数字にも入っていません。",
        "en": "See why on the Data page's list of set-aside events: they are in none of the numbers."},
    "hl.rule.loader.rule": {"ja": "受け取ったイベントが{minutes}分以上取り込まれていないか、直近{days}日に取り込めないイベントがあったとき",
                            "en": "Received events waited more than {minutes} minutes, or some of the last {days} days "
                                  "could not be loaded"},
    # the weekly report
    "hl.report.title": {"ja": "LINE公式アカウント 週次レポート", "en": "LINE Official Account weekly report"},
    "hl.report.period": {"ja": "対象期間: {first} 〜 {last}（{tz}）", "en": "Period: {first} – {last} ({tz})"},
    "hl.report.next": {"ja": "次にやること（3つ）", "en": "What to do next (three things)"},
    "hl.report.next.none": {"ja": "今週は、特に対応が必要なことはありません。", "en": "Nothing needs attention this week."},
    "hl.report.kpis": {"ja": "主な数字", "en": "Key numbers"},
    "hl.report.kpi": {"ja": "指標", "en": "KPI"},
    "hl.report.value": {"ja": "値", "en": "Value"},
    "hl.report.change": {"ja": "前期間比", "en": "vs previous period"},
    "hl.report.definition": {"ja": "定義", "en": "Definition"},
    "hl.report.goals": {"ja": "目標", "en": "Goals"},
    "hl.report.alerts": {"ja": "気づいたこと", "en": "Warning signs"},
    "hl.report.generated": {"ja": "{at}に作成（データは{as_of}まで）", "en": "Made {at} (data up to {as_of})"},
    "hl.report.chart": {"ja": "直近{weeks}週の推移", "en": "The last {weeks} weeks"},
}
