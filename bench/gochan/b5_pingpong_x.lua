--- B5 ping-pong across OS threads: as B1, but the goroutine that replies is
-- a go.thread (its own Lua state and OS thread); the channels are shared.
-- The thread is started, and the warm-up round trips made, before the
-- measured region.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "common"
local go = require "gochan"

local n = bench.args(200000)

local function replier (ping, pong)  -- runs in the thread
  local count = 0
  for v in ping:range() do
    pong:send(v + 1)
    count = count + 1
  end
  return count
end

local ping, pong = go.chan(), go.chan()
local th = go.thread(replier, ping, pong)

local function rounds (count)
  local sum = 0
  for i = 1, count do
    ping:send(i)
    sum = sum + pong:recv()
  end
  return sum
end

local warm = bench.warmup(n)
rounds(warm)
local sum
local wall, cpu = bench.timed(function () sum = rounds(n) end)
ping:close()
local served = th:join()
local want = n * (n + 1) // 2 + n
bench.check(sum == want, "sum %s, want %d", tostring(sum), want)
bench.check(served == warm + n, "thread served %s round trips, want %d", tostring(served), warm + n)
bench.check(bench.all_finished(), "goroutines left: %d", go.numgoroutine() - 1)
bench.report { wall = wall, cpu = cpu, n = n }
