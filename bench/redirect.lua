-- wrk script of bench/redirect_bench.py: GET /r/<code> over the codes listed in the file
-- given after "--", as a browser would; counts the requests sent per thread and prints a
-- JSON summary at the end.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local path = args[1]
  requests_ = {}
  for code in io.lines(path) do
    table.insert(requests_, wrk.format("GET", "/r/" .. code, {
      ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
      ["Accept"] = "text/html",
    }))
  end
  position = math.random(#requests_)
  sent = 0
end

function request()
  sent = sent + 1
  position = position % #requests_ + 1
  return requests_[position]
end

function done(summary, latency, requests)
  local total_sent = 0
  for _, thread in ipairs(threads) do
    total_sent = total_sent + thread:get("sent")
  end
  io.write(string.format(
    'WRK_JSON {"requests": %d, "sent": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"errors_connect": %d, "errors_read": %d, "errors_write": %d, "errors_status": %d, ' ..
    '"errors_timeout": %d}\n',
    summary.requests, total_sent, summary.duration, latency:percentile(50),
    latency:percentile(99), summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
end
