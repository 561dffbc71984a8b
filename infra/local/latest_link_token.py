"""Prints the token of the newest emailed link (or sign-in code) sent to one
recipient by the local stack, as a mail client would show it.

Usage: latest_link_token.py MOTO_ENDPOINT RECIPIENT
Exits 1 when no message to RECIPIENT carries a link token.
"""

import email
import email.policy
import json
import re
import sys
import urllib.request


def main():
    endpoint, recipient = sys.argv[1], sys.argv[2].lower()
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json") as response:
        data = json.load(response)
    for raw in reversed(data.get("ses", {}).get("RawMessage", [])):
        message = email.message_from_string(raw["raw_data"], policy=email.policy.default)
        if recipient not in str(message["To"]).lower():
            continue
        body = message.get_body(preferencelist=("plain",))
        found = re.search(r"#token=([A-Za-z0-9_-]+)", body.get_content() if body else "")
        if found:
            print(found.group(1))
            return
    sys.exit(f"no link token in mail to {recipient}")


if __name__ == "__main__":
    main()
