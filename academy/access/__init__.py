"""Who may do what: login throttles, token revocation stamps, client addresses, the role matrix.

Like `progress`, this is infrastructure and may talk to Redis; domain apps call its functions.
"""
