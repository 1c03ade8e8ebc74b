from collections import Counter

from django.db import migrations, models

SEGMENT = 12  # comments.models.PATH_SEGMENT_LENGTH
BATCH = 5000


def fill_reply_count(apps, schema_editor):
    """Count the visible comments beneath each comment, as the comment services now keep
    counting them: each visible reply counts for every comment its `path` names above it."""
    Comment = apps.get_model("comments", "Comment")
    beneath = Counter()
    paths = Comment.objects.filter(status="visible", depth__gt=0).values_list("path", flat=True)
    for path in paths.iterator(chunk_size=BATCH):
        beneath.update(int(path[i : i + SEGMENT]) for i in range(0, len(path) - SEGMENT, SEGMENT))
    by_count = {}
    for pk, n in beneath.items():
        by_count.setdefault(n, []).append(pk)
    for n, pks in by_count.items():
        for start in range(0, len(pks), BATCH):
            Comment.objects.filter(pk__in=pks[start : start + BATCH]).update(reply_count=n)


class Migration(migrations.Migration):

    dependencies = [
        ("comments", "0002_thread_order"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="reply_count",
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.RunPython(fill_reply_count, migrations.RunPython.noop, elidable=True),
    ]
