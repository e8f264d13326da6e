import pytest

pytest_plugins = ["tests.qbo_sandbox_plugin", "tests.qbo_connection_plugin"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
