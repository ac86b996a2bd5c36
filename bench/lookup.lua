-- wrk script for the lookup rows: GET /v1/orders/{order} over random orders
-- PREFIX1..PREFIXN, with a bearer key.  The requests are built once per
-- thread in init() so that Lua costs nothing per request; the same script
-- drives the hello-world ceiling (which answers any path).
--   wrk -t2 -c64 -d10s -s lookup.lua http://127.0.0.1:PORT -- KEY N PREFIX
-- done() prints one key=value line that run.sh parses.

local reqs = {}
local nreqs = 20000
local idx = 0

function init(args)
   local key = args[1] or ""
   local n = tonumber(args[2] or "1000")
   local prefix = args[3] or "o"
   math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0))
   local headers = { ["Authorization"] = "Bearer " .. key }
   for i = 1, nreqs do
      reqs[i] = wrk.format("GET", "/v1/orders/" .. prefix .. math.random(1, n), headers)
   end
end

function request()
   idx = idx % nreqs + 1
   return reqs[idx]
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format("requests_per_s=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f errors=%d non2xx=%d\n",
      summary.requests / (summary.duration / 1e6),
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
      e.connect + e.read + e.write + e.timeout, e.status))
end
