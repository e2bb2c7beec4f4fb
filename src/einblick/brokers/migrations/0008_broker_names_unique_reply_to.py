"""Broker names are unique on the installation, compared as a reader sees them (domain.md §3,
consent between brokers; docs/2026-12-05-consent-between-brokers.md). Existing brokers that carry the
same name keep the first one's name; the others get their slug appended, which the office can change.

The free e-mail sender name goes: mails name the broker by its (unique) name. The office gains a
reply address (Reply-To)."""

import unicodedata

from django.db import migrations, models

_LOOKALIKES = str.maketrans(
    {
        **dict(zip("авекмнорстухѕіјһԁԛԝѵӏ", "abekmhopctyxsijhdqwvl", strict=True)),
        **dict(zip("αβεικνορτυχζημ", "abeiknoptuxzhm", strict=True)),
        **dict(zip("ıȷɡɑ01|", "ijgaoll", strict=True)),
    }
)
_LOOKALIKE_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"), ("l", "i"))
_BLANKS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u180e"}


def name_key(name):
    # a copy of brokers.models.name_key as of this migration (migrations do not import models)
    text = unicodedata.normalize("NFKC", name)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cc", "Mn") and c not in _BLANKS)
    text = text.casefold().translate(_LOOKALIKES)
    for pair, single in _LOOKALIKE_PAIRS:
        text = text.replace(pair, single)
    return " ".join(text.split())[:200]


def fill_keys(apps, schema_editor):
    Broker = apps.get_model("brokers", "Broker")
    taken = set()
    for broker in Broker.objects.order_by("pk"):
        name = " ".join(broker.name.split()) or broker.slug
        key = name_key(name)
        if key in taken:
            name = f"{name} ({broker.slug})"[:200]
            key = name_key(name)
        n = 2
        while key in taken:
            name = f"{broker.name[:180]} ({broker.slug} {n})"
            key, n = name_key(name), n + 1
        taken.add(key)
        Broker.objects.filter(pk=broker.pk).update(name=name, name_key=key)


class Migration(migrations.Migration):
    dependencies = [
        ("brokers", "0007_broker_mail_sender_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="broker",
            name="name_key",
            field=models.CharField(default="", editable=False, max_length=200),
            preserve_default=False,
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="broker",
            name="name_key",
            field=models.CharField(editable=False, max_length=200, unique=True),
        ),
        migrations.RemoveField(model_name="broker", name="mail_sender_name"),
        migrations.AddField(
            model_name="broker",
            name="reply_to",
            field=models.EmailField(blank=True, max_length=254, verbose_name="reply address"),
        ),
    ]
