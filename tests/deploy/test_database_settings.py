"""The database connection's settings as the app opens it."""

import pytest
from django.db import connection


@pytest.mark.django_db
def test_postgresql_connections_do_not_jit_compile():
    """The dashboards' sums were estimated costly enough for PostgreSQL to JIT-compile them (0.4-1.2 s of compiling
    for 70 ms of work at full size): the app's connections turn JIT off (DATABASE_JIT=true keeps the server's)."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
