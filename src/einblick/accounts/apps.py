from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "einblick.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_save

        from einblick.accounts import addresses, audit
        from einblick.accounts.middleware import stamp_login
        from einblick.accounts.models import User

        audit.connect()
        user_logged_in.connect(stamp_login, dispatch_uid="einblick.session.stamp_login")
        post_save.connect(
            addresses.on_user_saved, sender=User, dispatch_uid="einblick.accounts.verify_address"
        )
