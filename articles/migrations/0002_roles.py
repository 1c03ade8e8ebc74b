"""The staff's roles: the "Editors" and "Moderators" groups, with exactly these permissions.

Editors manage the newsroom's content: articles (with their takeaways and tag links), tags
and companies, in full. They do not see comments.

Moderators manage comments: they see and change them (hide, restore) and may deactivate a
reader (`comments.deactivate_commenter`, which hides everything the reader wrote). They may
view articles, read-only, to judge a comment in its context and to filter the queue by article;
nothing else. Nobody deletes comments from the admin: they are withheld, never deleted.

Running it again (or calling `roles_sync` from a test) resets both groups to exactly this.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CRUD = ("add", "change", "delete", "view")

# (app label, model, codename): a group gets exactly these.
ROLES = {
    "Editors": [
        *(("articles", model, f"{verb}_{model}") for model in ("article", "takeaway", "tag", "articletag") for verb in CRUD),
        *(("companies", "company", f"{verb}_company") for verb in CRUD),
    ],
    "Moderators": [
        ("comments", "comment", "view_comment"),
        ("comments", "comment", "change_comment"),
        ("comments", "comment", "deactivate_commenter"),
        ("articles", "article", "view_article"),
    ],
}
# Permissions no model's Meta declares (comments/models.py is not this migration's to change).
CUSTOM_PERMISSIONS = [
    ("comments", "comment", "deactivate_commenter", "Can deactivate commenters and hide their comments"),
]


def roles_sync(apps, schema_editor):
    using = schema_editor.connection.alias if schema_editor else "default"
    # Django creates the models' permissions after `migrate` (post_migrate), too late for a
    # fresh database: create them now. Historical app configs have no models module, which
    # create_permissions takes as "nothing to do": lend them one for the call.
    for label in ("articles", "companies", "comments"):
        app_config = apps.get_app_config(label)
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, verbosity=0, using=using, apps=apps)
        finally:
            app_config.models_module = models_module

    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    for app_label, model, codename, name in CUSTOM_PERMISSIONS:
        content_type = ContentType.objects.db_manager(using).get_by_natural_key(app_label, model)
        Permission.objects.using(using).get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
    for group_name, wanted in ROLES.items():
        group, _ = Group.objects.using(using).get_or_create(name=group_name)
        permissions = [
            Permission.objects.using(using).get(
                content_type__app_label=app_label, content_type__model=model, codename=codename
            )
            for app_label, model, codename in wanted
        ]
        group.permissions.set(permissions)


def roles_delete(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=ROLES).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("articles", "0001_initial"),
        ("comments", "0001_initial"),
        ("companies", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(roles_sync, roles_delete),
    ]
