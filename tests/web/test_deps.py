"""How an endpoint gets its dependencies: every route's endpoint is a module-level function
reachable by its module and name (no closure over a factory's arguments), and what it reads
through ``deps(request)`` is what ``create_app`` was given, per app."""

from __future__ import annotations

import importlib
import inspect

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from newsletter.scheduling.ports import Scheduling
from newsletter.web.app import create_app
from newsletter.web.deps import deps
from tests.services import Services


def _starlette(app: object) -> Starlette:
    inner = app.app  # type: ignore[attr-defined]  # inside the SecurityHeaders wrapper
    assert isinstance(inner, Starlette)
    return inner


def test_every_endpoint_is_a_module_level_function(ctx: Services) -> None:
    routes = [r for r in _starlette(create_app(ctx.app)).routes if isinstance(r, Route)]
    assert len(routes) > 60
    for route in routes:
        endpoint = inspect.unwrap(route.endpoint)  # past auth.guard's functools.wraps
        assert "<locals>" not in endpoint.__qualname__, (route.path, endpoint.__qualname__)
        module = importlib.import_module(endpoint.__module__)
        found = getattr(module, endpoint.__name__)
        # The module's name for it is the endpoint itself or the guarded endpoint.
        assert inspect.unwrap(found) is endpoint, (route.path, endpoint.__qualname__)
        assert route.name == endpoint.__name__


async def _what_it_sees(request: Request) -> Response:
    d = deps(request)
    zone = d.scheduling().default_zone if d.scheduling else None
    return JSONResponse(
        {
            "app": id(d.app),
            "now": d.now(),
            "zone": zone,
            "webhook": d.webhook is not None,
            "uploads": id(d.uploads),
            "previews": id(d.previews),
        }
    )


class _Scheduling:
    default_zone = "Europe/Belgrade"


def test_an_endpoint_reads_what_create_app_was_given(ctx: Services) -> None:
    extra = [Route("/_sees", _what_it_sees)]
    sched = _Scheduling()

    def scheduling() -> Scheduling:
        return sched  # type: ignore[return-value]  # only default_zone is read

    first = create_app(ctx.app, now=lambda: 42.0, scheduling=scheduling, extra_routes=extra)
    second = create_app(ctx.app, extra_routes=extra)
    with TestClient(first) as a, TestClient(second) as b:
        one, other = a.get("/_sees").json(), b.get("/_sees").json()
    assert one["app"] == other["app"] == id(ctx.app)
    assert one["now"] == 42.0 and other["now"] > 1_700_000_000
    assert one["zone"] == "Europe/Belgrade" and other["zone"] is None
    assert one["webhook"] is False
    # Upload shelf and preview store belong to one app: two apps never share them.
    assert one["uploads"] != other["uploads"] and one["previews"] != other["previews"]
