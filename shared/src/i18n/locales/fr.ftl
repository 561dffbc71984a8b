### Bookwarden's email catalog: French (vouvoiement).
###
### Same message ids and attributes as en.ftl; see there for what each
### argument holds.

-brand = Bookwarden

## Moments, e.g. "mardi 1er décembre 2026 à 14:30 (Europe/Paris, UTC+01:00)".
## The first day of a month is written "1er".

when = { $weekday } { $day ->
        [1] 1er
       *[other] { $day }
    } { $month } { $year } à { $time } ({ $zone }, { $offset })

weekday-1 = lundi
weekday-2 = mardi
weekday-3 = mercredi
weekday-4 = jeudi
weekday-5 = vendredi
weekday-6 = samedi
weekday-7 = dimanche

month-1 = janvier
month-2 = février
month-3 = mars
month-4 = avril
month-5 = mai
month-6 = juin
month-7 = juillet
month-8 = août
month-9 = septembre
month-10 = octobre
month-11 = novembre
month-12 = décembre

## Roles, as named in a security notice.

role-owner = propriétaire
role-admin = administrateur
role-staff = membre de l’équipe

## Pieces outside a message body.

preferences-footer = Préférences e-mail et désabonnement : { $url }
calendar-summary = Rendez-vous chez { $business }

## Messages to the customer about their booking.

booking-confirmed =
    .subject = Votre rendez-vous chez { $business } est confirmé
    .text =
        Bonjour { $name },

        Votre rendez-vous chez { $business } est confirmé.

        Début : { $start }
        Fin : { $end }

        Pour le consulter, le déplacer ou l’annuler, ouvrez ce lien :
        { $manage_url }

booking-cancelled =
    .subject = Votre rendez-vous chez { $business } a été annulé
    .text =
        Bonjour { $name },

        Votre rendez-vous chez { $business } du { $start } a été annulé.

        Le lien de gestion de votre rendez-vous en donne le détail.

booking-moved =
    .subject = Votre rendez-vous chez { $business } a été déplacé
    .text =
        Bonjour { $name },

        Votre rendez-vous chez { $business } a été déplacé.

        Nouveau début : { $start }
        Nouvelle fin : { $end }
        Début précédent : { $previous_start }

        Le lien de gestion de votre rendez-vous en donne le détail.

reminder =
    .subject = Rappel : votre rendez-vous chez { $business }
    .text =
        Bonjour { $name },

        Nous vous rappelons votre rendez-vous chez { $business } :

        { $start }

        Pour ne plus recevoir de rappels, ouvrez ce lien :
        { $unsubscribe_url }

## Notes to the staff member an appointment is booked with.

staff-booking-new =
    .subject = Nouveau rendez-vous réservé
    .text =
        Bonjour { $name },

        Un nouveau rendez-vous a été réservé avec vous.

        Début : { $start }
        Fin : { $end }

staff-booking-cancelled =
    .subject = Rendez-vous annulé
    .text =
        Bonjour { $name },

        Un rendez-vous avec vous a été annulé.

        Début : { $start }
        Fin : { $end }

staff-booking-moved =
    .subject = Rendez-vous déplacé
    .text =
        Bonjour { $name },

        Un rendez-vous avec vous a été déplacé.

        Nouveau début : { $start }
        Nouvelle fin : { $end }
        Début précédent : { $previous_start }

## Links and codes for accounts.

verify-email =
    .subject = Confirmez votre adresse e-mail pour { $business }
    .text =
        Bonjour { $name },

        Bienvenue sur { -brand }.

        Veuillez confirmer que cette adresse appartient au propriétaire de { $business } en ouvrant ce lien dans les 24 heures :

        { $url }

        Si vous n’êtes pas à l’origine de cette inscription, ignorez ce message ; il ne se passera rien.

password-reset =
    .subject = Réinitialisez votre mot de passe { -brand }
    .text =
        Bonjour { $name },

        Quelqu’un a demandé la réinitialisation du mot de passe de votre compte chez { $business }.

        Pour choisir un nouveau mot de passe, ouvrez ce lien dans les 30 minutes (il ne fonctionne qu’une fois) :

        { $url }

        Si vous n’êtes pas à l’origine de cette demande, ignorez ce message ; votre mot de passe reste inchangé.

invitation =
    .subject = Invitation à rejoindre { $business } sur { -brand }
    .text =
        Bonjour { $name },

        Vous avez reçu une invitation à rejoindre { $business } sur { -brand }. Ouvrez ce lien dans les 7 jours pour choisir votre mot de passe (il ne fonctionne qu’une fois) :

        { $url }

confirm-new-email =
    .subject = Confirmez votre nouvelle adresse e-mail
    .text =
        Bonjour { $name },

        Veuillez confirmer cette adresse pour votre compte { -brand } chez { $business } en ouvrant ce lien dans les 24 heures (il ne fonctionne qu’une fois) :

        { $url }

        Si vous n’avez rien demandé, ignorez ce message.

sign-in-code =
    .subject = Votre code de connexion { -brand }
    .text =
        Bonjour { $name },

        Votre code de connexion pour { $business } est :

        { $code }

        Il ne fonctionne qu’une fois, pendant les 10 prochaines minutes. Si vous n’êtes pas en train de vous connecter, quelqu’un connaît votre mot de passe : changez-le.

## Security notices: one frame, and per event a subject and a sentence ($what).

