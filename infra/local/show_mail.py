"""Prints the mail the local stack has sent, decoded, newest last.

Usage: show_mail.py [MOTO_ENDPOINT]   (default http://127.0.0.1:4566)
Reads moto's record of SES raw messages and decodes MIME transfer encodings so
links can be copied as they would appear in a mail client.
"""

import email
import email.policy
import json
import sys
import urllib.request


def main():
    endpoint = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:4566"
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json") as response:
        data = json.load(response)
    messages = data.get("ses", {}).get("RawMessage", [])
    if not messages:
        print("No mail sent yet.")
        return
    for raw in messages:
        message = email.message_from_string(raw["raw_data"], policy=email.policy.default)
        print("=" * 72)
        for header in ("From", "To", "Subject", "Date"):
            print(f"{header}: {message[header]}")
        signature = message["DKIM-Signature"]
        print(f"DKIM-Signature: {'present' if signature else 'MISSING'}")
        print()
        body = message.get_body(preferencelist=("plain",))
        print(body.get_content() if body else "(no text part)")


if __name__ == "__main__":
    main()
