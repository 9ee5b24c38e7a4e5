"""One-time activation codes of accounts created without a password (the roster import).

A code is 80 random bits written as 16 Crockford base-32 characters in groups of four. Only
its SHA-256 is stored: with that much entropy a slow password hash adds nothing, and the
import, which makes thousands of accounts at once, stays fast (PBKDF2 costs 0.3-0.9 s each).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U to misread
CODE_BYTES = 10  # 80 bits
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def activation_code_new() -> tuple[str, str]:
    """Return a fresh code (as printed for staff) and the hash to store."""
    value = int.from_bytes(secrets.token_bytes(CODE_BYTES), "big")
    chars = []
    for _ in range(CODE_BYTES * 8 // 5):
        value, index = divmod(value, 32)
        chars.append(ALPHABET[index])
    code = "".join(chars)
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4)), activation_code_hash(code)


def activation_code_normalize(code: str) -> str:
    """Return the code as hashed: upper case, no separators, look-alike letters read as digits."""
    return "".join(c for c in code.upper() if c.isalnum()).translate(_READ_AS)


def activation_code_hash(code: str) -> str:
    return hashlib.sha256(activation_code_normalize(code).encode()).hexdigest()


def activation_code_matches(code: str, stored_hash: str) -> bool:
    """Compare in constant time; an account without a code matches nothing."""
    return bool(stored_hash) and hmac.compare_digest(activation_code_hash(code), stored_hash)
