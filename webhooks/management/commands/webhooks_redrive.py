"""`manage.py webhooks_redrive`: queue one round of the webhooks' re-drive now (the worker
runs it): every endpoint with changes pending and no live worker on it is driven again.

With the database backend the rounds keep themselves going (webhooks.tasks.redrive); with a
broker's backend, run this from cron or the broker's scheduler (every minute, say), and once
when the workers start.
"""

from django.core.management.base import BaseCommand

from webhooks.tasks import redrive


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args, **options):
        result = redrive.enqueue()
        self.stdout.write(f"Queued the re-drive ({result.id}) on the {redrive.queue_name} queue.")
