from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def fill_comment_count(apps, schema_editor):
    """Count each article's visible comments, as the comment services now keep counting them."""
    Article = apps.get_model("articles", "Article")
    Comment = apps.get_model("comments", "Comment")
    visible = (
        Comment.objects.filter(article=OuterRef("pk"), status="visible")
        .order_by()
        .values("article")
        .annotate(n=Count("*"))
        .values("n")
    )
    Article.objects.update(comment_count=Coalesce(Subquery(visible), Value(0)))


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0004_published_counts"),
        ("comments", "0002_thread_order"),
    ]

    operations = [
        migrations.AddField(
            model_name="article",
            name="comment_count",
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.RunPython(fill_comment_count, migrations.RunPython.noop, elidable=True),
    ]
