### Bookwarden-Seitentexte: Deutsch (Anrede mit „Sie“). Die Seiten
### (functions/src/pages) zeigen sie HTML-maskiert. en.ftl, fr.ftl, ja.ftl
### und ko.ftl enthalten dieselben IDs.

## Ein Kalendertag, z. B. „Dienstag, 1. Dezember 2026“ ($weekday und $month
## sind die Nachrichten weekday-N und month-N des E-Mail-Katalogs, $day eine Zahl).
day = { $weekday }, { $day }. { $month } { $year }

## Alle Seiten.
page-skip = Zum Inhalt springen
page-languages = Sprache
page-error-title = Es ist ein Problem aufgetreten
page-noscript = Diese Seite liest den geheimen Teil des aufgerufenen Links per JavaScript aus, damit er nie in den Protokollen unserer Server landet. Aktivieren Sie JavaScript und öffnen Sie den Link erneut.
page-powered = Terminbuchung mit Bookwarden
page-not-found-title = Seite nicht gefunden
page-not-found = Diese Seite existiert nicht, oder das Unternehmen nimmt hier keine Buchungen mehr an.
page-link-invalid = Dieser Link ist nicht mehr gültig: Er wurde bereits verwendet, ist abgelaufen oder wurde unvollständig kopiert. Fordern Sie einen neuen an.
page-cross-site = Dieses Formular wurde von einer anderen Website gesendet, daher wurde nichts ausgeführt. Öffnen Sie die Seite erneut und senden Sie das Formular dort ab.
page-try-again = Bei uns ist etwas schiefgelaufen; es wurde nichts geändert. Bitte versuchen Sie es in einer Minute noch einmal.
page-too-many = Zu viele Versuche in kurzer Zeit. Bitte warten Sie einige Minuten und versuchen Sie es dann erneut.
page-form-reused = Dieses Formular wurde bereits mit anderen Angaben gesendet. Laden Sie die Seite neu und versuchen Sie es noch einmal.
page-field-invalid = Bitte prüfen Sie dieses Feld.
page-required = erforderlich
page-optional = optional

## Probleme mit Feldern.
field-name = Geben Sie Ihren Namen ein (höchstens 100 Zeichen).
field-email = Geben Sie eine E-Mail-Adresse wie name@example.com ein.
field-phone = Geben Sie eine Telefonnummer aus Ziffern, Leerzeichen und + ( ) - ein (höchstens 40 Zeichen).
field-start = Wählen Sie eine der freien Zeiten.
field-answer = Beantworten Sie diese Frage (innerhalb der erlaubten Länge oder mit einer der Optionen).
field-password = Geben Sie ein Passwort ein.
field-weak-password = Wählen Sie ein längeres oder schwerer zu erratendes Passwort: Eine Passphrase aus mehreren zusammenhanglosen Wörtern eignet sich gut.
field-tz = Wählen Sie eine Zeitzone aus der Liste, z. B. Europe/Berlin.
field-date = Geben Sie ein Datum innerhalb des Buchungszeitraums ein.

## Die Buchungsseite.
book-title = Termin bei { $business } buchen
book-step-choose = Termin auswählen
book-service = Leistung
book-minutes = { $minutes } Min.
book-staff = Bei
book-anyone = Keine Präferenz
book-date = Datum
book-zone = Ihre Zeitzone
book-zone-note = Die Zeiten werden in der Zeitzone { $zone } angezeigt. { $business } befindet sich in der Zeitzone { $business_zone }.
book-show-times = Freie Zeiten anzeigen
book-days = Weitere Tage mit freien Zeiten
book-slots = Freie Zeiten am { $date }
book-no-slots = An diesem Tag gibt es keine freien Zeiten.
book-no-services = Bei diesem Unternehmen können noch keine Leistungen gebucht werden.
book-details = Ihre Angaben
book-name = Name
book-email = E-Mail
book-phone = Telefon
book-submit = Diesen Termin buchen
book-slot-taken = Diese Zeit wurde gerade von jemand anderem gebucht. Bitte wählen Sie eine andere: Die nächstgelegenen freien Zeiten stehen ganz oben.
book-done-title = Ihr Termin ist gebucht
book-done = { $service } bei { $business } am { $when }. Sie erhalten in Kürze eine Bestätigung per E-Mail, mit einem Link zum Ändern oder Absagen.
book-ics = Zu meinem Kalender hinzufügen
book-again = Weiteren Termin buchen

