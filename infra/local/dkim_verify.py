"""Verifies a DKIM signature with dkimpy, an implementation independent of the signer.

Usage: dkim_verify.py SELECTOR DOMAIN PUBLIC_KEY_B64 [--now UNIX_SECONDS] < message
The DNS lookup is answered with the given public key (SubjectPublicKeyInfo,
base64), exactly the TXT record Bookwarden tells operators to publish.
--now sets the clock dkimpy checks t= and x= against (it otherwise reads the
system clock), so a test can verify a message as it would be verified later.
Exits 0 and prints "pass" when the signature verifies, 1 otherwise.
"""

import argparse
import sys
import types

import dkim


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("selector")
    parser.add_argument("domain")
    parser.add_argument("public_key")
    parser.add_argument("--now", type=int)
    args = parser.parse_args()
    record_name = f"{args.selector}._domainkey.{args.domain}."
    record = f"v=DKIM1; k=rsa; p={args.public_key}".encode()

    if args.now is not None:
        # dkimpy reads time.time() through its module's `time` name.
        dkim.time = types.SimpleNamespace(time=lambda: float(args.now))

    def dns(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        return record if name.rstrip(".") + "." == record_name else None

    message = sys.stdin.buffer.read()
    ok = dkim.verify(message, dnsfunc=dns)
    print("pass" if ok else "fail")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