security-notice =
    .text =
        Bonjour { $name },

        { $what }

        Compte : { $business }
        Date : { $at }

        Si c’était vous, vous n’avez rien d’autre à faire. Sinon, réinitialisez votre mot de passe dès maintenant et prévenez le propriétaire de { $business }.

        Vous recevez ce message parce qu’il concerne la sécurité de votre compte ; il n’est pas possible de s’en désabonner.

security-password-changed =
    .subject = Votre mot de passe { -brand } a été modifié
    .what = Le mot de passe de votre compte a été modifié.

security-password-reset =
    .subject = Votre mot de passe { -brand } a été réinitialisé
    .what = Le mot de passe de votre compte a été réinitialisé à l’aide d’un lien envoyé par e-mail ; toutes les sessions ont été déconnectées.

security-two-step-enabled =
    .subject = Connexion en deux étapes activée
    .what = Une application d’authentification a été ajoutée à votre compte.

security-authenticator-replaced =
    .subject = Votre application d’authentification a été remplacée
    .what = L’application d’authentification de votre compte a été remplacée par une nouvelle ; les codes de l’ancienne application et les anciens codes de récupération ne fonctionnent plus.

security-two-step-disabled =
    .subject = Connexion en deux étapes désactivée
    .what = L’application d’authentification a été retirée de votre compte.

security-recovery-codes-replaced =
    .subject = Nouveaux codes de récupération
    .what = De nouveaux codes de récupération ont été créés ; les anciens ne fonctionnent plus.

security-recovery-code-used =
    .subject = Un code de récupération a été utilisé
    .what = Un code de récupération a été utilisé pour se connecter à votre compte.

security-second-step-failed =
    .subject = Une connexion à votre compte a échoué à la deuxième étape
    .what = Votre mot de passe a été saisi correctement, mais la deuxième étape de connexion a échoué. Si ce n’était pas vous, quelqu’un connaît votre mot de passe : réinitialisez-le dès maintenant.

security-locked-after-passwords =
    .subject = Votre compte { -brand } a été verrouillé
    .what = Plusieurs mots de passe erronés ont été saisis pour votre compte ; il est donc verrouillé pendant un moment. Il se déverrouille tout seul ; réinitialiser votre mot de passe le déverrouille aussi.

security-locked-after-second-step =
    .subject = Votre compte { -brand } a été verrouillé
    .what = Votre mot de passe a été saisi correctement, mais la deuxième étape de connexion a échoué plusieurs fois ; votre compte est donc verrouillé pendant un moment. Quelqu’un connaît peut-être votre mot de passe : réinitialisez-le dès maintenant.

security-email-change-requested =
    .subject = Un changement de votre adresse e-mail a été demandé
    .what = Une personne connectée à votre compte a demandé à le rattacher à une autre adresse e-mail. Le changement n’a lieu qu’une fois la nouvelle adresse confirmée.

security-email-changed =
    .subject = Votre adresse e-mail { -brand } a été modifiée
    .what = L’adresse e-mail de votre compte a été modifiée et confirmée depuis la nouvelle boîte de réception.

security-api-key-created =
    .subject = Une clé d’API { -brand } a été créée
    .what = Une clé d’API nommée « { $key_name } » a été créée.

security-api-key-revoked =
    .subject = Une clé d’API { -brand } a été révoquée
    .what = La clé d’API nommée « { $key_name } » a été révoquée.

security-calendar-connected =
    .subject = Un agenda a été connecté à votre compte { -brand }
    .what = Votre agenda { $provider } a été connecté. Ses créneaux occupés bloquent désormais les réservations ; rien d’autre n’en est conservé.

security-calendar-disconnected =
    .subject = Un agenda a été déconnecté de votre compte { -brand }
    .what = Votre agenda { $provider } a été déconnecté, son accès révoqué lorsque le fournisseur le permet, et tous les créneaux occupés importés ont été supprimés.

security-calendar-needs-reconnect =
    .subject = Votre agenda { $provider } doit être reconnecté
    .what = L’accès à votre agenda { $provider } a été révoqué ou a expiré ; ses créneaux occupés ne bloquent plus les réservations. Déconnectez-le puis reconnectez-le.

security-data-export-ready =
    .subject = Un export des données de votre entreprise { -brand } est prêt
    .what = Un export de données demandé par vous ou par un autre propriétaire est prêt. Connectez-vous et téléchargez-le depuis la page de l’export dans les deux jours ; pour votre sécurité, le lien de téléchargement n’est jamais envoyé par e-mail. Si aucun propriétaire ne l’a demandé, changez votre mot de passe et vérifiez votre équipe.

security-role-changed =
    .subject = Votre rôle { -brand } a changé
    .what = Votre rôle est désormais « { $role } ». Veuillez vous reconnecter.

security-business-closed =
    .subject = { -brand } : votre entreprise a été fermée
    .what = Un propriétaire a fermé l’entreprise. Ses pages de réservation sont arrêtées et toutes les sessions ont été déconnectées. Ses données sont conservées 60 jours, pendant lesquels un propriétaire peut se connecter et la rétablir ; ensuite elles sont supprimées définitivement, sauvegardes comprises.

security-business-restored =
    .subject = { -brand } : votre entreprise a été rétablie
    .what = Un propriétaire a rétabli l’entreprise. Ses pages de réservation sont de nouveau ouvertes ; chacun se reconnecte.
