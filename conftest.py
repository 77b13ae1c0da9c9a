"""Thin on purpose: the checklist's machinery is the examday pytest plugin."""

pytest_plugins = ["examday.plugin"]
