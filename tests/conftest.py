import pytest
from django.contrib.contenttypes.models import ContentType

pytest_plugins = [
    "tests.qbo_sandbox_plugin",
    "tests.qbo_connection_plugin",
    "tests.xero_sandbox_plugin",
    "tests.xero_connection_plugin",
    "tests.qbd_sandbox_plugin",
]

# Tests that take seconds to minutes each (timed soaks and outages, worker processes, the
# browser, migrations run backwards, large fuzz and import runs), longest first. They run before
# the rest so that, with xdist handing tests out one by one (`--maxschedchunk 1` in the
# Makefile), the short ones fill the other worker meanwhile instead of one long test ending the
# run alone.
LONG_RUNNING = (
    "tests/reliability/test_soak.py",
    "tests/reliability/test_database_restart.py",
    "tests/reliability/",
    "tests/approvals/migrations/test_migration_erp_ids_name_their_connection.py",
    "tests/e2e/",
    "tests/concurrency/",
    "tests/approvals/views/test_bad_input.py",
    "tests/approvals/services/importing/test_vendors.py",
)


def pytest_collection_modifyitems(items):
    def rank(item) -> int:
        path = item.nodeid
        return next(
            (n for n, prefix in enumerate(LONG_RUNNING) if path.startswith(prefix)),
            len(LONG_RUNNING),
        )

    items.sort(key=rank)


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
