--- B5 stream across OS threads: as B2, but the producer is a go.thread
-- sending 1..N on a shared channel of capacity 128; main receives (range)
-- and sums. The thread waits on a start channel, so that its start-up is
-- not measured.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "common"
local go = require "gochan"

local n = bench.args(2000000)

local function producer (start, ch, count)  -- runs in the thread
  start:recv()
  for i = 1, count do ch:send(i) end
  ch:close()
end

local function stream (count, measure)
  local start, ch = go.chan(), go.chan(128)
  local th = go.thread(producer, start, ch, count)
  local sum = 0
  local wall, cpu = measure(function ()
    start:send(true)
    for v in ch:range() do sum = sum + v end
  end)
  th:join()
  local want = count * (count + 1) // 2
  bench.check(sum == want, "sum %s, want %d", tostring(sum), want)
  return wall, cpu
end

stream(bench.warmup(n), function (body) body() end)
local wall, cpu = stream(n, bench.timed)
bench.check(bench.all_finished(), "goroutines left: %d", go.numgoroutine() - 1)
bench.report { wall = wall, cpu = cpu, n = n }
