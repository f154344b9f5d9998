"""Settings for the benchmark: the project's settings, as a deployment would run them, plus two changes.

- ``DEBUG = False`` (timings with DEBUG on include Django's debug bookkeeping).
- Per-client API throttles are lifted: the load generator is one client, and with the normal budget
  it would measure the throttle, not the server.

Everything else (database, broker) comes from the environment that bench/run.py prepares.
"""

from config.settings import *  # noqa: F403
from config.settings import REST_FRAMEWORK

DEBUG = False
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {scope: None for scope in REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})},
}
