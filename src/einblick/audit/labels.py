"""What the audit log's action codes mean, for the office's Protokoll tab. The codes stay the record
(they are what the API and the database hold); a code without a label is shown as it is."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTIONS: dict[str, Promise] = {
    "account.deleted": _("Account deleted"),
    "account.exported": _("Account data exported"),
    "account.invitation_accepted": _("Invitation accepted"),
    "account.invitation_declined": _("Invitation declined"),
    "account.login": _("Login"),
    "account.login_failed": _("Login failed"),
    "account.login_throttled": _("Login attempts throttled"),
    "account.logout": _("Logout"),
    "account.mfa_failed": _("Wrong second-factor code"),
    "account.mfa_added": _("Second factor added"),
    "account.mfa_removed": _("Second factor removed"),
    "account.mfa_reset": _("Recovery codes renewed"),
    "account.password_changed": _("Password changed"),
    "account.password_reset": _("Password reset"),
    "api_token.created": _("API token created"),
    "api_token.revoked": _("API token revoked"),
    "broker.appearance_changed": _("Appearance changed"),
    "broker.created": _("Broker created"),
    "broker.logo_removed": _("Logo removed"),
    "broker.logo_set": _("Logo uploaded"),
    "broker.webhook_removed": _("Webhook removed"),
    "broker.webhook_set": _("Webhook set"),
    "documents.content": _("Document file received"),
    "grant.copied": _("Grant copied"),
    "grant.created": _("Grant created"),
    "grant.deleted": _("Grant deleted"),
    "grant.invitation_resent": _("Invitation link sent again"),
    "grant.member_added": _("User added to a grant"),
    "grant.member_removed": _("User removed from a grant"),
    "grant.previewed": _("Grant previewed"),
    "grant.renamed": _("Grant renamed"),
    "grant.replaced": _("Grant changed"),
    "portfolio.import": _("Portfolio import"),
    "process.acknowledged": _("Process acknowledged by the AMS"),
    "process.answered": _("Process answered"),
    "process.closed": _("Process closed"),
    "process.created": _("Process created"),
    "process.started_by_office": _("Conversation started by the office"),
    "staff.clerk_removed": _("Clerk duty ended"),
    "staff.invitation_sent": _("Staff invitation sent"),
    "staff.notified": _("Staff member informed"),
    "staff.role_changed": _("Staff role changed"),
}
# The AMS's objects written one at a time (PUT, DELETE, and the office's tabs): "<section>.<outcome>".
SECTIONS: dict[str, Promise] = {
    "staff": _("Staff member"),
    "lines": _("Line of business"),
    "tariff_accounts": _("Tariff account"),
    "customers": _("Customer"),
    "contracts": _("Contract"),
    "claims": _("Claim"),
    "documents": _("Document"),
}
OUTCOMES: dict[str, Promise] = {
    "created": _("created"),
    "updated": _("changed"),
    "deleted": _("deleted"),
}


def action_label(code: str) -> str:
    if code in ACTIONS:
        return str(ACTIONS[code])
    section, _dot, outcome = code.partition(".")
    if section in SECTIONS and outcome in OUTCOMES:
        return f"{SECTIONS[section]} {OUTCOMES[outcome]}"
    return code
