"""Run at the start of every Python child of `pytest --clock-ahead=DAYS` (conftest.py puts this
folder on their PYTHONPATH): the child's clock moves DAYS ahead with time-machine, as the test
process's did, and goes on ticking. A check that no test depends on today's date, children included
(the crawl children of `ckmon schedule` too: they inherit the environment).
"""

import os

if _days := os.environ.get("CKMON_TEST_CLOCK_AHEAD"):
    from datetime import UTC, datetime, timedelta

    import time_machine

    time_machine.travel(datetime.now(UTC) + timedelta(days=float(_days)), tick=True).start()
