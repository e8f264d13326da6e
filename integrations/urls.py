from django.urls import include, path

urlpatterns = [
    path("quickbooks-online/", include("integrations.quickbooks_online.urls")),
]
