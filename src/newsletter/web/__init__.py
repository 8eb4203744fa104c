"""The web app (Starlette): public member routes and provider webhooks; staff pages later.

``app.create_app`` assembles it from the App's bundles (``bootstrap.App``); ``newsletter serve``
runs it with uvicorn. Like the CLI, this layer is thin: parse the request, call one service, render.
"""
