"""One-time activation codes of accounts created without a password (the roster import).

A code is 80 random bits written as 16 Crockford base-32 characters in groups of four. Only
its SHA-256 is stored: with that much entropy a slow password hash adds nothing, and the
import, which makes thousands of accounts at once, stays fast (PBKDF2 costs 0.3-0.9 s each).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U to misread
CODE_BYTES = 10  # 80 bits
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
# base32 writes 5 bits a character, as the code does: map RFC 4648's alphabet onto Crockford's.
_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", ALPHABET.encode())
CODE_CHARS = CODE_BYTES * 8 // 5  # 16
CODE_PRINTED_LENGTH = CODE_CHARS + CODE_CHARS // 4 - 1  # "XXXX-XXXX-XXXX-XXXX"


def activation_code_new() -> tuple[str, str]:
    """Return a fresh code (as printed for staff) and the hash to store."""
    return activation_codes_new(1)[0]


def activation_codes_new(count: int) -> list[tuple[str, str]]:
    """Return `count` fresh (code, hash) pairs; an import makes thousands at once."""
    # One base32 pass over all the random bytes: 10 bytes become exactly 16 characters, so
    # each code is its own slice. The alphabet has no I, L or O, so a fresh code is already
    # in normalised form and its hash is the SHA-256 of its characters.
    text = base64.b32encode(secrets.token_bytes(CODE_BYTES * count)).translate(_CROCKFORD)
    sha256 = hashlib.sha256
    codes = []
    for start in range(0, CODE_CHARS * count, CODE_CHARS):
        raw = text[start:start + CODE_CHARS]
        code = raw.decode()
        codes.append((f"{code[:4]}-{code[4:8]}-{code[8:12]}-{code[12:]}", sha256(raw).hexdigest()))
    return codes


def activation_code_normalize(code: str) -> str:
    """Return the code as hashed: upper case, no separators, look-alike letters read as digits."""
    return "".join(c for c in code.upper() if c.isalnum()).translate(_READ_AS)


def activation_code_hash(code: str) -> str:
    return hashlib.sha256(activation_code_normalize(code).encode()).hexdigest()


def activation_code_matches(code: str, stored_hash: str) -> bool:
    """Compare in constant time; an account without a code matches nothing."""
    return bool(stored_hash) and hmac.compare_digest(activation_code_hash(code), stored_hash)
