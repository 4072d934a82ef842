"""tracker: follow developing news stories, keep every version, show what changed."""

__version__ = "0.1.0"
__all__ = ["__version__"]
