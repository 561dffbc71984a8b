### Bookwardenのページ用テキスト：日本語（丁寧語）。ページ（functions/src/pages）は
### これらをHTMLエスケープして表示します。en.ftl、de.ftl、fr.ftl、ko.ftl にも同じIDがあります。

## 暦日。例：「2026年12月1日(火)」（$weekday と $month はメール用カタログの
## weekday-N と month-N、$day は数値）。
day = { $year }年{ $month }{ $day }日({ $weekday })

## すべてのページ。
page-skip = 本文へスキップ
page-languages = 言語
page-error-title = 問題が発生しました
page-noscript = このページでは、開いたリンクの秘密の部分をJavaScriptで読み取るため、その部分がサーバーのログに残ることはありません。JavaScriptを有効にして、もう一度リンクを開いてください。
page-powered = 予約システム：Bookwarden
page-not-found-title = ページが見つかりません
page-not-found = このページは存在しないか、この事業者はここでの予約受付を終了しています。
page-link-invalid = このリンクは無効になりました。すでに使用されたか、有効期限が切れたか、一部しかコピーされていない可能性があります。新しいリンクをリクエストしてください。
page-cross-site = このフォームは別のウェブサイトから送信されたため、処理は行われませんでした。もう一度このページを開いて、ここから送信してください。
page-try-again = システムで問題が発生したため、何も変更されていません。1分ほどしてからもう一度お試しください。
page-too-many = 短時間に何度も試行されました。数分待ってからもう一度お試しください。
page-form-reused = このフォームは別の内容ですでに送信されています。ページを再読み込みして、もう一度お試しください。
page-field-invalid = この項目を確認してください。
page-required = 必須
page-optional = 任意

## 入力項目のエラー。
field-name = お名前を入力してください（100文字以内）。
field-email = name@example.com のような形式でメールアドレスを入力してください。
field-phone = 電話番号を数字、スペース、+ ( ) - で入力してください（40文字以内）。
field-start = 空いている時間から選んでください。
field-answer = この質問に回答してください（入力できる文字数の範囲内で入力するか、選択肢から選んでください）。
field-password = パスワードを入力してください。
field-weak-password = もっと長いパスワードか、推測されにくいパスワードを設定してください。関係のない複数の単語を組み合わせたパスフレーズがおすすめです。
field-tz = Asia/Tokyo のように、リストからタイムゾーンを選んでください。
field-date = 予約受付期間内の日付を入力してください。

## 予約ページ。
book-title = { $business }の予約
book-step-choose = 予約内容の選択
book-service = メニュー
book-minutes = { $minutes }分
book-staff = 担当者
book-anyone = 指名なし
book-date = 日付
book-zone = お使いのタイムゾーン
book-zone-note = 時刻は{ $zone }で表示しています。{ $business }のタイムゾーンは{ $business_zone }です。
book-show-times = 空き時間を表示
book-days = 空きのあるほかの日
book-slots = { $date }の空き時間
book-no-slots = この日に空き時間はありません。
book-no-services = この事業者には、まだ予約できるメニューがありません。
book-details = お客様情報
book-name = お名前
book-email = メールアドレス
book-phone = 電話番号
book-submit = この日時で予約する
book-slot-taken = この時間はたった今ほかの方が予約されました。別の時間を選んでください（近い空き時間から順に表示しています）。
book-done-title = ご予約が確定しました
book-done = { $business }の{ $service }、{ $when }。変更・キャンセル用のリンクを記載した確認メールを、ご入力のメールアドレスにお送りします。
book-ics = カレンダーに追加
book-again = 別の予約をする

## メールのリンクからの予約管理。
manage-title = ご予約内容
manage-open = 予約を表示
manage-service = メニュー
manage-when = 日時
manage-cancelled = この予約はキャンセル済みです。
manage-cancel-title = キャンセル
manage-cancel = この予約をキャンセルする
manage-move-title = 日時の変更
manage-move = この日時に変更する
manage-too-late = この予約はオンラインでは変更できなくなりました。変更は開始の{ $hours }時間前までです。{ $business }に直接お問い合わせください。
manage-cancelled-title = ご予約をキャンセルしました
manage-cancelled-done = { $business }にもお知らせしました。確認メールをご登録のメールアドレスにお送りします。
manage-moved-title = ご予約の日時を変更しました
manage-moved-done = 新しい日時は{ $when }です。確認メールをご登録のメールアドレスにお送りします。

## アカウント用のリンク。
verify-title = メールアドレスの確認
verify-intro = このメールアドレスを確認して、ビジネスを有効にしてください。
verify-submit = メールアドレスを確認する
verify-done-title = メールアドレスを確認しました
verify-done = ビジネスが有効になりました。サインインできます。
reset-title = 新しいパスワードの設定
reset-password = 新しいパスワード
reset-hint = 15文字以上。関係のない複数の単語を組み合わせたパスフレーズは、覚えやすく推測されにくいのでおすすめです。
reset-submit = 新しいパスワードを保存
reset-done-title = パスワードを変更しました
reset-done = すべての端末からサインアウトしました。新しいパスワードでサインインしてください。
accept-title = チームに参加
accept-intro = パスワードを設定して、アカウントの準備を完了してください。
accept-submit = アカウントを作成
accept-done-title = アカウントの準備ができました
accept-done = メールアドレスと設定したパスワードでサインインできます。
confirm-title = 新しいメールアドレスの確認
confirm-intro = 確認すると、今後はこのアドレスをサインインとお知らせの受信に使用します。
confirm-submit = 新しいアドレスを確認する
confirm-done-title = メールアドレスを変更しました
confirm-done = 今後は新しいアドレスでサインインしてください。

## メール設定とワンクリック配信停止。
prefs-title = メール設定
prefs-intro = ご予約前に届くリマインダーメールは、ここで停止できます。ご自身の予約に関する確認メールや変更のお知らせは、引き続き送信されます。
prefs-submit = リマインダーメールを停止
prefs-no-link = リマインダーを停止するには、リマインダーメールの末尾にあるリンクからこのページを開いてください。
prefs-done-title = リマインダーを停止しました
prefs-done = 今後、{ $business }からリマインダーメールは届きません。
