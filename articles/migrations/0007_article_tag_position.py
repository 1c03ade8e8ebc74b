"""ArticleTag.position: the editors' order of an article's tags, kept by articles.services from
now on. The existing links are numbered in the order the API showed them until now (the tag's
name, then its slug, as the database sorts them), so that no answer changes until an editor
orders an article's tags."""

from collections import defaultdict

from django.db import migrations, models

# Links renumbered per UPDATE: one `position = n WHERE id IN (...)` per position and batch,
# well under SQLite's limit on a statement's parameters.
BATCH = 5000


def number_links_by_name(apps, schema_editor):
    ArticleTag = apps.get_model("articles", "ArticleTag")
    db = schema_editor.connection.alias if schema_editor else "default"
    links = (
        ArticleTag.objects.using(db)
        .order_by("article_id", "tag__name", "tag__slug", "tag_id")
        .values_list("pk", "article_id")
    )
    # The ids of the links that go at each position; 0, the column's default, needs no write.
    at: defaultdict[int, list[int]] = defaultdict(list)
    article, position = None, 0
    for pk, article_id in links.iterator(chunk_size=BATCH):
        position = position + 1 if article_id == article else 0
        article = article_id
        if position:
            at[position].append(pk)
    for position, pks in at.items():
        for start in range(0, len(pks), BATCH):
            ArticleTag.objects.using(db).filter(pk__in=pks[start : start + BATCH]).update(
                position=position
            )


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0006_slug_redirects"),
    ]

    operations = [
        migrations.AddField(
            model_name="articletag",
            name="position",
            field=models.PositiveSmallIntegerField(db_default=0, default=0),
        ),
        migrations.RunPython(number_links_by_name, migrations.RunPython.noop, elidable=True),
        # After the numbering, so that its updates do not maintain the index.
        migrations.AddIndex(
            model_name="articletag",
            index=models.Index(
                fields=["article", "position", "tag"], name="article_tag_in_order"
            ),
        ),
    ]
