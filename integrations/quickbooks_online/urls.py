from django.urls import path

from integrations.quickbooks_online import views, webhooks

app_name = "quickbooks_online"
urlpatterns = [
    path("", views.connection, name="connection"),
    path("connect/", views.connect, name="connect"),
    path("callback/", views.callback, name="callback"),
    path("disconnect/", views.disconnect, name="disconnect"),
    path("tax-codes/", views.tax_codes, name="tax_codes"),
    path("webhooks/", webhooks.notifications, name="webhooks"),
]
