"""Notification's settings refuse what they cannot use, with a French reason naming the value."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from afas_notification.config import Settings


def test_caf_mailboxes_take_a_three_digit_caf_code_and_an_address():
    settings = Settings(caf_mailboxes={"080": "partenaires@caf-somme.example"})
    assert settings.caf_mailboxes == {"080": "partenaires@caf-somme.example"}
    for wrong, reason in (({"80": "a@b.example"}, "3 chiffres"), ({"080": "caf-somme.example"}, "adresse")):
        with pytest.raises(ValidationError, match=reason):
            Settings(caf_mailboxes=wrong)


def test_caf_mailboxes_are_read_from_json(monkeypatch):
    monkeypatch.setenv("AFAS_NOTIFICATION_CAF_MAILBOXES", '{"092": "afas@caf92.example"}')
    assert Settings().caf_mailboxes == {"092": "afas@caf92.example"}
