"""Text that enters from outside (the AMS, the office, the portal): e-mail addresses checked strictly,
and the characters that reorder or hide what people read taken out where they have no business.

Bidi controls (U+202A–U+202E, U+2066–U+2069, U+061C, U+200E/F) and invisible characters (zero-width
space and joiners, word joiner, BOM) let "Rechnung‮fdp.exe" or a reversed policy number show something
else than what is stored. Names, numbers, subjects and addresses never need them: they are removed on
input. Free text (message bodies) keeps them, and the pages isolate every value (site.css:
unicode-bidi: isolate), so that it cannot reorder its neighbours."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

INVISIBLE = re.compile("[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
MAX_EMAIL = 254

# The addresses the API takes, as its OpenAPI document states them (issue 15): a dot-atom local part,
# up to four labels and a letters-only top-level domain. A label is either ASCII (up to 63 characters)
# or, for German IDN domains such as müller-versicherung.de, up to 20 Latin letters (with umlauts and
# accents), short enough that its IDNA form stays within 63 characters. Every address of this pattern
# (within MAX_EMAIL) passes is_email (tests/test_text.py checks it with generated addresses), so that
# no request the document allows is refused. Pages and forms ask is_email alone.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
# Latin letters that IDNA takes as they are: not ß, ĳ, ŀ, ŉ, ſ (IDNA 2003 maps them to other letters,
# so the mail would go to another domain) and not İ (its lower case has a combining dot).
_LATIN = "A-Za-z0-9\u00c0-\u00d6\u00d8-\u00de\u00e0-\u00f6\u00f8-\u012f\u0131\u0134-\u013e\u0141-\u0148\u014a-\u017e"
# Hyphens only between letters, one at a time: no "xn--" start, which IDNA refuses on such a label.
_LABEL = rf"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?|[{_LATIN}](?:-?[{_LATIN}]){{0,18}})"
EMAIL_PATTERN = rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.){{1,4}}[A-Za-z]{{2,63}}$"


def without_invisible(value: str) -> str:
    return INVISIBLE.sub("", value) if INVISIBLE.search(value) else value


def is_email(value: object) -> bool:
    """A plain address as mail servers take it: dot-atom local part (no quoted forms), a domain that
    IDNA can encode, no control, format, private-use or unassigned characters, at most 254
    characters. Everything that can send or store an address asks this (issue 15: one answered 500,
    and stored the member)."""
    if not isinstance(value, str) or not value or len(value) > MAX_EMAIL:
        return False
    if any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp", "Zs") for c in value):
        return False
    local, _, domain = value.rpartition("@")
    if not local or local.startswith('"'):
        return False
    try:
        # A domain that IDNA changes (straße.de becomes strasse.de) would receive another's mail.
        if domain.encode("idna").decode("idna").lower() != domain.lower():
            return False
        validate_email(value)
    except (UnicodeError, ValidationError):
        return False
    return True


def clean_file_name(name: str) -> str:
    """A sender's file name as a safe display name: no directories, no control or separator
    characters, at most 120 characters (the extension kept). Uploads in the portal and the AMS's
    documents are named with it; the file on disk never is."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = re.sub(r'[<>:"|?*\s]+', " ", name).strip(" .")
    stem, dot, ext = name.rpartition(".")
    if dot and len(ext) <= 10:
        return (stem[: 119 - len(ext)].strip() or "datei") + "." + ext
    return name[:120] or "datei"
