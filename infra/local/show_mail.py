"""Prints the mail the local stack has sent, decoded, newest first.

Usage: show_mail.py [--all | --limit N] [MOTO_ENDPOINT]
  Shows the latest 10 messages unless told otherwise. MOTO_ENDPOINT defaults to
  http://127.0.0.1:$MOTO_PORT (MOTO_PORT: 4566 unless set, as for `make dev`).

Asks moto_serial.py's /bookwarden/sent-mail for only the messages it shows, so
it stays quick however much mail was sent, and decodes MIME transfer encodings
so links can be copied as they would appear in a mail client.
"""

import argparse
import email
import email.policy
import json
import os
import sys
import urllib.error
import urllib.request


def arguments():
    parser = argparse.ArgumentParser(description="Show the mail a running `make dev` has sent, newest first.")
    parser.add_argument(
        "endpoint",
        nargs="?",
        default=f"http://127.0.0.1:{os.environ.get('MOTO_PORT') or 4566}",
        help="moto's address (default: http://127.0.0.1:$MOTO_PORT, port 4566 unless set)",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="every message, not only the latest")
    which.add_argument(
        "--limit", "-n", type=int, default=10, metavar="N", help="the latest N messages (default 10)"
    )
    return parser.parse_args()


def fetch(endpoint, limit):
    url = f"{endpoint.rstrip('/')}/bookwarden/sent-mail?limit={limit}"
    try:
        with urllib.request.urlopen(url) as response:
            return json.load(response)
    except urllib.error.HTTPError as e:
        if e.code == 404:
            sys.exit(f"{endpoint} has no /bookwarden/sent-mail: restart `make dev` to get it.")
        sys.exit(f"{url}: {e.code} {e.read().decode(errors='replace').strip()}")
    except urllib.error.URLError as e:
        sys.exit(f"Nothing answers at {endpoint} ({e.reason}): is `make dev` running?")


def show(raw):
    message = email.message_from_string(raw, policy=email.policy.default)
    print("=" * 72)
    for header in ("From", "To", "Subject", "Date"):
        print(f"{header}: {message[header]}")
    print(f"DKIM-Signature: {'present' if message['DKIM-Signature'] else 'MISSING'}")
    print()
    body = message.get_body(preferencelist=("plain",))
    print(body.get_content() if body else "(no text part)")


def main():
    args = arguments()
    if args.limit < 0:
        sys.exit("--limit: a number of messages, 0 or more")
    sent = fetch(args.endpoint, "all" if args.all else args.limit)
    total, messages = sent["total"], sent["messages"]
    if total == 0:
        print("No mail sent yet.")
        return
    if len(messages) == total:
        print(f"{total} message{'s' if total != 1 else ''}, newest first.")
    else:
        print(f"The latest {len(messages)} of {total} messages, newest first (--all for every one).")
    for message in messages:
        show(message["raw_data"])


if __name__ == "__main__":
    main()
