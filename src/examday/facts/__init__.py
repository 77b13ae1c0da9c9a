"""Facts about the platform as the runbook speaks of them, built from probes.

Between the probes (one thing examined each) and the checks (one runbook item
each): "the configured exam mode", "the background jobs that will run",
"connection capacity" each combine probe readings and the target's config, and
know nothing of pytest. Keeping them here keeps checks/ a readable checklist.
"""
