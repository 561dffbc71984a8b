### Bookwarden's email catalog: Japanese (polite form).
###
### Same message ids and attributes as en.ftl; see there for what each
### argument holds.

-brand = Bookwarden

## Moments, e.g. "2026年12月1日(火) 22:30 (Asia/Tokyo, UTC+09:00)".

when = { $year }年{ $month }{ $day }日({ $weekday }) { $time } ({ $zone }, { $offset })

weekday-1 = 月
weekday-2 = 火
weekday-3 = 水
weekday-4 = 木
weekday-5 = 金
weekday-6 = 土
weekday-7 = 日

month-1 = 1月
month-2 = 2月
month-3 = 3月
month-4 = 4月
month-5 = 5月
month-6 = 6月
month-7 = 7月
month-8 = 8月
month-9 = 9月
month-10 = 10月
month-11 = 11月
month-12 = 12月

## Roles, as named in a security notice.

role-owner = オーナー
role-admin = 管理者
role-staff = スタッフ

## Pieces outside a message body.

preferences-footer = メール設定・配信停止：{ $url }
calendar-summary = { $business }のご予約

## Messages to the customer about their booking.

booking-confirmed =
    .subject = 【{ $business }】ご予約確定のお知らせ
    .text =
        { $name } 様

        { $business }のご予約が確定しました。

        開始：{ $start }
        終了：{ $end }

        ご予約の確認・変更・キャンセルは、次のリンクから行えます。
        { $manage_url }

booking-cancelled =
    .subject = 【{ $business }】ご予約キャンセルのお知らせ
    .text =
        { $name } 様

        { $business }の次のご予約はキャンセルされました。

        日時：{ $start }

        詳細は予約管理用のリンクからご確認いただけます。

booking-moved =
    .subject = 【{ $business }】ご予約日時変更のお知らせ
    .text =
        { $name } 様

        { $business }のご予約の日時が変更されました。

        新しい開始：{ $start }
        新しい終了：{ $end }
        変更前の開始：{ $previous_start }

        詳細は予約管理用のリンクからご確認いただけます。

reminder =
    .subject = 【{ $business }】ご予約のリマインダー
    .text =
        { $name } 様

        { $business }のご予約についてお知らせします。

        日時：{ $start }

        今後リマインダーの受信を停止するには、次のリンクを開いてください。
        { $unsubscribe_url }

## Notes to the staff member an appointment is booked with.

staff-booking-new =
    .subject = 新しい予約が入りました
    .text =
        { $name } 様

        あなたが担当する新しい予約が入りました。

        開始：{ $start }
        終了：{ $end }

staff-booking-cancelled =
    .subject = 予約がキャンセルされました
    .text =
        { $name } 様

        あなたが担当する予約がキャンセルされました。

        開始：{ $start }
        終了：{ $end }

staff-booking-moved =
    .subject = 予約の日時が変更されました
    .text =
        { $name } 様

        あなたが担当する予約の日時が変更されました。

        新しい開始：{ $start }
        新しい終了：{ $end }
        変更前の開始：{ $previous_start }

## Links and codes for accounts.

verify-email =
    .subject = 【{ $business }】メールアドレスのご確認
    .text =
        { $name } 様

        { -brand }へようこそ。

        このメールアドレスが{ $business }のオーナーのものであることを確認するため、24時間以内に次のリンクを開いてください。

        { $url }

        お心当たりのない場合は、このメールを無視してください。何も起こりません。

password-reset =
    .subject = { -brand }のパスワード再設定
    .text =
        { $name } 様

        { $business }のアカウントのパスワード再設定が依頼されました。

        新しいパスワードを設定するには、30分以内に次のリンクを開いてください（リンクは1回のみ有効です）。

        { $url }

        お心当たりのない場合は、このメールを無視してください。パスワードは変更されません。

invitation =
    .subject = 【{ $business }】{ -brand }への招待
    .text =
        { $name } 様

        { -brand }の{ $business }に招待されました。7日以内に次のリンクを開いて、パスワードを設定してください（リンクは1回のみ有効です）。

        { $url }

confirm-new-email =
    .subject = 新しいメールアドレスのご確認
    .text =
        { $name } 様

        { $business }の{ -brand }アカウントでこのメールアドレスを使用するため、24時間以内に次のリンクを開いて確認してください（リンクは1回のみ有効です）。

        { $url }

        お心当たりのない場合は、このメールを無視してください。

sign-in-code =
    .subject = { -brand }のサインインコード
    .text =
        { $name } 様

        { $business }へのサインインコードは次のとおりです。

        { $code }

        このコードは1回のみ、10分間有効です。今サインインしようとしていない場合は、誰かがあなたのパスワードを知っています。パスワードを変更してください。

## Security notices: one frame, and per event a subject and a sentence ($what).

