import django_filters

from comments.models import Comment


class CommentOrdering:
    OLDEST = "oldest"
    NEWEST = "newest"
    BEST = "best"
    choices = [
        (OLDEST, "Oldest first: thread order (the default)"),
        (NEWEST, "Newest threads first, each in conversation order"),
        (BEST, "Most liked threads first (ties: oldest first), each in conversation order"),
    ]


class CommentFilter(django_filters.FilterSet):
    ordering = django_filters.ChoiceFilter(
        choices=CommentOrdering.choices,
        method="order",
        help_text=(
            "`oldest` (the default): top-level comments oldest first, each followed by its "
            "replies, oldest first, depth-first. `newest`: top-level comments newest first; the "
            "replies inside each thread keep their conversation order (oldest first), so a "
            "reply always follows what it answers. `best`: the threads whose top-level comment "
            "has the most likes first (ties: the oldest first), each in conversation order. "
            "Likes move that order while a reader pages: a `best` cursor finishes the thread it "
            "stopped in, then goes on with the threads that now rank after that thread's place "
            "when the page was served; a thread whose likes carried it across that place since "
            "is served twice or not at all, every other thread exactly once."
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
