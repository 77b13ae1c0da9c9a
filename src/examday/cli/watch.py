"""`examday watch`: the during phase on a loop while the exam is live, with a trend page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from examday.cli.output import EXIT_INTERNAL, console, fail
from examday.cli.target import TARGET_HELP, config_or_fail
from examday.config import ExamdayConfig
from examday.report.redaction import Redactor
from examday.facts.record_secrets import run_secrets
from examday.watch.charts import Limits
from examday.watch.durations import DurationError, format_duration, parse_duration
from examday.report.archive import RESULTS_NAME
from examday.watch.alerts import AlertSender
from examday.watch.exposition import MetricsServer, RoundPublisher, listen_address
from examday.watch.summary import RoundSummary
from examday.watch.layout import WatchLayout, new_watch_layout
from examday.watch.live import WatchDisplay
from examday.watch.loop import WatchOutcome, WatchPlan, run_watch
from examday.watch.rounds import RoundOptions
from examday.watch.info import WatchInfo

INTERVAL_HELP = "time between round starts: 90s, 15m, 4h (a bare number is seconds)"
FOR_HELP = "start rounds for this long, e.g. 4h (default: until Ctrl-C)"
ROUND_TIMEOUT_HELP = "a round running longer is stopped and counts as failed"
REPORTS_HELP = "the watch folder goes to DIR/<target>/watch-<time>/ (default: reports/ beside examday.toml)"
METRICS_LISTEN_HELP = "serve the rounds' verdicts for Prometheus at http://HOST:PORT/metrics (e.g. 127.0.0.1:9464)"
METRICS_FILE_HELP = "write them after every round to PATH (node_exporter's textfile collector: a .prom file)"


def watch(interval: str = typer.Option("60s", "--interval", help=INTERVAL_HELP),
          for_: Optional[str] = typer.Option(None, "--for", help=FOR_HELP),
          round_timeout: str = typer.Option("5m", "--round-timeout", help=ROUND_TIMEOUT_HELP),
          target: Optional[Path] = typer.Option(None, "--target", help=TARGET_HELP),
          reports_dir: Optional[Path] = typer.Option(None, "--reports-dir", metavar="DIR", help=REPORTS_HELP),
          operator: Optional[str] = typer.Option(None, "--operator", help="who watches (default: $USER)"),
          attestations: Optional[Path] = typer.Option(None, "--attestations", help="attestation file"),
          strict_attestations: bool = typer.Option(False, "--strict-attestations",
                                                   help="an unattested manual item fails its round"),
          sign_key: Optional[Path] = typer.Option(None, "--sign-key", help="sign every round's record"),
          waivers: Optional[Path] = typer.Option(None, "--waivers", help="waiver file"),
          metrics_listen: Optional[str] = typer.Option(None, "--metrics-listen", metavar="HOST:PORT",
                                                       help=METRICS_LISTEN_HELP),
          metrics_file: Optional[Path] = typer.Option(None, "--metrics-file", metavar="PATH",
                                                      help=METRICS_FILE_HELP)) -> None:
    """Re-run the during phase every --interval: a record per round, a trend page, exit 1 if any round failed."""
    plan = WatchPlan(_duration("--interval", interval), _duration("--for", for_) if for_ else None)
    timeout_s = _duration("--round-timeout", round_timeout)
    for flag, path in (("--sign-key", sign_key), ("--waivers", waivers), ("--attestations", attestations)):
        if path is not None and not path.expanduser().is_file():
            fail(f"{flag} {path}: no such file")
    address = _listen_address(metrics_listen)
    if metrics_file is not None and not metrics_file.absolute().parent.is_dir():
        fail(f"--metrics-file {metrics_file}: its folder does not exist")
    config = config_or_fail(target)
    options = RoundOptions(target=config.source_path or Path("examday.toml").absolute(), timeout_s=timeout_s,
                           operator=operator, attestations=_absolute(attestations),
                           strict_attestations=strict_attestations, sign_key=_absolute(sign_key),
                           waivers=_absolute(waivers), redactor=Redactor(run_secrets(config)))
    info = _info(config, plan, options)
    publisher = _publisher(info, address, metrics_file)
    layout = _layout(reports_dir or options.target.parent / "reports", config, info.started_at)
    try:
        with WatchDisplay(console, _heading(config, plan, layout)) as display:
            outcome = run_watch(plan, options, layout, info, display,
                                _every_round(publisher, _alert_sender(config, info, layout, display)))
    except OSError as error:
        fail(f"could not write under {layout.folder}: {error}", EXIT_INTERNAL)
    finally:
        publisher.close()
    _closing(outcome, layout)
    raise typer.Exit(outcome.exit_code)


def _listen_address(text: Optional[str]) -> Optional[tuple[str, int]]:
    try:
        return listen_address(text) if text is not None else None
    except ValueError as error:
        fail(f"--metrics-listen: {error}")


def _publisher(info: WatchInfo, address: Optional[tuple[str, int]], textfile: Optional[Path]) -> RoundPublisher:
    server = None
    if address is not None:
        try:
            server = MetricsServer(*address)
        except OSError as error:
            fail(f"--metrics-listen {address[0]}:{address[1]}: cannot listen there: {error.strerror or error}")
        console.print(f"metrics for Prometheus: http://{address[0]}:{server.address[1]}/metrics")
    return RoundPublisher(info, server, textfile.absolute() if textfile else None)


def _alert_sender(config: ExamdayConfig, info: WatchInfo, layout: WatchLayout,
                  display: WatchDisplay) -> Optional[AlertSender]:
    """Pages only when the target's own file asks for it ([alertmanager] watch_alerts = true)."""
    cfg = config.alertmanager
    if cfg is None or not cfg.watch_alerts:
        return None
    from examday.probes.alertmanager import AlertmanagerProbe

    return AlertSender(AlertmanagerProbe(cfg.url, cfg.timeout_seconds), info,
                       lambda summary: layout.folder / str(summary.record) / RESULTS_NAME, display.notice)


