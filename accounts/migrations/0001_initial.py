import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    # After auth's last migration: on SQLite, altering a table rebuilds it without the indexes
    # Django's state does not know, such as the one below.
    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('auth', '0012_alter_user_first_name_max_length'),
    ]

    operations = [
        migrations.CreateModel(
            name='Profile',
            fields=[
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='profile', serialize=False, to=settings.AUTH_USER_MODEL)),
                ('display_name', models.CharField(blank=True, max_length=50)),
            ],
        ),
        # Usernames are unique case-insensitively ("Alice" and "alice" are one reader). The
        # User model is django.contrib.auth's, so the index is created here, in SQL that both
        # PostgreSQL and SQLite understand; Django's migration state does not track it.
        migrations.RunSQL(
            sql='CREATE UNIQUE INDEX accounts_username_ci_unique ON auth_user (LOWER(username))',
            reverse_sql='DROP INDEX accounts_username_ci_unique',
        ),
    ]
