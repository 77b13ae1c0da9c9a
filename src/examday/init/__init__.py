"""`examday init`: a first examday.toml from a platform's compose configuration."""

from examday.init.discover import Discovery, Found, discover
from examday.init.toml_text import render_target

__all__ = ["Discovery", "Found", "discover", "render_target"]
