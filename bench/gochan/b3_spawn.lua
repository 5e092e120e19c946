--- B3 spawn: N goroutines under a WaitGroup, each adds its index to a
-- shared sum and calls done; main waits. No warm-up; rss_kb = peak RSS.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "common"
local go = require "gochan"

local n = bench.args(1000000)

local wg = go.waitgroup()
local sum = 0
local function worker (i)
  sum = sum + i
  wg:done()
end

local wall, cpu = bench.timed(function ()
  wg:add(n)
  for i = 1, n do go(worker, i) end
  wg:wait()
end)
local want = n * (n + 1) // 2
bench.check(sum == want, "sum %s, want %d", tostring(sum), want)
bench.check(bench.all_finished(), "goroutines left: %d", go.numgoroutine() - 1)
bench.report { wall = wall, cpu = cpu, n = n, rss_kb = bench.status_kb("VmHWM") }
