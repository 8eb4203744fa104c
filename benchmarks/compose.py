"""Compose throughput: a 100,000-member audience in 6 languages, on one core.

What the send path does (MJML compiled once per language variant, then per recipient only
merge fields) against the obvious approach (Jinja + MJML per recipient), in the same run.

    .venv/bin/python benchmarks/compose.py [--members 100000] [--sample 300]

Per recipient the "compose once" path builds exactly what sending builds: signed unsubscribe
and preference links (HMAC), merge values including each deadline in the member's own zone,
the RFC 8058 headers, and the finished HTML and text (``render_message``: what the outbox and
SMTP transports serialise; SendGrid gets only the substitutions and fills them itself). The
per-recipient approach is timed on a sample and extrapolated to the audience: it says so.
MIME serialisation and the network are the transports' cost and are not counted here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from newsletter.audiences.domain.deliveries import Recipient
from newsletter.content.files.project_files import ProjectFiles
from newsletter.content.rendering import ics as calendar
from newsletter.content.rendering.compose import (
    Organisation,
    Sender,
    calendar_domain,
    compose_variant,
    personalize,
    render_message,
)
from newsletter.content.rendering.environment import build_environment
from newsletter.core.links import Links

REPO = Path(__file__).resolve().parents[1]
CAMPAIGN = "days-of-clusters-2015"
LANGUAGES = ("en", "sr-Cyrl", "sr-Latn", "bg", "ro", "mk")
ZONES = ("Europe/Belgrade", "Europe/Sofia", "Europe/Bucharest", "Europe/Skopje",
         "Europe/Istanbul", "Europe/Sarajevo", "Europe/Athens", "Europe/Vienna", "")  # fmt: skip
FIRST = ("Ana", "Марко", "Ivana", "Стефан", "Elena", "Георги", "Mihai", "Јована", "Ayşe", "Dragan")
LAST = ("Petrović", "Јовановић", "Popescu", "Иванов", "Nikolovski", "Yılmaz", "Марковић")
ORG = Organisation("Balkan & Black Sea Cluster Network", "Cluster House, Niš, Serbia",
                   "https://clusterhouse.example")  # fmt: skip
SENDER = Sender("news@clusterhouse.example", "Cluster House", "office@clusterhouse.example")
LIST_ID = '"Balkan & Black Sea Cluster Network - events" <events.clusterhouse.example>'


def audience(size: int) -> list[Recipient]:
    rng = random.Random(2015)
    return [
        Recipient(
            i,
            i,
            f"member{i}@cluster{i % 997}.example",
            rng.choice(FIRST),
            rng.choice(LAST),
            f"Cluster {i % 997}",
            LANGUAGES[i % len(LANGUAGES)],
            rng.choice(ZONES),
        )
        for i in range(size)
    ]


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds of this process's CPU time: on a shared machine wall-clock time also counts
    other people's work (the load average is printed next to the figures)."""
    start = time.process_time()
    result = work()
    return time.process_time() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=300)
    args = parser.parse_args()

    files = ProjectFiles(REPO / "templates", REPO / "audiences", REPO / "campaigns")
    campaign, _ = files.campaign(CAMPAIGN)
    env = build_environment(files.template)
    ui = files.ui_strings()
    stamp = calendar.Revision(0, dt.datetime(2015, 9, 1, 8, 0, tzinfo=dt.UTC))
    revisions = {e.uid: stamp for e in calendar.entries(campaign, calendar_domain(ORG))}
    links = Links("https://news.clusterhouse.example", b"benchmark-secret-key-0123456789")
    members = audience(args.members)
    issued = 1_441_094_400

    def variant_for(lang: str) -> Any:
        return compose_variant(
            campaign, "main", lang, env=env, organisation=ORG, ui=ui, revisions=revisions
        )

    def message_for(member: Recipient, variant: Any) -> Any:
        person = personalize(
            member,
            unsubscribe_url=links.unsubscribe(member.member_id, campaign.topic, issued),
            preferences_url=links.preferences(member.member_id, campaign.topic, issued),
            list_id=LIST_ID,
            campaign=campaign,
            language=campaign.variant_for(member.language),  # as services.composing does
        )
        return render_message(variant, SENDER, person)

    # Warm-up: template compilation and Babel's locale data load once per process anyway.
    for lang in LANGUAGES:
        variant_for(lang)

    # 1. Once per variant: Jinja + MJML for each language, then merge fields per recipient.
    compose_s, variants = timed(lambda: {lang: variant_for(lang) for lang in LANGUAGES})
    size = sum(len(v.html.encode()) for v in variants.values()) // len(variants)

    def personalise_all() -> int:
        total = 0
        for member in members:
            total += len(message_for(member, variants[member.language]).html)
        return total

    merge_s, _ = timed(personalise_all)
    once_total = compose_s + merge_s
    once_rate = len(members) / once_total

    # 2. The obvious approach: Jinja + MJML for every recipient (a sample, extrapolated).
    sample = members[: args.sample]

    def per_recipient() -> None:
        for member in sample:
            message_for(member, variant_for(member.language))

    sample_s, _ = timed(per_recipient)
    per_rate = len(sample) / sample_s
    per_total = len(members) / per_rate

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"compose: {len(members):,} members, {len(LANGUAGES)} languages ({', '.join(LANGUAGES)}),"
    )
    print(f"  campaign {CAMPAIGN} (HTML ~{size // 1000} KB per message + .ics), one thread")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"  Python {platform.python_version()}, {platform.machine()}, {cores} CPU(s) visible")
    print(f"  times are CPU seconds of this process; load average {load:.1f} during the run")
    print()
    print(f"{'approach':<44}{'total':>12}{'messages/s':>14}")
    once = "MJML once per variant + merge per recipient"
    print(f"{once:<44}{once_total:>11.2f}s{once_rate:>14,.0f}")
    print(f"{'  of which: 6 variants (Jinja + MJML + .ics)':<44}{compose_s:>11.3f}s")
    print(f"{'  of which: merge + finished HTML/text':<44}{merge_s:>11.2f}s")
    print(
        f"{'Jinja + MJML per recipient (extrapolated)':<44}{per_total:>11.1f}s{per_rate:>14,.0f}"
        f"   <- measured on {len(sample)} recipients"
    )
    print(f"\nspeed-up: {per_total / once_total:,.0f}x")


if __name__ == "__main__":
    main()
