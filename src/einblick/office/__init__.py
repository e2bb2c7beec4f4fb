"""The office's use cases: writes that span several domain apps.

The domain apps stand in one order (README, Architecture; import-linter keeps it): errors, audit,
brokers, portfolio, grants, accounts, processes. A write that must touch an app above its own, such as
creating a broker with the line catalogue, sharing a grant with a person (membership and invitation)
or changing a staff member's role (staff, invitations and the grants they were clerk of), lives here,
above all of them, and the interfaces (api, portal, staff) and the command line call it."""
