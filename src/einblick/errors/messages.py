"""Every refusal a service speaks, in one catalogue (as pretix keeps its order errors).

Each entry is an English msgid marked for translation (lazy), with `%(name)s` placeholders. A service
raises `Invalid(GRANT_NOT_SAVED, [FieldError(loc, CUSTOMER_MISSING % {"id": ext})])`: the text is made
in the language that is active when it is raised — the user's in the office and the portal, English in
the API (its requests run in English, api-v1.md), so the AMS reads the same words it always has and the
German lives in locale/de. The import's own messages (`portfolio.importing`) speak only to the AMS and
stay English."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# Grants (grants.services)
GRANT_NOT_SAVED = _("The grant was not saved.")
GRANT_NOT_RENAMED = _("The grant was not renamed.")
GRANT_NAME_LENGTH = _("1 to 200 characters")
CUSTOMER_MISSING = _("customer %(id)s does not exist")
STATUS_OPTION_UNKNOWN = _("unknown status option; use %(options)s")
LINE_MISSING = _("line %(code)s is not in the catalogue")
CONTRACT_MISSING = _("contract %(id)s does not exist")
CONTRACT_OF_OTHER_CUSTOMER = _(
    "contract %(id)s belongs to a customer who is not in this grant; add the customer first"
)
TARIFF_ACCOUNT_MISSING = _("tariff account %(id)s does not exist")
STAFF_MISSING = _("staff member %(id)s does not exist")
CLERK_WITHOUT_LOGIN = _("the clerk must be a staff member with role admin or user")
EMAIL_INVALID = _("The e-mail address is not valid.")
EMAIL_FIELD = _("not a valid e-mail address")
MEMBER_JOINED = _("The member has joined already; there is no invitation to send again.")
PERSON_DECLINED = _(
    "The person declined an invitation of this broker lately; they are not asked again for now."
)
MEMBER_DECLINED = _(
    "The person declined the invitation. The broker can invite them again %(days)d days after the "
    "decline (remove them and share again)."
)

# Brokers and the office's settings (brokers.services, brokers.logo, office.brokers)
BROKER_SLUG_TAKEN = _("A broker with the slug %(slug)s exists already.")
BROKER_INVALID = _("The broker is invalid.")
TAKEN = _("taken")
BROKER_NAME_TAKEN = _(
    "Another broker on this installation is called “%(name)s” (or a name that looks the same); "
    "please choose another name."
)
NAME_TAKEN = _("another broker has this name")
WEBHOOK_INVALID = _("The webhook URL is invalid.")
HTTP_URL = _("an http or https URL")
LOGO_EMPTY = _("The logo is empty.")
FILE_EMPTY = _("the file is empty")
LOGO_TOO_LARGE = _("The logo is too large.")
LOGO_SIZE = _("at most %(limit)d KB, this one has %(size)d KB")
LOGO_NOT_IMAGE = _("The logo must be a PNG or JPEG image.")
NOT_PNG_OR_JPEG = _("not a PNG or JPEG image")
STAFF_EXISTS = _("This address is staff already.")
STAFF_EXISTS_FIELD = _("This address is a staff member already.")
STAFF_REMOVED = _("The staff member was removed meanwhile.")
REMOVED_MEANWHILE = _("Removed meanwhile.")
LAST_ADMIN = _("The last administrator cannot be removed.")
LAST_ADMIN_FIELD = _("The broker needs an administrator: make someone else administrator first.")
STAFF_WITHOUT_LOGIN = _("This staff member has no login.")
ROLE_WITHOUT_LOGIN = _("This role has no login.")
APPEARANCE_INVALID = _("The appearance is invalid.")

# Processes (processes.services, processes.claims, processes.files)
REQUEST_INVALID = _("The request is invalid.")
NOT_EMPTY = _("must not be empty")
AT_MOST_CHARACTERS = _("at most %(limit)d characters")
MESSAGE_NOT_SENT = _("The message was not sent.")
PROCESS_CLOSED = _("The process is closed.")
PROCESS_CLOSED_FIELD = _("closed; start a new message")
NOT_STAFF_OF_BROKER = _("not a staff member of this broker")
NOT_ACTIVE_MEMBER = _("not an active member of this grant")
CONVERSATION_NOT_STARTED = _("The conversation was not started.")
OTHER_REFERENCE = _("The process was acknowledged with another reference.")
ALREADY_REFERENCE = _("already %(reference)s")
CONTRACT_NOT_RECORDED = _("The contract was not recorded.")
OFFER_NOT_SENT = _("The request was not sent.")
NOT_A_LINE = _("not a line of this broker")
REPORT_INCOMPLETE = _("The report is not complete.")
REPORT_LOSS_MISSING = _("date, place and what happened are needed")
TOO_MANY_FILES = _("Too many files.")
AT_MOST_FILES = _("At most %(limit)d files, not %(count)d.")
FILES_TOO_LARGE = _("The files are too large.")
AT_MOST_MB = _("At most %(limit)d MB together; these have %(size)s MB.")
FILES_REFUSED = _("Some files were refused.")
FILE_NOT_ACCEPTED = _("%(name)s: not a JPEG, PNG, HEIC or PDF file.")
FILE_MISNAMED = _("%(name)s: the file is a %(kind)s, its name says otherwise. Please name it …%(ext)s.")
FILE_IS_EMPTY = _("%(name)s: the file is empty.")

# Webhook egress (issue 15)
WEBHOOK_NOT_ALLOWED = _("The webhook URL is not allowed.")
HTTPS_URL = _("an https URL")
HTTPS_ONLY = _("http is not allowed: this installation sends webhooks only over https")
URL_CREDENTIALS = _("no user name or password in the URL")
ADDRESS_NOT_PUBLIC = _("%(address)s is not a public internet address (%(kind)s)")
NAME_NOT_PUBLIC = _("%(host)s resolves to %(address)s, which is not a public internet address (%(kind)s)")
METADATA_SERVICE = _("%(host)s is a cloud provider's metadata service")
KIND_LOOPBACK = _("loopback")
KIND_PRIVATE = _("private network")
KIND_UNIQUE_LOCAL = _("unique local")
KIND_SHARED = _("shared address space")
KIND_LINK_LOCAL = _("link-local")
KIND_MULTICAST = _("multicast")
KIND_UNSPECIFIED = _("unspecified")
KIND_RESERVED = _("reserved")
KIND_SPECIAL = _("special purpose")
KIND_METADATA = _("cloud metadata service")

# API hardening (issue 15)
LAST_LOGIN_ADMIN = _("The broker must keep an administrator who can log in.")
LAST_LOGIN_ADMIN_FIELD = _(
    "the last administrator who can log in (who has accepted the staff role); make another staff "
    "member administrator first"
)

# Operations (issue 15)
DATABASE_BUSY = _("The database is busy with other writes; please retry in %(seconds)d seconds.")
