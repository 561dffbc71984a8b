#!/usr/bin/env bash
# A business signs up, opens for bookings and takes one, against `make dev`:
#   bash docs/walkthrough.sh        (API, MOTO, ORIGIN and PYTHON override the defaults)
# Every step checks its answer and dates are relative to today; `make test` runs
# this very file against a local stack, so it cannot go stale.
set -euo pipefail
API=${API:-http://127.0.0.1:${PORT:-3000}}
MOTO=${MOTO:-http://127.0.0.1:${MOTO_PORT:-4566}}
ORIGIN=${ORIGIN:-$API}
PY=${PYTHON:-.venv/bin/python}
RUN=$(date +%s)$RANDOM
SLUG="salon-$RUN" EMAIL="ada.$RUN@example.com" PASSWORD="correct horse battery staple"
TMP=$(mktemp -d) && trap 'rm -rf "$TMP"' EXIT
JSON=(-H 'content-type: application/json')

# call STATUS curl-arguments…: prints the answer's body; stops unless the status is STATUS.
call() {
  local want=$1 out; shift
  out=$(curl -s -D "$TMP/headers" -w '\n%{http_code}' "$@")
  echo "${out%$'\n'*}"
  [ "${out##*$'\n'}" = "$want" ] || { echo "expected $want, got ${out##*$'\n'}" >&2; exit 1; }
}
field() { "$PY" -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v = v[int(k)] if k.isdigit() else v[k]
print(v)' "$1"; }
day() { "$PY" -c 'import datetime,sys; print(datetime.date.today() + datetime.timedelta(days=int(sys.argv[1])))' "$1"; }
token_for() { "$PY" infra/local/latest_link_token.py "$MOTO" "$1"; }

echo "== A business signs up (201: tenant id and status only)"
T=$(call 201 "${JSON[@]}" "$API/v1/tenants" -d "{\"name\":\"Salon Nord\",\"slug\":\"$SLUG\",
  \"time_zone\":\"Europe/Berlin\",\"owner_name\":\"Ada Owner\",\"owner_email\":\"$EMAIL\",
  \"password\":\"$PASSWORD\"}" | field tenant_id)

echo "== Bad input changes nothing: 400 when the body is not the expected JSON shape,"
echo "   422 when it is but a value is refused (each field says why)"
call 400 "${JSON[@]}" "$API/v1/tenants" -d '{"slug":"x"}'
call 422 "${JSON[@]}" "$API/v1/tenants" -d '{"name":"X","slug":"Not A Slug","time_zone":"Mars/Base",
  "owner_name":"X","owner_email":"nope","password":"short"}'

echo "== Nothing works until the owner follows the emailed link (make mail shows it)"
call 403 "${JSON[@]}" "$API/v1/auth/login" -d "{\"tenant\":\"$SLUG\",\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}"
call 200 "${JSON[@]}" "$API/v1/auth/verify-email" -d "{\"token\":\"$(token_for "$EMAIL")\"}"
call 200 "$API/v1/public/tenants/$SLUG"

echo "== The owner signs in; the session lives in a __Host- cookie"
ME=$(call 200 "${JSON[@]}" "$API/v1/auth/login" \
  -d "{\"tenant\":\"$SLUG\",\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" | field user_id)
COOKIE=$(grep -i '^set-cookie:' "$TMP/headers" | sed 's/^[^:]*: *//; s/;.*//')
H=(-H "cookie: $COOKIE" -H "origin: $ORIGIN" -H 'content-type: application/json')

echo "== Working hours (Monday first; minutes after local midnight), closed in ten days"
call 200 "${H[@]}" -X PUT "$API/v1/tenants/$T/staff/$ME/schedule" -d "{
  \"weekly\": [[{\"from\":540,\"to\":1020}],[{\"from\":540,\"to\":1020}],[{\"from\":540,\"to\":1020}],
             [{\"from\":540,\"to\":1020}],[{\"from\":540,\"to\":1020}],[],[]],
  \"exceptions\": [[\"$(day 10)\", []]]}"

echo "== A service: 60 minutes plus 15 minutes' buffer, and one extra question (answers are encrypted)"
SERVICE=$(call 201 "${H[@]}" "$API/v1/tenants/$T/services" -d "{\"name\":\"Haircut\",
  \"duration_minutes\":60,\"buffer_after_minutes\":15,\"staff_ids\":[\"$ME\"]}" | field id)
call 200 "${H[@]}" -X PUT "$API/v1/tenants/$T/booking-form" \
  -d '{"questions":[{"id":"notes","label":"Anything we should know?","kind":"long_text"}]}'

echo "== A customer looks for a slot: availability takes local dates (at most 62 days at a"
echo "   time, up to the business's max_advance_days ahead, default 90)"
call 200 "$API/v1/public/tenants/$SLUG/services"
START=$(call 200 "$API/v1/public/tenants/$SLUG/availability?service=$SERVICE&from=$(day 7)&to=$(day 13)" \
  | field slots.0.start)

echo "== …and books it. The Idempotency-Key makes a retry safe: the same key and body"
echo "   return the same booking (200), never a second one"
BOOK=("${JSON[@]}" -H "Idempotency-Key: first-try-$RUN" "$API/v1/public/tenants/$SLUG/bookings" -d "{
  \"service_id\":\"$SERVICE\",\"staff_id\":\"any\",\"start\":\"$START\",\"customer_name\":\"Cora\",
  \"customer_email\":\"cora.$RUN@example.org\",\"answers\":{\"notes\":\"none\"}}")
BOOKING=$(call 201 "${BOOK[@]}" | field booking_id)
call 200 "${BOOK[@]}"

echo "== The customer's manage link (by email only) shows, moves or cancels the booking"
echo "   until the business's cancellation window (default 24 hours before)"
call 200 "${JSON[@]}" "$API/v1/public/bookings/view" -d "{\"token\":\"$(token_for "cora.$RUN@example.org")\"}"

echo "== The business lists bookings by RFC 3339 instants (not dates: a range can start at any time)"
call 200 "${H[@]}" "$API/v1/tenants/$T/bookings?from=$(day 7)T00:00:00Z&to=$(day 14)T00:00:00Z"
call 200 "${H[@]}" "$API/v1/tenants/$T/bookings/$BOOKING"
call 204 "${H[@]}" -X POST "$API/v1/tenants/$T/bookings/$BOOKING/cancel"
echo "== Customers book in a browser at $API/book/$SLUG (the manage link in their mail opens $API/manage)"
call 200 "$API/book/$SLUG?service=$SERVICE" | grep -c 'class="slot"'
echo "== Done: business $SLUG, booking $BOOKING made and cancelled"
