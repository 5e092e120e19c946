-- B7 timers: N goroutines (default 100,000) each sleep (cqueues.sleep) a
-- pseudo-random duration in [0, 100) ms (LCG seed 42: x = (x*1103515245 +
-- 12345) % 2^31, d = x % 100000 µs) and record their lateness: wake time
-- (cqueues.monotime) minus the deadline they computed just before sleeping.
-- Main waits (WaitGroup). No warm-up. Extra keys: p50_ms, p99_ms of the
-- lateness (nearest rank). A wake before the deadline is wrong.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local chan = require "chan"
local cqueues = require "cqueues"

chan.run(function (cq)
  local n = chan.args(100000)
  local sleeps = {}
  local x = 42
  for i = 1, n do
    x = (x * 1103515245 + 12345) % (1 << 31)
    sleeps[i] = (x % 100000) / 1e6
  end
  local late = {}
  local wg = chan.waitgroup()
  local sleep, monotime = cqueues.sleep, chan.monotime
  local function sleeper(i)
    local d = sleeps[i]
    local deadline = monotime() + d
    sleep(d)
    late[i] = monotime() - deadline
    wg:done()
  end

  local r = chan.start()
  for i = 1, n do
    wg:add(1)
    cq:wrap(sleeper, i)
  end
  wg:wait()
  local wall, cpu = chan.stop(r)

  for i = 1, n do
    if late[i] < 0 then
      chan.wrong("goroutine %d woke %.6f ms before its deadline", i, -late[i] * 1e3)
    end
  end
  table.sort(late)
  local function ms(p)
    local k = math.max(math.ceil(p * n), 1) -- nearest rank
    return string.format("%.3f", late[k] * 1e3)
  end
  chan.report(wall, cpu, n, "p50_ms=" .. ms(0.50), "p99_ms=" .. ms(0.99))
end)
