### Bookwarden's email catalog: German (formal address).
###
### Same message ids and attributes as en.ftl; see there for what each
### argument holds. After the greeting line the text continues in lower case,
### as German letters do.

-brand = Bookwarden

## Moments, e.g. "Dienstag, 1. Dezember 2026, 14:30 Uhr (Europe/Berlin, UTC+01:00)".

when = { $weekday }, { $day }. { $month } { $year }, { $time } Uhr ({ $zone }, { $offset })

weekday-1 = Montag
weekday-2 = Dienstag
weekday-3 = Mittwoch
weekday-4 = Donnerstag
weekday-5 = Freitag
weekday-6 = Samstag
weekday-7 = Sonntag

month-1 = Januar
month-2 = Februar
month-3 = März
month-4 = April
month-5 = Mai
month-6 = Juni
month-7 = Juli
month-8 = August
month-9 = September
month-10 = Oktober
month-11 = November
month-12 = Dezember

## Roles, as named in a security notice.

role-owner = Inhaber
role-admin = Administrator
role-staff = Mitarbeiter

## Pieces outside a message body.

preferences-footer = E-Mail-Einstellungen und Abmeldung: { $url }
calendar-summary = Termin bei { $business }

## Messages to the customer about their booking.

booking-confirmed =
    .subject = Ihr Termin bei { $business } ist bestätigt
    .text =
        Hallo { $name },

        Ihr Termin bei { $business } ist bestätigt.

        Beginn: { $start }
        Ende: { $end }

        Über diesen Link können Sie ihn ansehen, verschieben oder absagen:
        { $manage_url }

booking-cancelled =
    .subject = Ihr Termin bei { $business } wurde abgesagt
    .text =
        Hallo { $name },

        Ihr Termin bei { $business } am { $start } wurde abgesagt.

        Die Einzelheiten sehen Sie über den Link zur Verwaltung Ihres Termins.

booking-moved =
    .subject = Ihr Termin bei { $business } wurde verschoben
    .text =
        Hallo { $name },

        Ihr Termin bei { $business } wurde verschoben.

        Neuer Beginn: { $start }
        Neues Ende: { $end }
        Bisheriger Beginn: { $previous_start }

        Die Einzelheiten sehen Sie über den Link zur Verwaltung Ihres Termins.

reminder =
    .subject = Erinnerung: Ihr Termin bei { $business }
    .text =
        Hallo { $name },

        wir erinnern Sie an Ihren Termin bei { $business }:

        { $start }

        Wenn Sie keine Erinnerungen mehr erhalten möchten, öffnen Sie diesen Link:
        { $unsubscribe_url }

## Notes to the staff member an appointment is booked with.

staff-booking-new =
    .subject = Neuer Termin gebucht
    .text =
        Hallo { $name },

        bei Ihnen wurde ein neuer Termin gebucht.

        Beginn: { $start }
        Ende: { $end }

staff-booking-cancelled =
    .subject = Termin abgesagt
    .text =
        Hallo { $name },

        ein Termin bei Ihnen wurde abgesagt.

        Beginn: { $start }
        Ende: { $end }

staff-booking-moved =
    .subject = Termin verschoben
    .text =
        Hallo { $name },

        ein Termin bei Ihnen wurde verschoben.

        Neuer Beginn: { $start }
        Neues Ende: { $end }
        Bisheriger Beginn: { $previous_start }

## Links and codes for accounts.

verify-email =
    .subject = Bestätigen Sie Ihre E-Mail-Adresse für { $business }
    .text =
        Hallo { $name },

        willkommen bei { -brand }.

        Bitte bestätigen Sie, dass diese Adresse dem Inhaber von { $business } gehört, indem Sie innerhalb von 24 Stunden diesen Link öffnen:

        { $url }

        Falls Sie sich nicht registriert haben, ignorieren Sie diese Nachricht; es geschieht dann nichts.

