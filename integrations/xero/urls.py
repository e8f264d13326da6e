from django.urls import path

from integrations.xero import views, webhooks

app_name = "xero"
urlpatterns = [
    path("", views.connection, name="connection"),
    path("connect/", views.connect, name="connect"),
    path("callback/", views.callback, name="callback"),
    path("organisation/", views.choose_organisation, name="choose_organisation"),
    path("choices/", views.save_choices, name="choices"),
    path("disconnect/", views.disconnect, name="disconnect"),
    path("webhooks/", webhooks.notifications, name="webhooks"),
]
