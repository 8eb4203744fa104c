"""``POST /staff/campaigns/{slug}/test-send``: a test of any step, in one language or in all
of the campaign's languages at once, to staff accounts and, once confirmed, other addresses.

Staff accounts are ticked; other addresses (a colleague at a partner, a seed inbox) are typed,
and the form refuses them until the sender ticks the confirmation box beside them, naming the
addresses that are not staff: a test goes out of the organisation only on purpose. Nothing is
recorded in the ledger, the subject says ``[TEST]`` and the member links in it open a page
saying it was a test (delivery/proofs.py). POST/redirect/GET: a reload repeats nothing.
"""

from __future__ import annotations

import re

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from newsletter.content.domain.campaigns import MAIN_STEP
from newsletter.core.addresses import AddressError, normalize_address
from newsletter.delivery import proofs
from newsletter.errors import NewsletterError
from newsletter.staff import accounts as staff
from newsletter.web.auth import guard, session_of
from newsletter.web.deps import deps
from newsletter.web.staff.campaigns import back

ALL = "all"
_SEPARATORS = re.compile(r"[\s,;]+")


def _key(address: str) -> str:
    try:
        return normalize_address(address)[1]
    except AddressError:
        return address.strip().casefold()


def outside(addresses: list[str], staff_emails: set[str]) -> list[str]:
    """The addresses that are no staff account's (compared as normalised addresses)."""
    known = {_key(a) for a in staff_emails}
    return [a for a in addresses if _key(a) not in known]


def _sent(reports: list[proofs.TestSendReport]) -> str:
    """The notice after a test send: to whom, which step in which languages, refusals."""
    first = reports[0]
    refused = {a: why for r in reports for a, why in r.refused.items()}
    to = ", ".join(first.recipients)
    if len(reports) == 1 and first.step == MAIN_STEP:
        lines = [f"Test sent to {to} ({first.transport})."]
    else:
        what = "the announcement" if first.step == MAIN_STEP else f"reminder {first.step}"
        langs = ", ".join(r.language for r in reports)
        lines = [f"Test of {what} sent to {to} in {langs} ({first.transport})."]
    lines += [f"{address}: refused ({why})" for address, why in refused.items()]
    return "\n".join(lines)


@guard()
async def test_send(request: Request) -> Response:
    app = deps(request).app
    form = await request.form(max_files=0, max_fields=200)
    known = {u.email for u in staff.store(app.staff).users()}
    ticked = [a for a in form.getlist("to") if isinstance(a, str) and a in known]
    typed = form.get("to_other")
    others = [a for a in _SEPARATORS.split(typed if isinstance(typed, str) else "") if a]
    chosen = list(dict.fromkeys([*ticked, *others]))
    if not chosen:
        chosen = [session_of(request).user.email]
    strangers = outside(chosen, known)
    if strangers and form.get("confirm_outside") != "yes":
        return back(
            request,
            error=f"Not sent: {', '.join(strangers)} "
            f"{'is not a staff account' if len(strangers) == 1 else 'are not staff accounts'}"
            ". Tick “Yes, send the test to addresses outside the staff” to confirm.",
        )
    step = form.get("step")
    lang = form.get("lang")
    languages = None if lang == ALL or not isinstance(lang, str) or not lang else [lang]
    try:
        reports = await run_in_threadpool(
            lambda: proofs.send_tests(
                app.delivery,
                request.path_params["slug"],
                chosen,
                step=step if isinstance(step, str) and step else MAIN_STEP,
                languages=languages,
            )
        )
    except NewsletterError as exc:
        return back(request, error=str(exc))
    return back(request, message=_sent(reports))


ROUTES = [Route("/staff/campaigns/{slug}/test-send", test_send, methods=["POST"])]
