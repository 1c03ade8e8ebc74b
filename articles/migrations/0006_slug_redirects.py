"""Old slugs of articles and tags, so that their old addresses answer 301 (botbeat/redirects.py)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0005_article_comment_count'),
    ]

    operations = [
        migrations.CreateModel(
            name='ArticleSlugRedirect',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('old_slug', models.SlugField(db_index=False, max_length=200)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('target', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='slug_redirects', to='articles.article')),
            ],
            options={
                'abstract': False,
                'indexes': [models.Index(fields=['target'], name='articleslugredirect_target')],
                'constraints': [models.UniqueConstraint(fields=('old_slug',), name='articleslugredirect_old_slug_unique'), models.CheckConstraint(condition=models.Q(('old_slug', ''), _negated=True), name='articleslugredirect_old_slug_not_empty')],
            },
        ),
        migrations.CreateModel(
            name='TagSlugRedirect',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('old_slug', models.SlugField(db_index=False, max_length=200)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('target', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='slug_redirects', to='articles.tag')),
            ],
            options={
                'abstract': False,
                'indexes': [models.Index(fields=['target'], name='tagslugredirect_target')],
                'constraints': [models.UniqueConstraint(fields=('old_slug',), name='tagslugredirect_old_slug_unique'), models.CheckConstraint(condition=models.Q(('old_slug', ''), _negated=True), name='tagslugredirect_old_slug_not_empty')],
            },
        ),
    ]
