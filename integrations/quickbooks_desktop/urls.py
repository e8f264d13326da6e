from django.urls import path

from integrations.quickbooks_desktop import views

app_name = "quickbooks_desktop"
urlpatterns = [
    path("qbwc/", views.qbwc, name="qbwc"),
]
