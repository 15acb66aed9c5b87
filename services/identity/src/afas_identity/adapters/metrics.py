"""Login failures and lockouts, for the security dashboard and its alerts; the signing key's age, for the rotation
alert.

Counted where they happen (``application.sessions``); labels are fixed words, never the identifier or the address
(which the throttle rows hold, and which would make one series per person). The signing key is read from the
database (``application.signing_keys``), so every replica reports the same moment: alerts take ``max``.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Counter, Gauge

LOGIN_FAILURES = Counter(
    "afas_login_failures_total",
    "Refused logins: wrong identifier or password (wrong_credentials), or attempted while locked (locked)",
    ["reason"],
)
LOCKOUTS = Counter(
    "afas_login_lockouts_total",
    "Lockouts started: an identifier (account), an identifier from one address (pair) or an address (address)",
    ["scope"],
)
SCOPES = {"id": "account", "pair": "pair", "ip": "address"}
SIGNING_KEY_CREATED = Gauge(
    "afas_signing_key_created_timestamp_seconds",
    "When the session tokens' active signing key was made (Unix time): its age is the time since the last rotation",
)


def count_lockout(key: str, locked_before: datetime | None, locked_until: datetime | None, now: datetime) -> None:
    """One lockout when a failure locks a throttle key that was not locked already."""
    if locked_until is not None and locked_until > now and (locked_before is None or locked_before <= now):
        LOCKOUTS.labels(SCOPES.get(key.split(":", 1)[0], "other")).inc()
