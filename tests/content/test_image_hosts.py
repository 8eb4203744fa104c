"""Images only from our own host and ``content.image_hosts``: checked when a campaign is
validated, approved and composed, with the field named. SQLite and PostgreSQL alike."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from newsletter.content.composing import compose_step, preview, validate_campaign
from newsletter.content.domain.campaigns import MAIN_STEP
from newsletter.errors import CampaignError, TemplateSecurityError
from newsletter.staff.domain.users import Role, StaffUser
from tests.approving import approve_now
from tests.services import Services

LETTER = "chairmans-letter"
PIXEL = "https://tracker.example/p.gif?e=1"
IMAGE_SECTION = '<mj-section><mj-column><mj-image src="{}" alt="" /></mj-column></mj-section>\n'
BOSS = StaffUser(1, "approver@clusterhouse.example", Role.APPROVER)


def add_image(project: Path, src: str) -> None:
    """A letter section with one image, written into the sample campaign file as staff would."""
    path = project / "campaigns" / f"{LETTER}.yaml"
    text = path.read_text(encoding="utf-8")
    section = f"  sections:\n    - image:\n        src: {src}\n        alt: A photo from Ohrid\n"
    path.write_text(text.replace("  sections:\n", section, 1), encoding="utf-8")


def test_an_image_from_an_unlisted_host_is_refused_naming_the_field(
    ctx: Services, project: Path
) -> None:
    add_image(project, PIXEL)
    result = validate_campaign(ctx, LETTER)
    assert not result.ok
    problem = "\n".join(result.problems)
    assert "content.sections.0.image.src: image host 'tracker.example'" in problem
    assert "content.image_hosts" in problem
    campaign = ctx.catalog.campaign(LETTER)[0]
    with pytest.raises(CampaignError, match=r"content\.sections\.0\.image\.src"):
        compose_step(ctx, campaign, MAIN_STEP)
    with pytest.raises(CampaignError, match=r"tracker\.example"):
        preview(ctx, LETTER)
    with pytest.raises(CampaignError, match=r"tracker\.example"):
        approve_now(ctx, LETTER, BOSS)


def test_listed_and_own_hosts_are_allowed(ctx: Services, project: Path) -> None:
    # The sample configuration lists the network's own site.
    assert ctx.image_hosts == ("clusterhouse.example",)
    add_image(project, "https://clusterhouse.example/photos/ohrid.jpg")
    assert validate_campaign(ctx, LETTER).ok
    # web.base_url's own host needs no listing.
    own = ctx.links.base_url + "/static/ohrid.jpg"
    add_image(project, own)
    html = preview(ctx, LETTER).html
    assert f'src="{own}"' in html
    # A subdomain of a listed host is another host.
    add_image(project, "https://cdn.clusterhouse.example/ohrid.jpg")
    assert "cdn.clusterhouse.example" in "\n".join(validate_campaign(ctx, LETTER).problems)


def test_an_emptied_list_leaves_only_our_own_host(ctx: Services, project: Path) -> None:
    add_image(project, "https://clusterhouse.example/photos/ohrid.jpg")
    strict = dataclasses.replace(ctx, image_hosts=())
    assert "clusterhouse.example" in "\n".join(validate_campaign(strict, LETTER).problems)


def test_a_template_that_writes_an_image_by_hand_is_held_to_the_list(
    ctx: Services, project: Path
) -> None:
    layout = project / "templates" / "letter.mjml.j2"
    text = layout.read_text(encoding="utf-8")
    marker = "{% block body %}\n"
    assert marker in text
    layout.write_text(
        text.replace(marker, f"{marker}{IMAGE_SECTION.format(PIXEL)}", 1), encoding="utf-8"
    )
    campaign = ctx.catalog.campaign(LETTER)[0]
    with pytest.raises(TemplateSecurityError, match=r"image host .tracker\.example."):
        compose_step(ctx, campaign, MAIN_STEP)
