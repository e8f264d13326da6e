from django.urls import include, path

from integrations.registry import ERPS

# Each accounting system's pages (connect, disconnect, OAuth callback, webhooks), from the registry.
urlpatterns = [path(entry.url_prefix, include(entry.urls)) for entry in ERPS.values() if entry.urls]
