"""Import Starlette's TestClient once with anyio's alias warning silenced.

starlette.testclient names ``anyio.abc.BlockingPortal``, which newer anyio deprecates at import.
pyproject's filterwarnings ignores it, but ``pytest -W error`` on the command line wins over the
ini during collection, so the import would fail every web test module. Importing it here first
(the module is then cached) keeps ``-W error`` meaningful for everything else.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", "The anyio.abc.BlockingPortal alias is deprecated", DeprecationWarning
    )
    import starlette.testclient  # noqa: F401
