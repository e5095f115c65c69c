-- The load test's request mix for wrk (bench/loadtest.py writes the requests and reads the
-- result line). Arguments: the requests file, one request a line as
-- METHOD<TAB>PATH<TAB>HEADER<TAB>BODY (HEADER is `Name: value` or empty), in the order the
-- virtual users take turns; and the number of wrk threads, so each starts at its own place.

local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

local requests = {}
local next_index = 0
statuses = {}

function init(args)
  local thread_count = tonumber(args[2])
  for line in io.lines(args[1]) do
    local method, path, header, body = line:match("^(%u+)\t([^\t]+)\t([^\t]*)\t(.*)$")
    local headers = { ["Content-Type"] = "application/json" }
    local name, value = header:match("^([^:]+):%s*(.*)$")
    if name then
      headers[name] = value
    end
    if body == "" then
      body = nil
    end
    table.insert(requests, wrk.format(method, path, headers, body))
  end
  next_index = math.floor(#requests * thread_number / thread_count)
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      merged[status] = (merged[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(merged) do
    table.insert(parts, string.format('"%d":%d', status, count))
  end
  local errors = summary.errors
  io.write(string.format(
    'RECLAIM_WRK_RESULT {"duration_us":%d,"requests":%d,"statuses":{%s},'
      .. '"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},'
      .. '"p50_us":%d,"p95_us":%d,"p99_us":%d}\n',
    summary.duration, summary.requests, table.concat(parts, ","),
    errors.connect, errors.read, errors.write, errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)
  ))
end
