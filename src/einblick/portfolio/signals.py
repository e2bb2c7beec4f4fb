"""What the import tells the apps built on the portfolio.

The portfolio sits below grants and processes and imports neither: where a change of the AMS's data
matters to them, the import sends one of these signals and they connect a service to it in their
AppConfig.ready(). Receivers run inside the import's transaction, so an error in one rolls the batch
back; they hold no rules of their own, they call a service."""

from __future__ import annotations

from django.dispatch import Signal

# Contracts whose customer changed, or whose customer's intermediary number changed (keyword
# `contract_pks`: a list of at most a chunk of primary keys): hand-picked contracts may have left the
# grants that picked them (visibility.md §2). Sent with the Contract model as sender.
contracts_regrouped = Signal()

# Claims the portal reported whose status the AMS changed (keywords `broker` and `changes`: a list of
# (external id, new status)). Sent with the Claim model as sender.
reported_claims_changed = Signal()
