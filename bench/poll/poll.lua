-- wrk script: rotate over task URLs, each with its own credentials header.
-- Usage: wrk -s poll.lua URL -- TARGETS_FILE   (lines: path<TAB>header name<TAB>header value)
-- done() prints one line "WRKJSON {...}" that run.py parses.
local requests = {}
local counter = 0
local threads = 0

function setup(thread)
  -- Threads start at different places in the list.
  thread:set("offset", threads * 97)
  threads = threads + 1
end

function init(args)
  for line in io.lines(args[1]) do
    local path, name, value = line:match("^([^\t]+)\t([^\t]+)\t(.+)$")
    if path then
      requests[#requests + 1] = wrk.format("GET", path, { [name] = value })
    end
  end
  counter = offset or 0
end

function request()
  counter = counter + 1
  return requests[counter % #requests + 1]
end

function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
