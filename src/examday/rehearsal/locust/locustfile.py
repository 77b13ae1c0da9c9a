"""The locustfile examday's Locust master and workers load: `python -m locust -f <this file> ...`.

The master picks the user class on its command line (StudentUser for the drills, FixedPathUser
for the bench); importing nodes registers the master/worker coordination.
"""

from examday.rehearsal.locust import nodes  # noqa: F401 - its event listeners are the point
from examday.rehearsal.locust.student_user import FixedPathUser, StudentUser

__all__ = ["FixedPathUser", "StudentUser"]
