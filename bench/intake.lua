-- wrk script for the single-intake benchmark (bench/run.py drives it; docs/benchmarks.md).
--
--   wrk -t1 -c16 -d20s -s bench/intake.lua URL -- RUN TOKEN
--
-- Every request is a distinct contact (unique email and a valid, unique US phone), so the
-- duplicate check never fires and every post goes the whole way through the pipeline. RUN
-- keeps the numbers of successive runs apart in the same database (bench/pace.py's SLOT).
-- The same body goes to the bare baseline, so both sides parse the same JSON.
-- At the end it prints one line, `BENCH_JSON {...}`, with the figures bench/run.py reads.

local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local counter = 0
local run = 0
local npas = { 212, 305, 415, 512, 617, 702, 727, 813, 202, 303, 404, 503, 602, 704, 801, 919 }

function init(args)
  run = tonumber(args[1]) or 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[2] and args[2] ~= "" then
    wrk.headers["token"] = args[2]
  end
end

function request()
  counter = counter + 1
  -- Up to 4 threads x 250,000 requests per run; the numbers repeat after 128 runs (128M
  -- distinct: 8M per area code). At 4,000,000 per run they repeated after 32, and a bench
  -- with more (BENCH_ROUNDS=16: 37) posted its last rounds' people again: merges, not
  -- new persons, on the careful path (docs/benchmarks.md, session 6).
  local idx = run * 1000000 + (tid or 0) * 250000 + counter
  local npa = npas[math.floor(idx / 8000000) % #npas + 1]
  local nxx = 200 + math.floor(idx / 10000) % 800
  local line = idx % 10000
  local body = string.format(
    '{"email":"w%d@bench.example.com","phone":"%d%d%04d","firstname":"Bench","zipcode":"33602"}',
    idx, npa, nxx, line
  )
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"rps":%.2f,"non2xx":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,' ..
    '"p50_ms":%.3f,"p95_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    errors.status, errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000
  ))
end
