"""Every account's address is verified (accounts/addresses.py, issue 15): accounts without an allauth
address record, or with an unverified one (a password reset requested for them made it), get their
own address as their one verified, primary record."""

from django.db import migrations


def verify_all(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    for user in User.objects.all().iterator():
        EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).update(primary=False)
        record = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
        if record is None:
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        elif not (record.verified and record.primary):
            EmailAddress.objects.filter(pk=record.pk).update(verified=True, primary=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_refusal"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(verify_all, migrations.RunPython.noop)]
