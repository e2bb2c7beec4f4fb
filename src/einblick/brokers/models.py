"""The tenant (broker), its staff members, tariff accounts and API tokens."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

# The AMS's own keys (api-v1.md "Conventions"): 1–64 characters of A-Z a-z 0-9 . _ : -
# The pattern is for pydantic and OpenAPI (where $ ends the text); Python code uses is_external_id(),
# because Python's $ also matches before a final newline.
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
_EXTERNAL_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
external_id_validator = RegexValidator(
    r"^[A-Za-z0-9._:-]{1,64}\Z", _("1–64 characters of A-Z a-z 0-9 . _ : -")
)


def is_external_id(value: object) -> bool:
    return isinstance(value, str) and _EXTERNAL_ID.fullmatch(value) is not None


# Letters of other scripts that look like Latin ones (after case folding), and Latin letters and digits
# that look like each other: a name written with them is the same name to a reader. If this changes,
# a migration must compute every broker's name_key anew (brokers.0008 holds a copy).
_LOOKALIKES = str.maketrans(
    {
        **dict(zip("авекмнорстухѕіјһԁԛԝѵӏ", "abekmhopctyxsijhdqwvl", strict=True)),  # Cyrillic
        **dict(zip("αβεικνορτυχζημ", "abeiknoptuxzhm", strict=True)),  # Greek
        **dict(zip("ıȷɡɑ01|", "ijgaoll", strict=True)),  # Latin and digits
    }
)
_LOOKALIKE_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("l", "i"))
# Characters that show as nothing or as a blank without being a space.
_BLANKS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e"}
# Scripts that legitimately mix in one name.
_SCRIPT_GROUPS = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "HANGUL": "CJK"}
NAME_KEY_LENGTH = 200


def name_key(name: str) -> str:
    """What makes two broker names the same name to a reader (domain.md §3, consent): Unicode
    compatibility forms, invisible characters, case, letters that look alike, and spaces."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cc", "Mn") and c not in _BLANKS)
    text = text.casefold().translate(_LOOKALIKES)
    for pair, single in _LOOKALIKE_PAIRS:
        text = text.replace(pair, single)
    return " ".join(text.split())


def name_problem(name: str) -> str | None:
    """Why a broker name cannot be used as it is typed, or None: characters that are invisible or
    control the display (a right-to-left override shows "GmbH Makler" backwards), blanks that are no
    space, letters of more than one script (a Cyrillic "М" among Latin letters), or a name too long."""
    for c in name:
        if unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp") or c in _BLANKS:
            return "invisible"
        if unicodedata.category(c) == "Zs" and c != " ":
            return "invisible"
    scripts = set()
    for c in unicodedata.normalize("NFKC", name):
        if unicodedata.category(c).startswith("L"):
            script = unicodedata.name(c, "UNKNOWN").split(" ")[0]
            scripts.add(_SCRIPT_GROUPS.get(script, script))
    if len(scripts) > 1:
        return "scripts"
    if len(name_key(name)) > NAME_KEY_LENGTH:
        return "length"
    return None


NAME_PROBLEMS = {
    "invisible": _("The name must not contain invisible characters, control characters or special blanks."),
    "scripts": _("The name must be written in one script (for example only Latin letters)."),
    "length": _("The name is too long."),
}


