### Bookwarden's email catalog: English.
###
### de.ftl, fr.ftl, ja.ftl and ko.ftl hold exactly the same message ids and
### attributes (a unit test compares them). Bodies are plain text: each line
### break becomes CRLF when a message is rendered, and values are inserted
### verbatim (no isolation marks).

-brand = Bookwarden

## Moments, e.g. "Tuesday, 1 December 2026, 14:30 (Europe/Berlin, UTC+01:00)".
## $weekday and $month are the weekday-N and month-N messages below, $day is a
## number, $year and $time ("14:30") are text, $zone is the IANA zone name and
## $offset the zone's offset at that moment ("UTC+01:00").

when = { $weekday }, { $day } { $month } { $year }, { $time } ({ $zone }, { $offset })

weekday-1 = Monday
weekday-2 = Tuesday
weekday-3 = Wednesday
weekday-4 = Thursday
weekday-5 = Friday
weekday-6 = Saturday
weekday-7 = Sunday

month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December

## Roles, as named in a security notice.

role-owner = Owner
role-admin = Admin
role-staff = Staff

## Pieces outside a message body.

# The line under every message's text, before the preferences link.
preferences-footer = Email preferences and unsubscribe: { $url }
# The title of the appointment in the attached calendar file.
calendar-summary = Appointment at { $business }

## Messages to the customer about their booking.

booking-confirmed =
    .subject = Your appointment at { $business } is confirmed
    .text =
        Hello { $name },

        Your appointment at { $business } is confirmed.

        Start: { $start }
        End: { $end }

        To view, move or cancel it, open:
        { $manage_url }

booking-cancelled =
    .subject = Your appointment at { $business } was cancelled
    .text =
        Hello { $name },

        Your appointment at { $business } on { $start } was cancelled.

        Your manage link shows the details.

booking-moved =
    .subject = Your appointment at { $business } was moved
    .text =
        Hello { $name },

        Your appointment at { $business } was moved.

        New start: { $start }
        New end: { $end }
        Previous start: { $previous_start }

        Your manage link shows the details.

reminder =
    .subject = Reminder: your appointment at { $business }
    .text =
        Hello { $name },

        This is a reminder of your appointment at { $business }:

        { $start }

        To receive no more reminders, open this link:
        { $unsubscribe_url }

## Notes to the staff member an appointment is booked with.

staff-booking-new =
    .subject = New appointment booked
    .text =
        Hello { $name },

        A new appointment was booked with you.

        Start: { $start }
        End: { $end }

staff-booking-cancelled =
    .subject = Appointment cancelled
    .text =
        Hello { $name },

        An appointment with you was cancelled.

        Start: { $start }
        End: { $end }

staff-booking-moved =
    .subject = Appointment moved
    .text =
        Hello { $name },

        An appointment with you was moved.

        New start: { $start }
        New end: { $end }
        Previous start: { $previous_start }

## Links and codes for accounts.

verify-email =
    .subject = Confirm your email for { $business }
    .text =
        Hello { $name },

        Welcome to { -brand }.

        Please confirm that this address belongs to the owner of { $business } by opening this link within 24 hours:

        { $url }

        If you did not sign up, ignore this message; nothing will happen.

password-reset =
    .subject = Reset your { -brand } password
    .text =
        Hello { $name },

        Someone asked to reset the password of your account at { $business }.

        To choose a new password, open this link within 30 minutes (it works once):

        { $url }

        If it was not you, ignore this message; your password stays as it is.

invitation =
    .subject = You are invited to { $business } on { -brand }
    .text =
        Hello { $name },

        You were invited to join { $business } on { -brand }. Open this link within 7 days to choose your password (it works once):

        { $url }

confirm-new-email =
    .subject = Confirm your new email address
    .text =
        Hello { $name },

        Please confirm this address for your { -brand } account at { $business } by opening this link within 24 hours (it works once):

        { $url }

        If you did not ask for this, ignore this message.

