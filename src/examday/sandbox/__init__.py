"""The sandbox: a local stand-in of the exam platform, run with Docker Compose.

Modules, one concern each: `layout` (names, paths, ports), `errors`, `pki` (the
local CA), `state` (generated files under sandbox/.state), `images` (building the
images without a registry), `compose` (running docker compose), `platform`
(facts about the running stack), `lifecycle` (up/down/status), `stages` (the
runbook's timeline) and `faults` (reversible breakage).
"""
