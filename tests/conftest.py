import pytest
from django.contrib.contenttypes.models import ContentType

pytest_plugins = [
    "tests.qbo_sandbox_plugin",
    "tests.qbo_connection_plugin",
    "tests.xero_sandbox_plugin",
    "tests.qbd_sandbox_plugin",
]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _pages_render_over_plain_http(settings):
    """Tests run with production settings: no HTTPS redirect for the test client's plain HTTP,
    and static files served unhashed since nothing was collected."""
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _fresh_content_type_cache():
    """A transactional test's flush recreates content types under new ids; forget the old ones."""
    ContentType.objects.clear_cache()
