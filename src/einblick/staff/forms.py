"""The forms of the settings tabs: German messages for what a form can judge itself; everything else is
judged by the services, whose refusals `errors.to_form` puts next to the field they name."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext_lazy as _

from einblick.brokers.models import StaffRole
from einblick.portfolio.models import LineGroup
from einblick.text import is_email, without_invisible

COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _http(url: str) -> str:
    """Django's URLField also takes ftp:// and friends; the portal only calls http(s) addresses."""
    if not url.startswith(("https://", "http://")):
        raise ValidationError(_("Enter an http or https address."))
    return url


class TariffAccountForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    url = forms.URLField(
        label=_("URL template"),
        max_length=2000,
        assume_scheme="https",
        help_text=_(
            "The calculator's address. {account} is replaced by the account, {line} by the line's code."
        ),
    )

    def clean_url(self) -> str:
        url = _http(self.cleaned_data["url"])
        if set(PLACEHOLDER.findall(url)) - {"account", "line"}:
            raise ValidationError(_("Only {account} and {line} can be replaced."))
        return url


class StaffForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("E-mail address"), max_length=254)

    def clean_email(self) -> str:
        value: str = self.cleaned_data["email"]
        if not is_email(value):
            raise ValidationError(EmailValidator.message)  # Django's own words, translated
        return value

    def clean_name(self) -> str:
        return without_invisible(self.cleaned_data["name"]).strip()

    phone = forms.CharField(label=_("Phone"), max_length=64, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=StaffRole.choices, initial=StaffRole.USER)


class StaffEditForm(StaffForm):
    email = None  # type: ignore[assignment]  # the address is who they are: it is not changed here


class LineForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=200)
    group = forms.ChoiceField(label=_("Group"), choices=LineGroup.choices)


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    read_only = forms.BooleanField(label=_("Read-only"), required=False)


class WebhookForm(forms.Form):
    url = forms.URLField(label=_("Webhook URL"), max_length=500, required=False, assume_scheme="https")

    def clean_url(self) -> str:
        return _http(self.cleaned_data["url"]) if self.cleaned_data["url"] else ""


class AppearanceForm(forms.Form):
    name = forms.CharField(
        label=_("Broker name"),
        max_length=200,
        help_text=_("Shown on every page and as the sender of every e-mail; unique on this installation."),
    )
    reply_to = forms.EmailField(
        label=_("Reply address"),
        max_length=254,
        required=False,
        help_text=_(
            "The office's e-mail address: replies to the portal's e-mails go there. Empty: no replies."
        ),
    )
    brand_color = forms.CharField(
        label=_("Main colour"), max_length=7, widget=forms.TextInput(attrs={"type": "color"})
    )
    accent_color = forms.CharField(
        label=_("Accent colour"), max_length=7, widget=forms.TextInput(attrs={"type": "color"})
    )

    def _colour(self, name: str) -> str:
        value: str = self.cleaned_data[name]
        if not COLOUR.fullmatch(value):
            raise ValidationError(_("Enter a colour as #rrggbb."))
        return value.lower()

    def clean_brand_color(self) -> str:
        return self._colour("brand_color")

    def clean_accent_color(self) -> str:
        return self._colour("accent_color")


class LogoForm(forms.Form):
    logo = forms.FileField(
        label=_("Logo"),
        help_text=_("PNG or JPEG, at most 512 KB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
