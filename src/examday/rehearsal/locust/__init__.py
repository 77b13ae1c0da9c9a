"""The rehearsal's students on Locust, the distributed engine (`examday rehearse --engine locust`).

Locust runs on gevent, which monkey-patches the standard library: it must never be imported into
the examday/pytest process. So the Locust master and its workers are child processes (or processes
on other machines), and only the modules named "pure" below are imported by examday itself:

- job (pure): what the master sends every worker (the target, its allowed networks, the plan's
  recipe, the [flow] shapes, the caps), as JSON; a worker rebuilds the same plan from it.
- second_stats (pure): per-second buckets (requests, outcomes by class, an HdrHistogram of
  latency), their merge on the master, the ledger's transport, and the master's report read back
  as a LoadResult, so the drills judge their promises as they do for the built-in engine.
- engine (pure): the examday side: starts the master and local workers, waits, reads the report.
- student_user, nodes, locustfile (gevent): the Locust user class that plays one student, and the
  master/worker coordination; loaded only by `python -m locust -f .../locustfile.py`.
"""
