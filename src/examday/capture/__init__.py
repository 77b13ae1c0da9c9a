"""`examday capture DIR`: the post-exam metrics bundle (replaces the platform's capture-metrics.sh).

One JSON file per section plus `capture.json` (index, sources, errors) and a
readable `summary.html`. Each section is read on its own: a dead dependency
costs that section (recorded as an error), never the bundle.
"""
