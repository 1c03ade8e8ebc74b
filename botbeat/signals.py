"""Invalidate the response cache whenever public content may have changed.

Signals only invalidate (STYLE.md): any save or delete of a model the public API shows bumps the
content version after commit (botbeat.cache). Writes that bypass signals (QuerySet.update(),
bulk_create) call `bump_content_version()` themselves.
"""

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save

from botbeat.cache import bump_content_version

# Every model whose rows appear in a public answer (articles, their parts, companies, tags,
# comments and the names of their authors).
PUBLIC_MODELS = (
    "articles.Article",
    "articles.ArticleTag",
    "articles.Takeaway",
    "articles.Tag",
    "companies.Company",
    "comments.Comment",
    "auth.User",
    "accounts.Profile",
)


def _invalidate(sender, **kwargs):
    bump_content_version()


def connect() -> None:
    for label in PUBLIC_MODELS:
        model = apps.get_model(label)
        uid = f"botbeat-cache-{label}"
        post_save.connect(_invalidate, sender=model, dispatch_uid=f"{uid}-save")
        post_delete.connect(_invalidate, sender=model, dispatch_uid=f"{uid}-delete")
    through = apps.get_model("articles.Article").tags.through
    m2m_changed.connect(_invalidate, sender=through, dispatch_uid="botbeat-cache-article-tags")
