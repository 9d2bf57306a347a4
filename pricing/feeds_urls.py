from django.urls import path

from pricing.feeds import ChangesFeed, ModelChangesFeed, ProviderChangesFeed

urlpatterns = [
    path("feeds/changes.atom", ChangesFeed(), name="feed-changes"),
    path("feeds/models/<str:author>/<str:name>.atom", ModelChangesFeed(), name="feed-model"),
    path("feeds/providers/<str:slug>.atom", ProviderChangesFeed(), name="feed-provider"),
]
