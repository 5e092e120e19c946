--- B7 timers: N goroutines each sleep a pseudo-random duration in
-- [0, 100) ms (LCG from seed 42: x = (x * 1103515245 + 12345) % 2^31,
-- d = x % 100000 µs) and record their lateness: wake time minus (the time
-- they started sleeping + d). Main waits (WaitGroup). No warm-up.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "common"
local go = require "gochan"

local n = bench.args(100000)

local durations, late = {}, {}
local x = 42
for i = 1, n do
  x = (x * 1103515245 + 12345) % 2147483648
  durations[i] = (x % 100000) * go.microsecond
  late[i] = false  -- the run appends nothing
end

local wg = go.waitgroup()
local function sleeper (i)
  local d = durations[i]
  local start = go.now()
  go.sleep(d)
  late[i] = go.now() - (start + d)
  wg:done()
end

local wall, cpu = bench.timed(function ()
  wg:add(n)
  for i = 1, n do go(sleeper, i) end
  wg:wait()
end)

local early = 0
for i = 1, n do
  bench.check(late[i], "goroutine %d never woke", i)
  if late[i] < 0 then early = early + 1 end
end
bench.check(early == 0, "%d goroutines woke before their deadline", early)
bench.check(bench.all_finished(), "goroutines left: %d", go.numgoroutine() - 1)
table.sort(late)
bench.report { wall = wall, cpu = cpu, n = n,
               p50_ms = late[math.ceil(n * 0.5)] * 1e3, p99_ms = late[math.ceil(n * 0.99)] * 1e3 }