sign-in-code =
    .subject = Your { -brand } sign-in code
    .text =
        Hello { $name },

        Your sign-in code for { $business } is:

        { $code }

        It works once, for the next 10 minutes. If you are not signing in right now, someone knows your password: change it.

## Security notices: one frame, and per event a subject and a sentence ($what).

security-notice =
    .text =
        Hello { $name },

        { $what }

        Account: { $business }
        Time: { $at }

        If this was you, nothing else is needed. If it was not, reset your password now and tell the owner of { $business }.

        You receive this message because it concerns the security of your account; it cannot be unsubscribed.

security-password-changed =
    .subject = Your { -brand } password was changed
    .what = The password of your account was changed.

security-password-reset =
    .subject = Your { -brand } password was reset
    .what = The password of your account was reset with an emailed link; every session was signed out.

security-two-step-enabled =
    .subject = Two-step sign-in turned on
    .what = An authenticator app was added to your account.

security-authenticator-replaced =
    .subject = Your authenticator app was replaced
    .what = The authenticator app of your account was replaced by a new one; codes from the old app and the old recovery codes no longer work.

security-two-step-disabled =
    .subject = Two-step sign-in turned off
    .what = The authenticator app was removed from your account.

security-recovery-codes-replaced =
    .subject = New recovery codes
    .what = New recovery codes were created; the old ones no longer work.

security-recovery-code-used =
    .subject = A recovery code was used
    .what = A recovery code was used to sign in to your account.

security-second-step-failed =
    .subject = A sign-in to your account failed at the second step
    .what = Your password was entered correctly, but the second sign-in step failed. If this was not you, someone knows your password: reset it now.

security-locked-after-passwords =
    .subject = Your { -brand } account was locked
    .what = Several wrong passwords were entered for your account, so it is locked for a while. It unlocks by itself; resetting your password also unlocks it.

security-locked-after-second-step =
    .subject = Your { -brand } account was locked
    .what = Your password was entered correctly, but the second sign-in step failed several times, so your account is locked for a while. Someone may know your password: reset it now.

security-email-change-requested =
    .subject = A change of your email address was requested
    .what = Someone signed in to your account asked to move it to another email address. It changes only once the new address confirms.

security-email-changed =
    .subject = Your { -brand } email address was changed
    .what = The email address of your account was changed and confirmed from the new inbox.

security-api-key-created =
    .subject = A { -brand } API key was created
    .what = An API key named “{ $key_name }” was created.

security-api-key-revoked =
    .subject = A { -brand } API key was revoked
    .what = The API key named “{ $key_name }” was revoked.

security-calendar-connected =
    .subject = A calendar was connected to your { -brand } account
    .what = Your { $provider } calendar was connected. Its busy times now block bookings; nothing else from it is kept.

security-calendar-disconnected =
    .subject = A calendar was disconnected from your { -brand } account
    .what = Your { $provider } calendar was disconnected, its access revoked where the provider allows it, and every busy time imported from it deleted.

security-calendar-needs-reconnect =
    .subject = Your { $provider } calendar needs to be connected again
    .what = Access to your { $provider } calendar was revoked or has expired, so its busy times no longer block bookings. Disconnect it and connect it again.

security-data-export-ready =
    .subject = A data export of your { -brand } business is ready
    .what = A data export you or another owner asked for is ready. Sign in and download it from the export's page within two days; for your protection the download link is never sent by email. If no owner asked for it, change your password and review your team.

security-role-changed =
    .subject = Your { -brand } role changed
    .what = Your role is now “{ $role }”. Please sign in again.

security-business-closed =
    .subject = { -brand }: your business was closed
    .what = An owner closed the business. Its booking pages stopped and every session was signed out. Its data is kept for 60 days, during which an owner can sign in and restore it; after that it is deleted for good, backups included.

security-business-restored =
    .subject = { -brand }: your business was restored
    .what = An owner restored the business. Its booking pages are open again; everyone signs in again.
