"""May the drills run against this target? Each refusal names its reason.

The drills stop Redis, kill backend workers, restart the backend, freeze the database, restart
the whole platform and roll it back to its previous images.
They run only when:
- the target's file opts in: [rehearsal] allowed = true, with allowed_by and allowed_because;
- the target is not of kind production (unless the operator forces it on the command line);
- every container they touch is named in that file: [docker.containers] defaults to
  production's names, so a staging file that forgot to rename them would drill production;
- none of those containers is one that a production target's file (--production-target) names.
"""

from __future__ import annotations

from examday.config import ExamdayConfig

# What the drills stop, kill, restart, freeze and redeploy (the full restart stops all of them).
DRILLED_ROLES = ("postgres", "redis", "backend", "frontend", "proxy")


def drill_refusals(config: ExamdayConfig, production: ExamdayConfig | None = None,
                   forced: bool = False) -> list[str]:
    """Why the drills must not run against `config` (empty: they may)."""
    rehearsal, name = config.rehearsal, config.target.name
    refusals = []
    if rehearsal is None or not rehearsal.allowed:
        refusals.append(f"{name} does not opt in to drills: set [rehearsal] allowed = true, allowed_by and "
                        "allowed_because in its file")
    if config.target.kind == "production" and not forced:
        refusals.append(f"{name} is a production target: rehearse on staging or the sandbox, or pass "
                        "--i-know-this-is-production if this really is intended")
    containers = config.docker.containers
    defaulted = [f"{role} ({getattr(containers, role)})" for role in DRILLED_ROLES
                 if getattr(containers, role) and role not in containers.model_fields_set]
    if defaulted:
        refusals.append(f"the drills would touch containers by their default names, which are production's: "
                        f"{', '.join(defaulted)}; name each in {name}'s [docker.containers]")
    if production is not None:
        theirs = {n for n in production.docker.containers.model_dump().values() if isinstance(n, str)}
        shared = [getattr(containers, role) for role in DRILLED_ROLES if getattr(containers, role) in theirs]
        if shared:
            refusals.append(f"the drills would touch {', '.join(shared)}, which the production target "
                            f"{production.target.name} names too")
    return refusals
