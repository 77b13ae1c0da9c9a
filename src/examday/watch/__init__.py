"""`examday watch`: the during phase on a loop, while the exam is live.

One round is one `pytest -m during` run in a subprocess, leaving its own
record. After every round the trend page (trend.html: inline SVG charts of
p95, error rate, pool usage, CPU and memory, and a table of rounds linking
each record) and its data (trend.json) are rewritten.

Modules, one concern each: durations (`90s`, `15m`, `4h`), layout (where a
watch writes), summary (a round's record read into a RoundSummary), rounds
(running one round), scales and svg (the charts), trend (the page and its
JSON), stopping (Ctrl-C and SIGTERM), live (the terminal table), loop (the
schedule).
"""
