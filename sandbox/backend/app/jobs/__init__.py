"""Background jobs, started by cron on the operator's host: `python -m app.jobs.run KEY`."""
