"""Member exports written as Mailchimp and listmonk write them, a few hundred rows each.

Mailchimp (Audience > Export audience) quotes a header or value holding a space or a comma
and writes ``\\n`` line ends in UTF-8; its system columns follow the audience's merge fields.
listmonk's subscriber export is Go's ``encoding/csv`` (quotes only what needs it, ``\\n``),
with the header ``uuid,email,name,attributes,status,created_at,updated_at``, the attributes
as PostgreSQL prints a JSONB object and the times as Go's ``time.Time.String()``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from pathlib import Path

MAILCHIMP_SUBSCRIBED = (
    '"Email Address","First Name","Last Name","Institution / Company",MEMBER_RATING,OPTIN_TIME,'
    "OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,"
    "LAST_CHANGED,LEID,EUID,NOTES,TAGS"
)
MAILCHIMP_UNSUBSCRIBED = (
    '"Email Address","First Name","Last Name","Institution / Company",MEMBER_RATING,OPTIN_TIME,'
    "OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,"
    "UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,UNSUB_REASON_OTHER,"
    "LEID,EUID,NOTES,TAGS"
)
MAILCHIMP_CLEANED = (
    '"Email Address","First Name","Last Name","Institution / Company",MEMBER_RATING,OPTIN_TIME,'
    "OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,"
    "CLEAN_TIME,CLEAN_CAMPAIGN_TITLE,CLEAN_CAMPAIGN_ID,LEID,EUID,NOTES,TAGS"
)
LISTMONK = "uuid,email,name,attributes,status,created_at,updated_at"

_FIRST = ("Ana", "Marko", "Jelena", "Nikola", "Milica", "Stefan", "Ivana", "Dragan", "Elena")
_LAST = ("Petrović", "Jovanović", "Nikolić", "Ilić", "Popescu", "Dimitrov", "Stojanovska")
_PLACES = (  # zone, country, region, latitude, longitude, GMT offset
    ("Europe/Belgrade", "RS", "Nišava", "43.3209000", "21.8958000", "1"),
    ("Europe/Sofia", "BG", "Sofia City", "42.6977000", "23.3219000", "2"),
    ("Europe/Skopje", "MK", "Skopje", "41.9981000", "21.4254000", "1"),
    ("Europe/Bucharest", "RO", "Timiș", "45.7489000", "21.2087000", "2"),
)
_ORGS = ("Klaster Niš", "ICT Cluster Sofia", "Timișoara Software Cluster", "Agro Klaster, Vranje")


def _mailchimp_value(value: str) -> str:
    if any(c in value for c in ' ,"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _mailchimp_line(values: list[str]) -> str:
    return ",".join(_mailchimp_value(v) for v in values) + "\n"


def _stamp(rng: random.Random, year: int) -> str:
    moment = dt.datetime(year, 1, 1) + dt.timedelta(seconds=rng.randrange(300 * 86400))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def person(rng: random.Random, n: int, domain: str) -> tuple[str, str, str]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    return f"{first.lower()}.{n}@{domain}", first, last


def mailchimp_export(
    folder: Path, *, subscribed: int = 300, unsubscribed: int = 25, cleaned: int = 12
) -> tuple[Path, Path, Path]:
    """The three files of a Mailchimp audience export ZIP, unpacked."""
    rng = random.Random(15)
    paths = []
    for kind, header, count in (
        ("subscribed", MAILCHIMP_SUBSCRIBED, subscribed),
        ("unsubscribed", MAILCHIMP_UNSUBSCRIBED, unsubscribed),
        ("cleaned", MAILCHIMP_CLEANED, cleaned),
    ):
        lines = [header + "\n"]
        for n in range(count):
            email, first, last = person(rng, n, f"{kind}.mc.example")
            zone, cc, region, lat, lon, gmt = rng.choice(_PLACES)
            optin = _stamp(rng, 2019)
            confirm = _stamp(rng, 2020) if rng.random() < 0.8 else ""
            common = [
                email,
                first,
                last,
                rng.choice(_ORGS),
                str(rng.randint(1, 5)),
                optin,
                f"77.46.{rng.randrange(256)}.{rng.randrange(256)}",
                confirm,
                f"93.87.{rng.randrange(256)}.{rng.randrange(256)}" if confirm else "",
                lat,
                lon,
                gmt,
                gmt,
                zone,
                cc,
                region,
            ]
            if kind == "subscribed":
                tail = [_stamp(rng, 2023)]
            elif kind == "unsubscribed":
                tail = [_stamp(rng, 2023), "Spring newsletter 2023", "a1b2c3d4e5", "", ""]
            else:
                tail = [_stamp(rng, 2023), "Days of Clusters 2023", "f6e5d4c3b2"]
            ids = [str(100000000 + n), f"{rng.getrandbits(40):010x}"]
            tags = '"Days of Clusters","Interreg"' if n % 3 == 0 else ""
            lines.append(_mailchimp_line([*common, *tail, *ids, "", tags]))
        path = folder / f"{kind}_members_export_5d3c9e1f2a.csv"
        path.write_text("".join(lines), encoding="utf-8", newline="")
        paths.append(path)
    return paths[0], paths[1], paths[2]


def _go_time(rng: random.Random) -> str:
    moment = dt.datetime(2022, 1, 1) + dt.timedelta(seconds=rng.randrange(600 * 86400))
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{rng.randrange(10**6):06d} +0000 UTC"


def _go_csv(value: str) -> str:
    # encoding/csv (Writer.fieldNeedsQuotes): a delimiter, a quote, CR/LF or a leading space.
    if value and (any(c in value for c in ',"\r\n') or value[0] == " "):
        return '"' + value.replace('"', '""') + '"'
    return value


def listmonk_export(folder: Path, *, rows: int = 250, blocklisted: int = 10) -> Path:
    """Subscribers > Export in listmonk: one file, status per subscriber."""
    rng = random.Random(16)
    lines = [LISTMONK + "\n"]
    for n in range(rows):
        email, first, last = person(rng, n, "lm.example")
        _, cc, *_ = rng.choice(_PLACES)
        attributes = {"city": rng.choice(("Niš", "Sofia", "Skopje")), "projects": [n % 4]}
        if n % 2 == 0:
            attributes["organization"] = rng.choice(_ORGS)
            attributes["country"] = cc
        status = "blocklisted" if n < blocklisted else "enabled"
        values = [
            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            email,
            f"{first} {last}",
            json.dumps(attributes, ensure_ascii=False),
            status,
            _go_time(rng),
            _go_time(rng),
        ]
        lines.append(",".join(_go_csv(v) for v in values) + "\n")
    path = folder / "subscribers.csv"
    path.write_text("".join(lines), encoding="utf-8", newline="")
    return path
