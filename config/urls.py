from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.forms import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm
from approvals.views.health import health

admin.site.site_header = "ERP Integrations"
admin.site.site_title = "ERP Integrations"
admin.site.index_title = "Accounting approvals"
# One sign for an empty cell, as on the project managers' pages.
admin.site.empty_value_display = "—"
admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("erp/", include("integrations.urls")),
    path("", include("approvals.urls")),
]