security-notice =
    .text =
        { $name } 様

        { $what }

        アカウント：{ $business }
        日時：{ $at }

        ご自身による操作であれば、対応は不要です。お心当たりがない場合は、今すぐパスワードを再設定し、{ $business }のオーナーにお知らせください。

        このメールはアカウントのセキュリティに関するお知らせのため、配信を停止することはできません。

security-password-changed =
    .subject = { -brand }のパスワードが変更されました
    .what = アカウントのパスワードが変更されました。

security-password-reset =
    .subject = { -brand }のパスワードが再設定されました
    .what = メールで送信されたリンクから、アカウントのパスワードが再設定されました。すべてのセッションからサインアウトしました。

security-two-step-enabled =
    .subject = 2段階認証が有効になりました
    .what = アカウントに認証アプリが追加されました。

security-authenticator-replaced =
    .subject = 認証アプリが置き換えられました
    .what = アカウントの認証アプリが新しいものに置き換えられました。以前のアプリのコードと以前のリカバリーコードは使用できなくなりました。

security-two-step-disabled =
    .subject = 2段階認証が無効になりました
    .what = アカウントから認証アプリが削除されました。

security-recovery-codes-replaced =
    .subject = リカバリーコードが再発行されました
    .what = 新しいリカバリーコードが作成されました。以前のコードは使用できなくなりました。

security-recovery-code-used =
    .subject = リカバリーコードが使用されました
    .what = アカウントへのサインインにリカバリーコードが使用されました。

security-second-step-failed =
    .subject = アカウントへのサインインが2段階目で失敗しました
    .what = パスワードは正しく入力されましたが、2段階目の認証に失敗しました。ご自身でない場合は、誰かがあなたのパスワードを知っています。今すぐパスワードを再設定してください。

security-locked-after-passwords =
    .subject = { -brand }のアカウントがロックされました
    .what = 誤ったパスワードが何度も入力されたため、アカウントを一時的にロックしました。ロックは時間がたつと自動的に解除されます。パスワードを再設定しても解除されます。

security-locked-after-second-step =
    .subject = { -brand }のアカウントがロックされました
    .what = パスワードは正しく入力されましたが、2段階目の認証に何度も失敗したため、アカウントを一時的にロックしました。誰かがあなたのパスワードを知っている可能性があります。今すぐパスワードを再設定してください。

security-email-change-requested =
    .subject = メールアドレスの変更がリクエストされました
    .what = アカウントにサインインしている誰かが、アカウントのメールアドレスを別のアドレスに変更するようリクエストしました。新しいアドレスで確認が完了するまで、メールアドレスは変更されません。

security-email-changed =
    .subject = { -brand }のメールアドレスが変更されました
    .what = アカウントのメールアドレスが変更され、新しいメールアドレスで確認されました。

security-api-key-created =
    .subject = { -brand }のAPIキーが作成されました
    .what = 「{ $key_name }」という名前のAPIキーが作成されました。

security-api-key-revoked =
    .subject = { -brand }のAPIキーが無効化されました
    .what = 「{ $key_name }」という名前のAPIキーが無効化されました。

security-calendar-connected =
    .subject = { -brand }アカウントにカレンダーが接続されました
    .what = { $provider }のカレンダーが接続されました。予定のある時間は予約できなくなります。それ以外の情報は保存されません。

security-calendar-disconnected =
    .subject = { -brand }アカウントからカレンダーの接続が解除されました
    .what = { $provider }のカレンダーの接続が解除されました。提供元が対応している場合はアクセス権も取り消され、取り込んだ予定の時間はすべて削除されました。

security-calendar-needs-reconnect =
    .subject = { $provider }のカレンダーを再接続してください
    .what = { $provider }のカレンダーへのアクセスが取り消されたか期限切れになったため、予定のある時間が予約をブロックしなくなりました。接続を解除してから、もう一度接続してください。

security-data-export-ready =
    .subject = { -brand }の事業データのエクスポートが準備できました
    .what = あなたまたは他のオーナーが依頼したデータのエクスポートが準備できました。サインインして、2日以内にエクスポートのページからダウンロードしてください。安全のため、ダウンロード用のリンクはメールでは送信されません。どのオーナーも依頼していない場合は、パスワードを変更し、チームのメンバーを確認してください。

security-role-changed =
    .subject = { -brand }のロールが変更されました
    .what = あなたのロールは「{ $role }」になりました。もう一度サインインしてください。

security-business-closed =
    .subject = { -brand }: ビジネスが閉鎖されました
    .what = オーナーがビジネスを閉鎖しました。予約ページは停止し、すべてのセッションがサインアウトされました。データは60日間保持され、その間はオーナーがサインインして復元できます。その後はバックアップを含めて完全に削除されます。

security-business-restored =
    .subject = { -brand }: ビジネスが復元されました
    .what = オーナーがビジネスを復元しました。予約ページは再び公開されています。全員がもう一度サインインしてください。
