--- B9 blocked goroutines: N goroutines each blocked receiving from one
-- shared unbuffered channel. Measured once all are parked: bytes_per =
-- VmRSS growth / N, heap_per = Lua heap growth (after a full collection) / N;
-- wall and cpu of starting and parking them. Then close releases them all,
-- and each must have finished. No warm-up.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "common"
local go = require "gochan"

local n = bench.args(100000)

local ch = go.chan()
local finished = 0
local function waiter ()
  local _, ok = ch:recv()
  if not ok then finished = finished + 1 end
end

collectgarbage("collect")
collectgarbage("collect")
local heap0, rss0 = collectgarbage("count"), bench.status_kb("VmRSS")
local wall, cpu = bench.timed(function ()
  for _ = 1, n do go(waiter) end
  go.yield()  -- each runs once, up to its ch:recv()
end)
bench.check(go.numgoroutine() == n + 1, "%d goroutines, want %d", go.numgoroutine(), n + 1)
collectgarbage("collect")
collectgarbage("collect")
local heap1, rss1 = collectgarbage("count"), bench.status_kb("VmRSS")

ch:close()
bench.check(bench.all_finished(), "goroutines left after close: %d", go.numgoroutine() - 1)
bench.check(finished == n, "%d goroutines finished, want %d", finished, n)
bench.report { wall = wall, cpu = cpu, n = n,
               bytes_per = (rss1 - rss0) * 1024 / n, heap_per = (heap1 - heap0) * 1024 / n }
