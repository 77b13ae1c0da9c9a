# The jq baseline of bench/bench_logs.py: p95 latency and error rate of a JSON-lines backend log.
#
#   jq -n -R -c -f bench/logs_jq.jq backend.log
#
# Same rules as examday: request.end events only; the latency is duration_ms (total_ms when
# that is absent), status_code an HTTP status; the sampled paths (/health, /metrics,
# /v1/health, /; query string ignored) are left out; lines that are not JSON are skipped.
#
# Filter first (a substring test, then the parse), then compute. The only thing held is the
# state of one reduce: [5xx count, latency, latency, ...], since the sort behind the percentile
# needs every latency. The state is that bare array, updated with `.[i] = v`, which jq 1.6 does
# in place; an array inside an object (`.durations += [v]`) would be copied on every line.
# p95 is the nearest rank, as HdrHistogram takes it.
def sampled: {"/health": true, "/metrics": true, "/v1/health": true, "/": true};
reduce (
  inputs
  | select(contains("\"request.end\""))
  | fromjson?
  | select(type == "object" and .event == "request.end")
  | [(if .duration_ms != null then .duration_ms else .total_ms end),
     .status_code,
     (if (.path | type) == "string" then .path else .route end)]
  | select((.[0] | type) == "number" and .[0] >= 0
           and (.[1] | type) == "number" and .[1] >= 100 and .[1] <= 599)
  | select((.[2] | type) != "string" or (sampled[.[2] | split("?")[0]] | not))
) as $r (
  [0];
  .[length] = $r[0] | .[0] = .[0] + (if $r[1] >= 500 then 1 else 0 end)
)
| (length - 1) as $n
| if $n == 0 then {requests: 0, p95_ms: null, error_rate: null}
  else .[0] as $errors
  | (.[1:] | sort) as $sorted
  | ([((0.95 * $n) + 0.5 | floor), 1] | max) as $rank
  | {requests: $n, p95_ms: $sorted[$rank - 1], error_rate: ($errors / $n)}
  end
