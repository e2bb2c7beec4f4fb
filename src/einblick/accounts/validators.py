"""Password rules beyond Django's own (settings.AUTH_PASSWORD_VALIDATORS)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class MaximumLengthValidator:
    """Long passphrases are welcome; the cap only keeps hashing cheap (ASVS asks for at least 128)."""

    def __init__(self, max_length: int = 512) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                ngettext(
                    "This password is too long. It must contain at most %(max_length)d character.",
                    "This password is too long. It must contain at most %(max_length)d characters.",
                    self.max_length,
                ),
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return ngettext(
            "Your password can have up to %(max_length)d character.",
            "Your password can have up to %(max_length)d characters.",
            self.max_length,
        ) % {"max_length": self.max_length}


def _squash(text: str) -> str:
    return re.sub(r"[^0-9a-zäöüß]", "", text.lower())


class ContextWordsValidator:
    """No password built on the product's name or on the name of a broker the user belongs to."""

    MIN_WORD = 4

    def validate(self, password: str, user: Any = None) -> None:
        squashed = _squash(password)
        for word in self.words(user):
            if len(word) >= self.MIN_WORD and word in squashed:
                raise ValidationError(
                    _("The password must not contain the name of the portal or of your broker."),
                    code="password_context_word",
                )

    @staticmethod
    def words(user: Any) -> set[str]:
        from einblick.accounts.roles import brokers_of  # the validator is imported with the settings

        words = {_squash(word) for word in settings.EINBLICK_CONTEXT_WORDS}
        email = getattr(user, "email", "") or ""
        if email:
            for name, slug in brokers_of(email).values_list("name", "slug"):
                words.add(_squash(slug))
                words.update(_squash(part) for part in re.split(r"[\s\-&.,]+", name))
                words.add(_squash(name))
        generic = {"gmbh", "mbh", "gbr", "ohg", "ug", "und", "versicherungsmakler", "makler"}
        return {word for word in words if word and word not in generic}

    def get_help_text(self) -> str:
        return _("Your password must not contain the name of the portal or of your broker.")
