"""The web front end: server-rendered pages, a JSON API and Atom feeds, read from the store."""

from tracker.web.app import create_app

__all__ = ["create_app"]
