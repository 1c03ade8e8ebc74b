"""Company.published_count: its articles of status published (scheduled ones included), kept by
companies.services.company_counts_refresh from now on, and filled here for the existing ones."""

from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill_company_counts(apps, schema_editor):
    Company = apps.get_model("companies", "Company")
    Article = apps.get_model("articles", "Article")
    published = (
        Article.objects.filter(company=OuterRef("pk"), status="published")
        .order_by()
        .values("company")
        .annotate(n=Count("*"))
        .values("n")
    )
    Company.objects.update(published_count=Coalesce(Subquery(published), 0))


class Migration(migrations.Migration):

    dependencies = [
        ('companies', '0001_initial'),
        ('articles', '0003_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='company',
            name='published_count',
            field=models.PositiveIntegerField(db_default=0, default=0, editable=False),
        ),
        migrations.RunPython(fill_company_counts, migrations.RunPython.noop, elidable=True),
    ]
