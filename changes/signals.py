from django.dispatch import Signal

# Sent by changes.outbox inside the transaction that wrote them, with `changes` (the Change rows,
# saved). A receiver that acts outside the database defers it with transaction.on_commit().
changes_recorded = Signal()