password-reset =
    .subject = Ihr { -brand }-Passwort zurücksetzen
    .text =
        Hallo { $name },

        jemand hat angefordert, das Passwort Ihres Kontos bei { $business } zurückzusetzen.

        Um ein neues Passwort zu wählen, öffnen Sie innerhalb von 30 Minuten diesen Link (er funktioniert nur einmal):

        { $url }

        Falls Sie das nicht waren, ignorieren Sie diese Nachricht; Ihr Passwort bleibt unverändert.

invitation =
    .subject = Einladung zu { $business } auf { -brand }
    .text =
        Hallo { $name },

        Sie wurden eingeladen, { $business } auf { -brand } beizutreten. Öffnen Sie innerhalb von 7 Tagen diesen Link, um Ihr Passwort festzulegen (er funktioniert nur einmal):

        { $url }

confirm-new-email =
    .subject = Bestätigen Sie Ihre neue E-Mail-Adresse
    .text =
        Hallo { $name },

        bitte bestätigen Sie diese Adresse für Ihr { -brand }-Konto bei { $business }, indem Sie innerhalb von 24 Stunden diesen Link öffnen (er funktioniert nur einmal):

        { $url }

        Falls Sie das nicht angefordert haben, ignorieren Sie diese Nachricht.

sign-in-code =
    .subject = Ihr { -brand }-Anmeldecode
    .text =
        Hallo { $name },

        Ihr Anmeldecode für { $business } lautet:

        { $code }

        Er funktioniert nur einmal und nur in den nächsten 10 Minuten. Wenn Sie sich gerade nicht anmelden, kennt jemand Ihr Passwort: Ändern Sie es.

## Security notices: one frame, and per event a subject and a sentence ($what).

security-notice =
    .text =
        Hallo { $name },

        { $what }

        Konto: { $business }
        Zeitpunkt: { $at }

        Wenn Sie das waren, ist nichts weiter zu tun. Wenn nicht, setzen Sie jetzt Ihr Passwort zurück und informieren Sie den Inhaber von { $business }.

        Sie erhalten diese Nachricht, weil sie die Sicherheit Ihres Kontos betrifft; sie kann nicht abbestellt werden.

security-password-changed =
    .subject = Ihr { -brand }-Passwort wurde geändert
    .what = das Passwort Ihres Kontos wurde geändert.

security-password-reset =
    .subject = Ihr { -brand }-Passwort wurde zurückgesetzt
    .what = das Passwort Ihres Kontos wurde über einen per E-Mail gesendeten Link zurückgesetzt; alle Sitzungen wurden abgemeldet.

security-two-step-enabled =
    .subject = Zweistufige Anmeldung eingeschaltet
    .what = zu Ihrem Konto wurde eine Authenticator-App hinzugefügt.

security-authenticator-replaced =
    .subject = Ihre Authenticator-App wurde ersetzt
    .what = die Authenticator-App Ihres Kontos wurde durch eine neue ersetzt; Codes aus der alten App und die alten Wiederherstellungscodes funktionieren nicht mehr.

security-two-step-disabled =
    .subject = Zweistufige Anmeldung ausgeschaltet
    .what = die Authenticator-App wurde von Ihrem Konto entfernt.

security-recovery-codes-replaced =
    .subject = Neue Wiederherstellungscodes
    .what = es wurden neue Wiederherstellungscodes erstellt; die alten funktionieren nicht mehr.

security-recovery-code-used =
    .subject = Ein Wiederherstellungscode wurde verwendet
    .what = für eine Anmeldung bei Ihrem Konto wurde ein Wiederherstellungscode verwendet.

security-second-step-failed =
    .subject = Eine Anmeldung bei Ihrem Konto ist im zweiten Schritt gescheitert
    .what = Ihr Passwort wurde richtig eingegeben, aber der zweite Anmeldeschritt ist fehlgeschlagen. Wenn Sie das nicht waren, kennt jemand Ihr Passwort: Setzen Sie es jetzt zurück.

