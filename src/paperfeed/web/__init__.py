"""paperfeed's web app: server-rendered pages (Jinja2 + HTMX), the JSON API, feeds and sign-in.

``create_app()`` in :mod:`paperfeed.web.app` builds it; ``paperfeed serve`` runs it under uvicorn.
"""
