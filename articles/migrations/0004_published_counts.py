"""Tag.published_count: links to articles of status published (scheduled ones included), kept by
articles.services.tag_counts_refresh from now on, and filled here for the existing tags."""

from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill_tag_counts(apps, schema_editor):
    Tag = apps.get_model("articles", "Tag")
    ArticleTag = apps.get_model("articles", "ArticleTag")
    published = (
        ArticleTag.objects.filter(tag=OuterRef("pk"), article__status="published")
        .order_by()
        .values("tag")
        .annotate(n=Count("*"))
        .values("n")
    )
    Tag.objects.update(published_count=Coalesce(Subquery(published), 0))


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0003_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='tag',
            name='published_count',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.RunPython(fill_tag_counts, migrations.RunPython.noop, elidable=True),
    ]
