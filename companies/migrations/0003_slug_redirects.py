"""Old slugs of companies, so that their old addresses answer 301 (botbeat/redirects.py)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('companies', '0002_published_counts'),
    ]

    operations = [
        migrations.CreateModel(
            name='CompanySlugRedirect',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('old_slug', models.SlugField(db_index=False, max_length=200)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('target', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='slug_redirects', to='companies.company')),
            ],
            options={
                'abstract': False,
                'indexes': [models.Index(fields=['target'], name='companyslugredirect_target')],
                'constraints': [models.UniqueConstraint(fields=('old_slug',), name='companyslugredirect_old_slug_unique'), models.CheckConstraint(condition=models.Q(('old_slug', ''), _negated=True), name='companyslugredirect_old_slug_not_empty')],
            },
        ),
    ]
