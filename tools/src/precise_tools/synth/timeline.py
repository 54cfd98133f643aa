"""The fixed calendar of the synthetic world, so output never depends on the day it is generated."""

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

# "Today" in the synthetic world; every record is dated on or before it.
REFERENCE_DATE = date(2024, 4, 8)

# Four weeks of ANPR reads, spanning the change to British Summer Time (31 March 2024), so capture
# times carry both +00:00 and +01:00 offsets.
ANPR_START = datetime(2024, 3, 11, tzinfo=UTC)
ANPR_END = datetime(2024, 4, 8, tzinfo=UTC)
ANPR_DAYS = (ANPR_END - ANPR_START).days


def random_date(rng: random.Random, start: date, end: date) -> date:
    """A day from ``start`` to ``end`` inclusive (``start`` itself if the range is empty)."""
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def local_iso(moment: datetime) -> str:
    """UK local time with its offset and milliseconds, e.g. ``2024-04-01T08:15:02.120+01:00``."""
    return moment.astimezone(LONDON).isoformat(timespec="milliseconds")


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later (28 February for 29 February in a non-leap year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
