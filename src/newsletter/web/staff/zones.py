"""The time-zone picker of the staff forms: IANA zone names from the system's tz database
(:func:`zoneinfo.available_timezones`), the network's own region first.

Only "Area/Location" names are offered (plus UTC): the tz database's old-style directories
(``US/Eastern``, ``Etc/GMT+3`` whose sign is inverted, ``posixrules``, ``SystemV/``) are left
out, as its ``backward`` file advises for new data. (Renamed cities such as ``Europe/Kiev``
remain beside ``Europe/Kyiv``: both name the same rules.) A stored zone that is not offered
is still shown, as the chosen one."""

from __future__ import annotations

import functools
import zoneinfo

#: The member countries' zones and the neighbours staff schedule for, in the order a
#: Niš-based office reads them.
COMMON = (
    "Europe/Belgrade",
    "Europe/Sofia",
    "Europe/Bucharest",
    "Europe/Skopje",
    "Europe/Podgorica",
    "Europe/Sarajevo",
    "Europe/Zagreb",
    "Europe/Ljubljana",
    "Europe/Tirane",
    "Europe/Athens",
    "Europe/Istanbul",
    "Europe/Chisinau",
    "Europe/Kyiv",
    "Asia/Tbilisi",
    "Europe/Brussels",
    "Europe/Berlin",
    "Europe/London",
    "UTC",
)
_AREAS = (
    *("Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/"),
    *("Australia/", "Europe/", "Indian/", "Pacific/"),
)


@functools.cache
def zone_choices() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(group label, zones) for a ``<select>`` with ``<optgroup>``s: the common ones, then
    every other canonical zone alphabetically."""
    known = zoneinfo.available_timezones()
    common = tuple(z for z in COMMON if z in known)
    rest = sorted(z for z in known if z.startswith(_AREAS) and z not in common)
    return (("Common", common), ("All zones", tuple(rest)))
