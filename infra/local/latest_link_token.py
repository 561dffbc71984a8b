"""Prints the token of the newest emailed link (or sign-in code) sent to one
recipient by the local stack, as a mail client would show it.

Usage: latest_link_token.py MOTO_ENDPOINT RECIPIENT
Mail leaves through the outbox a moment after the request that queued it, so
this waits up to 10 seconds for it. Exits 1 when no message to RECIPIENT
carries a link token by then.
"""

import email
import email.policy
import json
import re
import sys
import time
import urllib.request


def newest_token(endpoint, recipient):
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json") as response:
        data = json.load(response)
    for raw in reversed(data.get("ses", {}).get("RawMessage", [])):
        message = email.message_from_string(raw["raw_data"], policy=email.policy.default)
        if recipient not in str(message["To"]).lower():
            continue
        body = message.get_body(preferencelist=("plain",))
        found = re.search(r"#token=([A-Za-z0-9_-]+)", body.get_content() if body else "")
        if found:
            return found.group(1)
    return None


def main():
    endpoint, recipient = sys.argv[1], sys.argv[2].lower()
    deadline = time.monotonic() + 10
    while True:
        token = newest_token(endpoint, recipient)
        if token:
            print(token)
            return
        if time.monotonic() > deadline:
            sys.exit(f"no link token in mail to {recipient}")
        time.sleep(0.2)


if __name__ == "__main__":
    main()
