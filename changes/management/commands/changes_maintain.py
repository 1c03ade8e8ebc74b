"""`manage.py changes_maintain`: start the change feed's maintenance (changes.tasks.maintain),
which the worker (`manage.py db_worker`) then runs every CHANGES_MAINTENANCE_SECONDS: it
announces public articles no change announced yet and prunes past CHANGES_RETENTION_DAYS.
Safe to run at every deploy: it enqueues nothing when a run is already waiting. `--now` runs
one pass here instead, without the worker."""

from django.core.management.base import BaseCommand

from changes.tasks import catch_up, prune, schedule_maintenance


class Command(BaseCommand):
    help = "Start (or run once, --now) the change feed's catch-up and pruning."

    def add_arguments(self, parser):
        parser.add_argument("--now", action="store_true", help="Run one pass here and now.")

    def handle(self, *args, now=False, **options):
        if now:
            announced = catch_up()
            pruned = prune()
            self.stdout.write(f"Announced {announced} articles; pruned {pruned} changes.")
            return
        if schedule_maintenance(delay=0):
            self.stdout.write("Enqueued the change feed's maintenance: run `manage.py db_worker`.")
        else:
            self.stdout.write("The change feed's maintenance is enqueued already.")
