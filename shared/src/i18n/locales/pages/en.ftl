### Bookwarden's page texts: English. The pages (functions/src/pages) show
### these HTML-escaped. de.ftl, fr.ftl, ja.ftl and ko.ftl hold the same ids.

## A calendar day, e.g. "Tuesday, 1 December 2026" ($weekday and $month are
## the weekday-N and month-N messages of the email catalog, $day a number).
day = { $weekday }, { $day } { $month } { $year }

## Every page.
page-skip = Skip to content
page-languages = Language
page-error-title = There is a problem
page-noscript = This page reads the secret part of the link you followed with JavaScript, so it never reaches our servers' logs. Turn JavaScript on and open the link again.
page-powered = Appointments by Bookwarden
page-not-found-title = Page not found
page-not-found = This page does not exist, or the business no longer takes bookings here.
page-link-invalid = This link is not valid any more: it was used already, it expired, or it was copied incompletely. Ask for a new one.
page-cross-site = This form was sent from another website, so nothing was done. Open the page again and send it from there.
page-try-again = Something went wrong on our side and nothing was changed. Please try again in a minute.
page-too-many = Too many attempts in a short time. Please wait a few minutes and try again.
page-form-reused = This form was already sent with different details. Reload the page and try again.
page-field-invalid = Check this field.
page-required = required
page-optional = optional

## Field problems.
field-name = Enter your name (up to 100 characters).
field-email = Enter an email address like name@example.com.
field-phone = Enter a phone number of digits, spaces and + ( ) - (up to 40 characters).
field-start = Choose one of the open times.
field-answer = Answer this question (up to the length allowed, or one of the options).
field-password = Enter a password.
field-weak-password = Choose a longer password, or one that is harder to guess: a passphrase of several unrelated words works well.
field-tz = Choose a time zone from the list, like Europe/Berlin.
field-date = Enter a date within the booking period.

## The booking page.
book-title = Book with { $business }
book-step-choose = Choose an appointment
book-service = Service
book-minutes = { $minutes } min
book-staff = With
book-anyone = Anyone available
book-date = Date
book-zone = Your time zone
book-zone-note = Times are shown in { $zone }. { $business } is in { $business_zone }.
book-show-times = Show open times
book-days = Other days with open times
book-slots = Open times on { $date }
book-no-slots = There are no open times on this day.
book-no-services = This business has no services to book yet.
book-details = Your details
book-name = Name
book-email = Email
book-phone = Phone
book-submit = Book this time
book-slot-taken = Someone booked that time a moment ago. Please choose another: the nearest open times come first.
book-done-title = You are booked
book-done = { $service } with { $business }, { $when }. A confirmation with a link to change or cancel is on its way to your email address.
book-ics = Add to my calendar
book-again = Book another appointment

## Managing a booking from the emailed link.
manage-title = Your appointment
manage-open = Show my appointment
manage-service = Service
manage-when = When
manage-cancelled = This appointment is cancelled.
manage-cancel-title = Cancel
manage-cancel = Cancel this appointment
manage-move-title = Move to another time
manage-move = Move to this time
manage-too-late = This appointment can no longer be changed online: changes close { $hours } hours before it starts. Please contact { $business } directly.
manage-cancelled-title = Your appointment is cancelled
manage-cancelled-done = { $business } has been told. A confirmation is on its way to your email address.
manage-moved-title = Your appointment is moved
manage-moved-done = It is now on { $when }. A confirmation is on its way to your email address.

## Account links.
verify-title = Confirm your email address
verify-intro = Confirm this address to activate your business.
verify-submit = Confirm my email address
verify-done-title = Your email address is confirmed
verify-done = Your business is active. You can sign in now.
reset-title = Choose a new password
reset-password = New password
reset-hint = At least 15 characters. A passphrase of several unrelated words is easy to remember and hard to guess.
reset-submit = Save my new password
reset-done-title = Your password is changed
reset-done = You were signed out everywhere. Sign in with your new password.
accept-title = Join your team
accept-intro = Choose a password to finish setting up your account.
accept-submit = Create my account
accept-done-title = Your account is ready
accept-done = You can sign in now with your email address and the password you chose.
confirm-title = Confirm your new email address
confirm-intro = Confirm to use this address for signing in and for notices from now on.
confirm-submit = Confirm my new address
confirm-done-title = Your email address is changed
confirm-done = Sign in with your new address from now on.

## Email preferences and one-click unsubscribe.
prefs-title = Email preferences
prefs-intro = Reminder emails before your appointments can be turned off here. Confirmations and changes to a booking you made are always sent.
prefs-submit = Stop reminder emails
prefs-no-link = To turn reminders off, open this page from the link at the end of a reminder email.
prefs-done-title = Reminders are off
prefs-done = You will not get reminder emails from { $business } any more.
