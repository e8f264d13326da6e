from django.urls import include, path

from integrations.registry import installed

# Each accounting system's pages (connect, disconnect, OAuth callback, webhooks), from the registry.
urlpatterns = [
    path(entry.url_prefix, include(entry.urls)) for entry in installed().values() if entry.urls
]
