-- wrk script for the benchmark (bench/run.py sets the environment).
--   BENCH_METHOD, BENCH_BODY, BENCH_COOKIE: a fixed request (GET pages, POST /track, the baseline insert)
--   BENCH_FILING=1: file a complaint through the real form, two posts per filing:
--     POST /file/complaint (validated form + CSRF token) -> 302 to /file/review/<draft>,
--     POST /file/submit/<draft> (CSRF) -> 302 to /file/done/<number>.
--   Run with as many connections as threads: each thread files one complaint at a time.
-- done() prints one JSON line that bench/run.py reads.

local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local cookie = os.getenv("BENCH_COOKIE")
local csrf = os.getenv("BENCH_CSRF") or ""
local filing = os.getenv("BENCH_FILING") == "1"

local headers = {}
if cookie then headers["Cookie"] = cookie end
if body then headers["Content-Type"] = "application/x-www-form-urlencoded" end

local pending_submit = nil
local filed = 0
local failed = 0

function request()
  if filing then
    if pending_submit then
      local path = pending_submit
      pending_submit = nil
      return wrk.format("POST", path, headers, "csrf_token=" .. csrf)
    end
    return wrk.format("POST", "/file/complaint", headers, body)
  end
  return wrk.format(method, nil, headers, body)
end

function response(status, response_headers, response_body)
  if not filing then return end
  local location = response_headers["Location"] or response_headers["location"] or ""
  local draft = string.match(location, "/file/review/([%w_-]+)")
  if status == 302 and draft then
    pending_submit = "/file/submit/" .. draft
  elseif status == 302 and string.find(location, "/file/done/", 1, true) then
    filed = filed + 1
  else
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.2f, "p50_ms": %.2f, "p99_ms": %.2f, "errors": %d, "non_2xx_3xx": %d}\n',
    summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, errors, summary.errors.status))
end
