"""E-mail over SMTP (standard library, run in a worker thread): plain connection, STARTTLS or implicit TLS."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage


class PermanentFailure(Exception):
    """The server refused the message for good (5xx): retrying would not help."""


class SmtpMailer:
    def __init__(self, settings) -> None:
        self.host = settings.smtp_host
        self.port = settings.smtp_port
        self.tls = settings.smtp_tls
        self.username = settings.smtp_username
        self.password = settings.smtp_password
        self.timeout = settings.smtp_timeout_seconds
        # Built once: loading the system's CA bundle costs tens of ms of CPU, which was most of notification's CPU
        # per mail at the deadline (issue 16's profile). None on a plain connection, which needs none.
        self._context = ssl.create_default_context() if self.tls in ("tls", "starttls") else None

    def send(self, message: EmailMessage) -> None:
        """Deliver one message to the server; raises PermanentFailure on a 5xx, anything else on a transient error."""
        context = self._context
        try:
            if self.tls == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.tls == "starttls":
                    client.starttls(context=context)
                if self.username:
                    client.login(self.username, self.password or "")
                client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(code >= 500 for code in codes):
                raise PermanentFailure(f"destinataire refusé : {exc.recipients}") from exc
            raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPAuthenticationError):
                raise PermanentFailure(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise
