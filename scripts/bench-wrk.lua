-- wrk script for scripts/bench.sh: POST the point select with a random primary key.
-- Environment: BENCH_SQL, BENCH_ROWS (keys are 1..rows), BENCH_TOKEN (bearer, optional),
-- BENCH_COLO (X-Colo, optional). done() prints one line "BENCH-JSON {...}" with the figures.
local sql = os.getenv("BENCH_SQL")
local rows = tonumber(os.getenv("BENCH_ROWS"))
local token = os.getenv("BENCH_TOKEN") or ""
local colo = os.getenv("BENCH_COLO") or ""

function setup(thread)
  thread:set("seed", math.random(1, 1000000000))
end

function init(args)
  math.randomseed(seed)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end
  if colo ~= "" then wrk.headers["X-Colo"] = colo end
end

function request()
  return wrk.format(nil, nil, nil, string.format('{"sql":"%s","params":[%d]}', sql, math.random(1, rows)))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH-JSON {"requests":%d,"seconds":%.3f,"p50Ms":%.3f,"p90Ms":%.3f,"p99Ms":%.3f,"maxMs":%.3f,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, e.connect, e.read, e.write, e.status, e.timeout))
end
