"""`examday init`: a first examday.toml from a platform's compose configuration, and from its
running containers when the stack runs."""

from examday.init.discover import discover, finish
from examday.init.found import Discovery, Found, Missing
from examday.init.running import read_running
from examday.init.toml_text import render_target

__all__ = ["Discovery", "Found", "Missing", "discover", "finish", "read_running", "render_target"]
