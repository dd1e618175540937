"""The browser tests reuse the real SMTP server fixture of the API/auth tests."""

from tests.test_web_api_auth import inbox

__all__ = ["inbox"]