## Einen Termin über den Link aus der E-Mail verwalten.
manage-title = Ihr Termin
manage-open = Meinen Termin anzeigen
manage-service = Leistung
manage-when = Wann
manage-cancelled = Dieser Termin wurde abgesagt.
manage-cancel-title = Absagen
manage-cancel = Diesen Termin absagen
manage-move-title = Termin verschieben
manage-move = Auf diese Zeit verschieben
manage-too-late = Dieser Termin kann nicht mehr online geändert werden: Änderungen sind nur bis { $hours } Std. vor Beginn möglich. Bitte wenden Sie sich direkt an { $business }.
manage-cancelled-title = Ihr Termin wurde abgesagt
manage-cancelled-done = { $business } wurde informiert. Sie erhalten in Kürze eine Bestätigung per E-Mail.
manage-moved-title = Ihr Termin wurde verschoben
manage-moved-done = Er findet jetzt am { $when } statt. Sie erhalten in Kürze eine Bestätigung per E-Mail.

## Links für Konten.
verify-title = Bestätigen Sie Ihre E-Mail-Adresse
verify-intro = Bestätigen Sie diese Adresse, um Ihr Unternehmen zu aktivieren.
verify-submit = E-Mail-Adresse bestätigen
verify-done-title = Ihre E-Mail-Adresse ist bestätigt
verify-done = Ihr Unternehmen ist aktiv. Sie können sich jetzt anmelden.
reset-title = Neues Passwort wählen
reset-password = Neues Passwort
reset-hint = Mindestens 15 Zeichen. Eine Passphrase aus mehreren zusammenhanglosen Wörtern ist leicht zu merken und schwer zu erraten.
reset-submit = Neues Passwort speichern
reset-done-title = Ihr Passwort wurde geändert
reset-done = Sie wurden überall abgemeldet. Melden Sie sich mit Ihrem neuen Passwort an.
accept-title = Ihrem Team beitreten
accept-intro = Wählen Sie ein Passwort, um die Einrichtung Ihres Kontos abzuschließen.
accept-submit = Konto erstellen
accept-done-title = Ihr Konto ist eingerichtet
accept-done = Sie können sich jetzt mit Ihrer E-Mail-Adresse und dem gewählten Passwort anmelden.
confirm-title = Bestätigen Sie Ihre neue E-Mail-Adresse
confirm-intro = Bestätigen Sie, um diese Adresse ab sofort für die Anmeldung und für Benachrichtigungen zu verwenden.
confirm-submit = Neue Adresse bestätigen
confirm-done-title = Ihre E-Mail-Adresse wurde geändert
confirm-done = Melden Sie sich ab sofort mit Ihrer neuen Adresse an.

## E-Mail-Einstellungen und Abmeldung mit einem Klick.
prefs-title = E-Mail-Einstellungen
prefs-intro = Hier können Sie Erinnerungs-E-Mails vor Ihren Terminen abbestellen. Bestätigungen und Änderungen zu Ihren eigenen Buchungen werden immer gesendet.
prefs-submit = Erinnerungen abbestellen
prefs-no-link = Um Erinnerungen abzubestellen, öffnen Sie diese Seite über den Link am Ende einer Erinnerungs-E-Mail.
prefs-done-title = Erinnerungen sind abbestellt
prefs-done = Sie erhalten keine Erinnerungs-E-Mails von { $business } mehr.