security-locked-after-passwords =
    .subject = Ihr { -brand }-Konto wurde gesperrt
    .what = für Ihr Konto wurden mehrmals falsche Passwörter eingegeben, daher ist es vorübergehend gesperrt. Die Sperre endet von selbst; auch das Zurücksetzen Ihres Passworts hebt sie auf.

security-locked-after-second-step =
    .subject = Ihr { -brand }-Konto wurde gesperrt
    .what = Ihr Passwort wurde richtig eingegeben, aber der zweite Anmeldeschritt ist mehrmals fehlgeschlagen, daher ist Ihr Konto vorübergehend gesperrt. Möglicherweise kennt jemand Ihr Passwort: Setzen Sie es jetzt zurück.

security-email-change-requested =
    .subject = Eine Änderung Ihrer E-Mail-Adresse wurde angefordert
    .what = jemand, der bei Ihrem Konto angemeldet ist, hat beantragt, es auf eine andere E-Mail-Adresse umzustellen. Die Adresse ändert sich erst, wenn die neue Adresse bestätigt ist.

security-email-changed =
    .subject = Ihre { -brand }-E-Mail-Adresse wurde geändert
    .what = die E-Mail-Adresse Ihres Kontos wurde geändert und über das neue Postfach bestätigt.

security-api-key-created =
    .subject = Ein { -brand }-API-Schlüssel wurde erstellt
    .what = ein API-Schlüssel mit dem Namen „{ $key_name }“ wurde erstellt.

security-api-key-revoked =
    .subject = Ein { -brand }-API-Schlüssel wurde widerrufen
    .what = der API-Schlüssel mit dem Namen „{ $key_name }“ wurde widerrufen.

security-calendar-connected =
    .subject = Ein Kalender wurde mit Ihrem { -brand }-Konto verbunden
    .what = Ihr { $provider }-Kalender wurde verbunden. Seine belegten Zeiten blockieren nun Buchungen; sonst wird nichts daraus gespeichert.

security-calendar-disconnected =
    .subject = Ein Kalender wurde von Ihrem { -brand }-Konto getrennt
    .what = Ihr { $provider }-Kalender wurde getrennt, der Zugriff beim Anbieter widerrufen, wo dieser das erlaubt, und alle daraus übernommenen belegten Zeiten gelöscht.

security-calendar-needs-reconnect =
    .subject = Ihr { $provider }-Kalender muss neu verbunden werden
    .what = Der Zugriff auf Ihren { $provider }-Kalender wurde widerrufen oder ist abgelaufen; seine belegten Zeiten blockieren keine Buchungen mehr. Trennen Sie ihn und verbinden Sie ihn erneut.

security-data-export-ready =
    .subject = Ein Datenexport Ihres { -brand }-Unternehmens ist bereit
    .what = Ein Datenexport, den Sie oder ein anderer Inhaber angefordert haben, ist bereit. Melden Sie sich an und laden Sie ihn innerhalb von zwei Tagen auf der Seite des Exports herunter; zu Ihrem Schutz wird der Download-Link nie per E-Mail verschickt. Falls kein Inhaber ihn angefordert hat, ändern Sie Ihr Passwort und prüfen Sie Ihr Team.

security-role-changed =
    .subject = Ihre { -brand }-Rolle wurde geändert
    .what = Ihre Rolle ist jetzt „{ $role }“. Bitte melden Sie sich erneut an.

security-business-closed =
    .subject = { -brand }: Ihr Unternehmen wurde geschlossen
    .what = Ein Inhaber hat das Unternehmen geschlossen. Die Buchungsseiten sind gesperrt und alle Sitzungen wurden abgemeldet. Die Daten bleiben 60 Tage erhalten; in dieser Zeit kann ein Inhaber sich anmelden und das Unternehmen wiederherstellen. Danach werden sie endgültig gelöscht, auch in Sicherungen.

security-business-restored =
    .subject = { -brand }: Ihr Unternehmen wurde wiederhergestellt
    .what = Ein Inhaber hat das Unternehmen wiederhergestellt. Die Buchungsseiten sind wieder geöffnet; alle melden sich erneut an.
