-- wrk script for bench/ingest.py: POSTs pre-signed Twilio webhook bodies, each used once.
-- BENCH_BODIES: a file of "<signature>\t<urlencoded body>" lines; thread n takes lines n, n+T, ...
-- BENCH_PATH: the path to POST to; BENCH_THREADS: wrk's -t.
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  local nthreads = tonumber(os.getenv("BENCH_THREADS"))
  path = os.getenv("BENCH_PATH")
  sigs, bodies = {}, {}
  local i = 0
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    if i % nthreads == tid then
      local tab = line:find("\t", 1, true)
      sigs[#sigs + 1] = line:sub(1, tab - 1)
      bodies[#bodies + 1] = line:sub(tab + 1)
    end
    i = i + 1
  end
  pos, sent, ok, other, wrapped = 0, 0, 0, 0, 0
end

function request()
  pos = pos + 1
  if pos > #bodies then
    pos, wrapped = 1, wrapped + 1
  end
  sent = sent + 1
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["X-Twilio-Signature"] = sigs[pos],
  }, bodies[pos])
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local sent_, ok_, other_, wrapped_ = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    sent_ = sent_ + t:get("sent")
    ok_ = ok_ + t:get("ok")
    other_ = other_ + t:get("other")
    wrapped_ = wrapped_ + t:get("wrapped")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"duration_us": %d, "requests": %d, "sent": %d, "ok200": %d, "non200": %d, ' ..
    '"wrapped": %d, "errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
    '"p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.duration, summary.requests, sent_, ok_, other_, wrapped_,
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
