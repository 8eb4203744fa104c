"""The time-zone picker's choices and the times shown in a zone on the staff pages."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from newsletter.web.staff.times import in_zone
from newsletter.web.staff.zones import COMMON, zone_choices


def test_the_regions_zones_first_then_every_canonical_zone_once() -> None:
    (common_label, common), (rest_label, rest) = zone_choices()
    assert common_label == "Common" and rest_label == "All zones"
    assert common[:3] == ("Europe/Belgrade", "Europe/Sofia", "Europe/Bucharest")
    assert set(common) <= set(COMMON) and not set(common) & set(rest)
    offered = [*common, *rest]
    assert len(offered) == len(set(offered)) and len(offered) > 300
    # Backward-compatible aliases are not offered (Etc/GMT+3 is UTC-3: a trap).
    assert not {"US/Eastern", "Etc/GMT+3", "posixrules", "GB", "Cuba"} & set(offered)
    assert "America/New_York" in rest and "Asia/Tbilisi" in common
    available = zoneinfo.available_timezones()
    assert all(z in available for z in offered)


def test_times_are_shown_in_the_zone_with_its_abbreviation() -> None:
    at = dt.datetime(2015, 9, 10, 7, 0, tzinfo=dt.UTC)
    assert in_zone(at, "Europe/Belgrade") == "2015-09-10 09:00 CEST"
    assert in_zone(at, "Europe/Sofia") == "2015-09-10 10:00 EEST"
    winter = dt.datetime(2016, 1, 8, 7, 0)  # naive, as SQLite hands it back: UTC
    assert in_zone(winter, "Europe/Sofia") == "2016-01-08 09:00 EET"
    # A zone without an abbreviation of its own shows its offset (Turkey since 2016).
    assert in_zone(dt.datetime(2020, 1, 1, tzinfo=dt.UTC), "Asia/Istanbul", "%H:%M") == "03:00 +03"
    assert in_zone(at, "Mars/Olympus") == "2015-09-10 07:00 UTC"  # never a traceback
    assert in_zone(None, "Europe/Belgrade") == ""
