import django_filters

from comments.models import Comment


class CommentOrdering:
    OLDEST = "oldest"
    NEWEST = "newest"
    choices = [
        (OLDEST, "Oldest first: thread order (the default)"),
        (NEWEST, "Newest threads first, each in conversation order"),
    ]


class CommentFilter(django_filters.FilterSet):
    ordering = django_filters.ChoiceFilter(
        choices=CommentOrdering.choices,
        method="order",
        help_text=(
            "`oldest` (the default): top-level comments oldest first, each followed by its "
            "replies, oldest first, depth-first. `newest`: top-level comments newest first; the "
            "replies inside each thread keep their conversation order (oldest first), so a "
            "reply always follows what it answers."
        ),
    )

    class Meta:
        model = Comment
        fields = ["ordering"]

    @property
    def ordering_name(self) -> str:
        return self.form.cleaned_data.get("ordering") or CommentOrdering.OLDEST

    def order(self, queryset, name, value):
        return queryset  # the paginator orders, by ordering_name
