"""Latency per route ("METHOD route template", or the raw path when the route is null), bounded."""

from __future__ import annotations

from typing import Any

from examday.facts.log_analysis.limits import _MAX_KEY_CHARS, _MAX_PATH_ROUTES, _MAX_ROUTES, OTHER_ROUTES
from examday.facts.log_analysis.model import RouteLatency
from examday.facts.log_analysis.settings import LogSettings
from examday.facts.log_analysis.tallies import _RouteLatencies


class RouteTable:
    """Every route's latencies, a bounded number of them; the rest share "(other)"."""

    def __init__(self, settings: LogSettings) -> None:
        self._route_field, self._method_field, self._path_field = (
            settings.route_field, settings.method_field, settings.path_field)
        self._routes: dict[str, _RouteLatencies] = {}
        self._route_counts = {True: 0, False: 0}  # routes by template (True) and by raw path (False)
        self.limits = {True: _MAX_ROUTES, False: _MAX_PATH_ROUTES}  # wider in a log window's minutes (log_merge)
        self._other_route: _RouteLatencies | None = None
        self.kinds: dict[str, bool] = {}  # key -> templated, as it was made: what log_merge folds by
        # The analyser's shortcut to a route: template -> method -> its latencies, without building the key.
        self.by_template: dict[str, dict[str, _RouteLatencies]] = {}

    def record(self, event: dict[str, Any], latency_ms: float, *, sampled: bool) -> None:
        route, method = event.get(self._route_field), event.get(self._method_field)
        try:
            per_route = self.by_template[route][method]
        except (KeyError, TypeError):  # TypeError: a list or an object where the route should be
            if type(route) is str and route and "?" not in route and type(method) is str and method:
                per_route = self.for_template(route, method)
            else:
                per_route = self.for_key(*self.name_of(event))
        if sampled:
            per_route.sampled = True
        exact = per_route.pending
        exact[latency_ms] = exact.get(latency_ms, 0) + 1
        if len(exact) >= per_route.flush_at:
            per_route.flush()

    def name_of(self, event: dict[str, Any]) -> tuple[str, bool]:
        """"METHOD route template" and True, or "METHOD raw path" and False when the route is null."""
        method = event.get(self._method_field)
        if type(method) is not str or not method:
            method = "?"
        route = event.get(self._route_field)
        templated = type(route) is str and route != ""
        if not templated:
            route = event.get(self._path_field)
            if type(route) is not str or not route:
                route = "(unknown)"
        key = method + " " + route.partition("?")[0]
        return key[:_MAX_KEY_CHARS], templated

    def for_template(self, route: str, method: str) -> _RouteLatencies:
        """``for_key`` by template and method, remembered in by_template unless it is "(other)"
        (whose keys are the unbounded rest)."""
        key = method + " " + route  # what _route_name gives for a route template
        per_route = self.for_key(key[:_MAX_KEY_CHARS], True)
        # Not remembered either when cut: endless long routes would share one key, each its own entry.
        if per_route is not self._other_route and len(key) <= _MAX_KEY_CHARS:
            self.by_template.setdefault(route, {})[method] = per_route
        return per_route

    def for_key(self, key: str, templated: bool) -> _RouteLatencies:
        """The route's latencies, a new one while there is room, else the shared "(other)"."""
        per_route = self._routes.get(key)
        if per_route is not None:
            return per_route
        if self._route_counts[templated] < self.limits[templated]:
            self._route_counts[templated] += 1
            self.kinds[key] = templated
            per_route = self._routes[key] = _RouteLatencies()
            return per_route
        if self._other_route is None:
            self._other_route = _RouteLatencies()
        return self._other_route

    def summaries(self) -> list[RouteLatency]:
        named = list(self._routes.items())
        if self._other_route is not None:
            named.append((OTHER_ROUTES, self._other_route))
        summaries = [per_route.summary(key) for key, per_route in named]
        return sorted(summaries, key=lambda route: (-route.count, route.route))
