"""The sign-in forms of the site and of the admin, both throttled per account and address."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts import throttle
from accounts.addresses import client_address


class ThrottledLogin:
    def clean(self):
        username = self.cleaned_data.get("username")
        if not username or not self.cleaned_data.get("password"):
            return super().clean()
        try:
            throttle.attempt(
                username=username,
                address=client_address(self.request),
                authenticate=super().clean,
            )
        except throttle.TooManyFailures as refusal:
            raise ValidationError(refusal.message, code="too_many_failures") from refusal
        return self.cleaned_data


class ThrottledAuthenticationForm(ThrottledLogin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLogin, AdminAuthenticationForm):
    pass
