"""The ASGI entry point for uvicorn workers: ``paperfeed.web.asgi:app``, settings from the environment."""

from paperfeed.web.app import create_app

app = create_app()
