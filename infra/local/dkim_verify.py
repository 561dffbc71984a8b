"""Verifies a DKIM signature with dkimpy, an implementation independent of the signer.

Usage: dkim_verify.py SELECTOR DOMAIN PUBLIC_KEY_B64 < message
The DNS lookup is answered with the given public key (SubjectPublicKeyInfo,
base64), exactly the TXT record Bookwarden tells operators to publish.
Exits 0 and prints "pass" when the signature verifies, 1 otherwise.
"""

import sys

import dkim


def main():
    selector, domain, public_key = sys.argv[1], sys.argv[2], sys.argv[3]
    record_name = f"{selector}._domainkey.{domain}."
    record = f"v=DKIM1; k=rsa; p={public_key}".encode()

    def dns(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        return record if name.rstrip(".") + "." == record_name else None

    message = sys.stdin.buffer.read()
    ok = dkim.verify(message, dnsfunc=dns)
    print("pass" if ok else "fail")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
