"""Comments: an article's thread under the article's address, single comments by id."""

from django.urls import path, register_converter

from botbeat.params import IdConverter
from comments import views

register_converter(IdConverter, "id")

urlpatterns = [
    path(
        "articles/<slug:slug>/comments/",
        views.ArticleCommentsView.as_view(),
        name="article-comments",
    ),
    path("comments/<id:pk>/", views.CommentDetailView.as_view(), name="comment-detail"),
    path("comments/<id:pk>/like/", views.CommentLikeView.as_view(), name="comment-like"),
    path("comments/<id:pk>/flag/", views.CommentFlagView.as_view(), name="comment-flag"),
    path("comments/review/", views.ReviewQueueView.as_view(), name="comment-review-queue"),
    # The reader's own comment state, beside the auth paths (accounts.urls): the comments
    # app's view, routed here so that no app imports another's views.
    path("auth/me/likes/", views.MyLikesView.as_view(), name="auth-me-likes"),
    path("auth/me/comments/", views.MyCommentsView.as_view(), name="auth-me-comments"),
]
