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
]
