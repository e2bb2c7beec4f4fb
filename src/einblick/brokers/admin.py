"""The Django admin is for operators (superusers) only; brokers work in the staff UI."""

from django.contrib import admin

from einblick.brokers.models import ApiToken, Broker, StaffMember, TariffAccount


@admin.register(Broker)
class BrokerAdmin(admin.ModelAdmin):
    list_display = ("slug", "name", "created_at")
    search_fields = ("slug", "name")


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ("external_id", "name", "role", "broker")
    list_filter = ("broker", "role")


@admin.register(TariffAccount)
class TariffAccountAdmin(admin.ModelAdmin):
    list_display = ("external_id", "name", "broker")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "broker", "read_only", "created_at", "last_used_at", "revoked_at")
    exclude = ("key_hash",)
    readonly_fields = ("prefix", "created_at", "last_used_at")

    def has_add_permission(self, request):
        return False  # tokens are created with `einblick token create`, which shows them once
