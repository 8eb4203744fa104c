"""The page a test send's (or a preview's) unsubscribe or preference link opens: "this was a
test email", in the test's language, instead of "this link is not valid" (audiences/test_links.py
says which links those are)."""

from __future__ import annotations

from jinja2 import Environment
from starlette.requests import Request

from newsletter.audiences.test_links import TestLink
from newsletter.bootstrap import App
from newsletter.web.strings import page_strings, topic_name
from newsletter.web.subscribe_strings import negotiate


def test_link_page(app: App, env: Environment, request: Request, link: TestLink) -> str:
    """The page a test send's (or a preview's) member link opens, in the test's language."""
    lang = link.language or negotiate(None, request.headers.get("accept-language", ""))
    topic = topic_name(app.content.catalog.ui_strings(), lang, link.topic) if link.topic else ""
    template = env.get_template("test_link.html")
    return template.render(t=page_strings(lang), lang=lang, purpose=link.purpose, topic=topic)
