"""Consent between brokers (domain.md §3; docs/2026-12-05-consent-between-brokers.md).

What was linked before consent existed counts as accepted: every active grant membership, and every
staff member with a login role whose address has an account (then with `staff`), gives a Consent for
that broker, dated when the link began (joined_at; the staff row's created_at). Open invitations stay
open and are answered the new way. Operators should look through each broker's staff after the
upgrade: a staff row another broker set up for somebody else's address before this change counts as
accepted too (docs/2026-12-05-consent-between-brokers.md)."""

import django.db.models.deletion
from django.db.models.functions import Lower
from django.utils import timezone
from django.db import migrations, models


def existing_links_accepted(apps, schema_editor):
    Consent = apps.get_model("accounts", "Consent")
    GrantMember = apps.get_model("grants", "GrantMember")
    StaffMember = apps.get_model("brokers", "StaffMember")
    User = apps.get_model("accounts", "User")
    links = {}  # (broker, address) → (since, staff)
    for broker_id, email, since in GrantMember.objects.filter(state="active").values_list(
        "grant__broker_id", "email", "joined_at"
    ):
        key = (broker_id, email.lower())
        dates = [d for d in (links.get(key, (None, False))[0], since) if d is not None]
        links[key] = (min(dates) if dates else None, False)
    accounts = set(User.objects.annotate(address=Lower("email")).values_list("address", flat=True))
    for broker_id, email, since in StaffMember.objects.filter(role__in=["admin", "user"]).values_list(
        "broker_id", "email", "created_at"
    ):
        key = (broker_id, email.lower())
        if email.lower() in accounts:
            links[key] = (links.get(key, (since, True))[0] or since, True)
    now = timezone.now()
    Consent.objects.bulk_create(
        [
            Consent(broker_id=b, email=e, accepted_at=since or now, staff=staff)
            for (b, e), (since, staff) in links.items()
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_staff_invitations'),
        ('brokers', '0008_broker_names_unique_reply_to'),
        ('grants', '0002_member_declined'),
    ]

    operations = [
        migrations.CreateModel(
            name='Consent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('email', models.EmailField(max_length=254, verbose_name='e-mail')),
                ('accepted_at', models.DateTimeField(verbose_name='accepted at')),
                ('staff', models.BooleanField(default=False, verbose_name='staff role accepted')),
                ('broker', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='consents', to='brokers.broker')),
            ],
            options={
                'verbose_name': 'consent',
                'verbose_name_plural': 'consents',
                'constraints': [models.UniqueConstraint(fields=('email', 'broker'), name='consent_unique')],
            },
        ),
        migrations.RunPython(existing_links_accepted, migrations.RunPython.noop),
    ]
