### Textes des pages de Bookwarden : français (vouvoiement). Les pages
### (functions/src/pages) les affichent échappés pour le HTML. en.ftl, de.ftl,
### ja.ftl et ko.ftl contiennent les mêmes identifiants.

## Un jour du calendrier, p. ex. « mardi 1er décembre 2026 » ($weekday et
## $month sont les messages weekday-N et month-N du catalogue e-mail, $day un
## nombre). Le premier jour du mois s’écrit « 1er ».
day = { $weekday } { $day ->
        [1] 1er
       *[other] { $day }
    } { $month } { $year }

## Toutes les pages.
page-skip = Aller au contenu
page-languages = Langue
page-error-title = Un problème est survenu
page-noscript = Cette page lit avec JavaScript la partie secrète du lien que vous avez suivi, afin qu’elle n’apparaisse jamais dans les journaux de nos serveurs. Activez JavaScript et rouvrez le lien.
page-powered = Prise de rendez-vous avec Bookwarden
page-not-found-title = Page introuvable
page-not-found = Cette page n’existe pas, ou l’établissement n’accepte plus de réservations ici.
page-link-invalid = Ce lien n’est plus valide : il a déjà été utilisé, il a expiré ou il a été copié de façon incomplète. Demandez-en un nouveau.
page-cross-site = Ce formulaire a été envoyé depuis un autre site, rien n’a donc été fait. Rouvrez la page et envoyez le formulaire depuis celle-ci.
page-try-again = Un problème est survenu de notre côté et rien n’a été modifié. Veuillez réessayer dans une minute.
page-too-many = Trop de tentatives en peu de temps. Veuillez patienter quelques minutes, puis réessayer.
page-form-reused = Ce formulaire a déjà été envoyé avec d’autres informations. Rechargez la page et réessayez.
page-field-invalid = Vérifiez ce champ.
page-required = obligatoire
page-optional = facultatif

## Problèmes de champs.
field-name = Saisissez votre nom (100 caractères maximum).
field-email = Saisissez une adresse e-mail, par exemple nom@example.com.
field-phone = Saisissez un numéro de téléphone composé de chiffres, d’espaces et de + ( ) - (40 caractères maximum).
field-start = Choisissez l’un des créneaux disponibles.
field-answer = Répondez à cette question (dans la longueur autorisée, ou en choisissant l’une des options).
field-password = Saisissez un mot de passe.
field-weak-password = Choisissez un mot de passe plus long ou plus difficile à deviner : une phrase de passe composée de plusieurs mots sans rapport entre eux convient très bien.
field-tz = Choisissez un fuseau horaire dans la liste, par exemple Europe/Paris.
field-date = Saisissez une date comprise dans la période de réservation.

## La page de réservation.
book-title = Réserver chez { $business }
book-step-choose = Choisissez un rendez-vous
book-service = Prestation
book-minutes = { $minutes } min
book-staff = Avec
book-anyone = Sans préférence
book-date = Date
book-zone = Votre fuseau horaire
book-zone-note = Les horaires sont affichés dans le fuseau { $zone }. { $business } se trouve dans le fuseau { $business_zone }.
book-show-times = Voir les créneaux disponibles
book-days = Autres jours avec des créneaux disponibles
book-slots = Créneaux disponibles le { $date }
book-no-slots = Aucun créneau disponible ce jour-là.
book-no-services = Cet établissement ne propose encore aucune prestation à réserver.
book-details = Vos coordonnées
book-name = Nom
book-email = E-mail
book-phone = Téléphone
book-submit = Réserver ce créneau
book-slot-taken = Quelqu’un vient de réserver ce créneau. Veuillez en choisir un autre : les créneaux disponibles les plus proches sont affichés en premier.
book-done-title = Votre rendez-vous est réservé
book-done = { $service } chez { $business }, le { $when }. Vous allez recevoir par e-mail une confirmation avec un lien pour modifier ou annuler le rendez-vous.
book-ics = Ajouter à mon agenda
book-again = Prendre un autre rendez-vous

## Gérer une réservation depuis le lien reçu par e-mail.
manage-title = Votre rendez-vous
manage-open = Afficher mon rendez-vous
manage-service = Prestation
manage-when = Date et heure
manage-cancelled = Ce rendez-vous est annulé.
manage-cancel-title = Annuler
manage-cancel = Annuler ce rendez-vous
manage-move-title = Changer d’horaire
manage-move = Déplacer à cet horaire
manage-too-late = Ce rendez-vous ne peut plus être modifié en ligne : les modifications sont possibles jusqu’à { $hours } h avant son début. Veuillez contacter directement { $business }.
manage-cancelled-title = Votre rendez-vous est annulé
manage-cancelled-done = Nous avons prévenu { $business }. Vous allez recevoir une confirmation par e-mail.
manage-moved-title = Votre rendez-vous a été déplacé
manage-moved-done = Il a désormais lieu le { $when }. Vous allez recevoir une confirmation par e-mail.

## Liens liés au compte.
verify-title = Confirmez votre adresse e-mail
verify-intro = Confirmez cette adresse pour activer votre établissement.
verify-submit = Confirmer mon adresse e-mail
verify-done-title = Votre adresse e-mail est confirmée
verify-done = Votre établissement est actif. Vous pouvez maintenant vous connecter.
reset-title = Choisissez un nouveau mot de passe
reset-password = Nouveau mot de passe
reset-hint = Au moins 15 caractères. Une phrase de passe composée de plusieurs mots sans rapport entre eux est facile à retenir et difficile à deviner.
reset-submit = Enregistrer mon nouveau mot de passe
reset-done-title = Votre mot de passe a été modifié
reset-done = Toutes vos sessions ont été fermées. Connectez-vous avec votre nouveau mot de passe.
accept-title = Rejoignez votre équipe
accept-intro = Choisissez un mot de passe pour terminer la configuration de votre compte.
accept-submit = Créer mon compte
accept-done-title = Votre compte est prêt
accept-done = Vous pouvez maintenant vous connecter avec votre adresse e-mail et le mot de passe choisi.
confirm-title = Confirmez votre nouvelle adresse e-mail
confirm-intro = Confirmez pour utiliser désormais cette adresse pour vous connecter et recevoir les notifications.
confirm-submit = Confirmer ma nouvelle adresse
confirm-done-title = Votre adresse e-mail a été modifiée
confirm-done = Connectez-vous désormais avec votre nouvelle adresse.

## Préférences e-mail et désabonnement en un clic.
prefs-title = Préférences e-mail
prefs-intro = Vous pouvez désactiver ici les e-mails de rappel envoyés avant vos rendez-vous. Les confirmations et les modifications des réservations que vous avez faites sont toujours envoyées.
prefs-submit = Ne plus recevoir de rappels
prefs-no-link = Pour désactiver les rappels, ouvrez cette page depuis le lien figurant à la fin d’un e-mail de rappel.
prefs-done-title = Les rappels sont désactivés
prefs-done = Vous ne recevrez plus d’e-mails de rappel de la part de { $business }.
