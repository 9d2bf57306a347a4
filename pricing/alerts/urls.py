from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

app_name = "alerts"

account_patterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]

urlpatterns = [
    path("accounts/", include(account_patterns)),
    path("alerts/", views.index, name="index"),
    path("alerts/rules/new/", views.rule_new, name="rule_new"),
    path("alerts/rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("alerts/rules/<int:pk>/delete/", views.rule_delete, name="rule_delete"),
    path("alerts/rules/<int:pk>/pause/", views.rule_pause, name="rule_pause"),
    path("alerts/channels/new/", views.channel_new, name="channel_new"),
    path("alerts/channels/<int:pk>/delete/", views.channel_delete, name="channel_delete"),
    path("alerts/channels/<int:pk>/enable/", views.channel_enable, name="channel_enable"),
    path("alerts/channels/<int:pk>/test/", views.channel_test, name="channel_test"),
    path("alerts/channels/<int:pk>/confirm/", views.channel_resend_confirmation, name="channel_resend_confirmation"),
    path("alerts/confirm/<str:token>/", views.channel_confirm, name="channel_confirm"),
    path("alerts/tokens/new/", views.token_new, name="token_new"),
    path("alerts/tokens/<int:pk>/delete/", views.token_delete, name="token_delete"),
    path("alerts/feed/<str:token>.atom", views.feed, name="feed"),
    path("alerts/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