def _every_round(*listeners: Optional[Callable[[list[RoundSummary]], None]]) -> Callable[[list[RoundSummary]], None]:
    def each(rounds: list[RoundSummary]) -> None:
        for listener in listeners:
            if listener is not None:
                listener(rounds)
    return each


def _duration(flag: str, text: str) -> float:
    try:
        return parse_duration(text)
    except DurationError as error:
        fail(f"{flag}: {error}")


def _absolute(path: Optional[Path]) -> Optional[Path]:
    # Rounds run from the repository's folder: a relative path must not change meaning there.
    return path.expanduser().absolute() if path is not None else None


def _info(config: ExamdayConfig, plan: WatchPlan, options: RoundOptions) -> WatchInfo:
    exam = config.exam.model_dump(mode="json", include={"id", "title", "starts_at", "ends_at"}) if config.exam else None
    return WatchInfo(target_name=config.target.name, target_kind=config.target.kind,
                     config_path=str(options.target), limits=Limits.of(config.thresholds),
                     interval_s=plan.interval_s, duration_s=plan.duration_s,
                     started_at=dt.datetime.now(dt.timezone.utc), exam=exam)


def _layout(reports_dir: Path, config: ExamdayConfig, started: dt.datetime) -> WatchLayout:
    try:
        return new_watch_layout(reports_dir.absolute(), config.target.name, started)
    except OSError as error:
        fail(f"--reports-dir {reports_dir}: cannot create the watch folder there: {error}")


def _heading(config: ExamdayConfig, plan: WatchPlan, layout: WatchLayout) -> str:
    span = f"for {format_duration(plan.duration_s)}" if plan.duration_s else "until Ctrl-C"
    return (f"examday watch: {config.target.name}, a during round every {format_duration(plan.interval_s)} "
            f"{span}; trend: {layout.trend_html}")


def _closing(outcome: WatchOutcome, layout: WatchLayout) -> None:
    if outcome.usage_error is not None:
        fail(f"the during round was refused: {outcome.usage_error}")
    failed = outcome.failed
    how = "finished" if outcome.ended_by == "finished" else f"stopped by {outcome.ended_by}"
    verdict = (f"[bold red]{len(failed)} failed[/] (round {', '.join(str(r.number) for r in failed)})" if failed
               else "[bold green]none failed[/]")
    console.print(f"examday watch {how} after {len(outcome.rounds)} rounds, {verdict}")
    console.print(f"examday watch trend: {escape(str(layout.trend_html))}  rounds: {escape(str(layout.rounds))}")
