from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "einblick.accounts"
    label = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from einblick.accounts import audit
        from einblick.accounts.middleware import stamp_login

        audit.connect()
        user_logged_in.connect(stamp_login, dispatch_uid="einblick.session.stamp_login")