class Broker(models.Model):
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    # name_key(name), kept by save(): no two brokers of an installation carry the same name.
    name_key = models.CharField(max_length=NAME_KEY_LENGTH, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Erscheinungsbild (edited in the broker settings, issue 7); empty: Einblick's colours.
    brand_color = models.CharField(
        _("main colour"), max_length=7, blank=True, validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$")]
    )
    accent_color = models.CharField(
        _("accent colour"), max_length=7, blank=True, validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$")]
    )
    # The office's address: the Reply-To of the portal's e-mails (which come from EMAIL_FROM with the
    # broker's name as the sender's name); empty: replies are not expected.
    reply_to = models.EmailField(_("reply address"), max_length=254, blank=True)
    portal_mfa_required = models.BooleanField(
        _("second factor required for portal users"),
        default=False,
        help_text=_("Staff always need a second factor; this makes it mandatory for portal users too."),
    )
    # The logo's media type ("" without a logo) and when it last changed (in its URL, so that browsers
    # fetch a new one at once); the picture itself is a BrokerLogo, loaded only by its own URL.
    logo_type = models.CharField(max_length=20, blank=True, editable=False)
    logo_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Optional: an address of the AMS that is told (signed POST) of every new process.
    webhook_url = models.URLField(_("webhook URL"), max_length=500, blank=True)
    webhook_secret = models.CharField(max_length=64, blank=True, editable=False)
    # A new random value with every write that can change what one of the broker's grants shows
    # (portfolio imports and deletes, grant writes; brokers.services.data_changed). Caches of what a
    # grant shows are keyed by it, so a change is visible at the next request. Written only by that
    # UPDATE (see save()).
    data_version = models.CharField(max_length=32, blank=True, editable=False)

    class Meta:
        verbose_name = _("broker")
        verbose_name_plural = _("brokers")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Never writes data_version back: a form that loaded the broker before an import must not set
        it back (the old value could find an old cache entry)."""
        self.name_key = name_key(self.name)
        if self.pk is not None and not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields if not f.primary_key and f.name != "data_version"
            ]
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.name and name_problem(self.name):
            raise ValidationError({"name": NAME_PROBLEMS[name_problem(self.name) or ""]})
        taken = Broker.objects.filter(name_key=name_key(self.name)).exclude(pk=self.pk)
        if self.name and taken.exists():
            raise ValidationError({"name": _("Another broker on this installation has this name already.")})

    @property
    def isolated_name(self) -> str:
        """The name between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE, for the sentences of
        e-mails: a name in Hebrew or Arabic script keeps its own direction without reordering the German
        words around it (pages isolate every value with CSS, issue 15)."""
        return f"\u2068{self.name}\u2069"


class BrokerLogo(models.Model):
    """The broker's logo (PNG or JPEG, checked by content; brokers/logo.py), stored in the database
    so that it is backed up with everything else and never served from a web root."""

    broker = models.OneToOneField(Broker, on_delete=models.CASCADE, primary_key=True, related_name="logo")
    content = models.BinaryField()

    class Meta:
        verbose_name = _("logo")
        verbose_name_plural = _("logos")

    def __str__(self) -> str:
        return f"{self.broker_id}: {len(self.content)} bytes"


class Synced(models.Model):
    """A row the AMS owns: scoped to a broker and keyed by the AMS's external id."""

    broker = models.ForeignKey(Broker, on_delete=models.CASCADE, related_name="+")
    external_id = models.CharField(_("external id"), max_length=64, validators=[external_id_validator])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The fingerprint of the AMS's object as last imported, so that a re-sent unchanged object costs
    # no validation. Every write that does not come from the import must reset it to "".
    sync_hash = models.CharField(max_length=32, blank=True, default="", editable=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.external_id


class StaffRole(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    USER = "user", _("User")
    NONE = "none", _("No access")


# The roles that carry a login (the office, the inbox, being a grant's clerk); `none` is a record only.
LOGIN_ROLES = (StaffRole.ADMIN, StaffRole.USER)


class StaffMember(Synced):
    broker = models.ForeignKey(Broker, on_delete=models.CASCADE, related_name="staff", db_index=False)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"), max_length=254)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    role = models.CharField(_("role"), max_length=8, choices=StaffRole.choices, default=StaffRole.USER)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        constraints = [
            models.UniqueConstraint(fields=["broker", "external_id"], name="staff_unique_external_id"),
            models.CheckConstraint(condition=models.Q(role__in=StaffRole.values), name="staff_role_valid"),
        ]


class TariffAccount(Synced):
    """An account at a tariff calculator (the seed's con:center accounts)."""

    broker = models.ForeignKey(
        Broker, on_delete=models.CASCADE, related_name="tariff_accounts", db_index=False
    )
    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("URL"), max_length=2000)

    class Meta:
        verbose_name = _("tariff account")
        verbose_name_plural = _("tariff accounts")
        constraints = [
            models.UniqueConstraint(
                fields=["broker", "external_id"], name="tariff_account_unique_external_id"
            ),
        ]


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token of one broker. Only the SHA-256 of the token is stored."""

    broker = models.ForeignKey(Broker, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(
        _("prefix"), max_length=12, help_text=_("The first characters, to recognise it.")
    )
    key_hash = models.CharField(max_length=64, unique=True)
    read_only = models.BooleanField(_("read-only"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
