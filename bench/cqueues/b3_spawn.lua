-- B3 spawn: N goroutines (default 1,000,000) started with a WaitGroup; each
-- adds its index to a shared sum and calls done; main waits. No warm-up.
-- Extra key: rss_kb = peak RSS of the process (VmHWM).
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local chan = require "chan"

chan.run(function (cq)
  local n = chan.args(1000000)
  local wg = chan.waitgroup()
  local sum = 0
  local function add(i)
    sum = sum + i
    wg:done()
  end
  local r = chan.start()
  for i = 1, n do
    wg:add(1)
    cq:wrap(add, i)
  end
  wg:wait()
  local wall, cpu = chan.stop(r)
  local want = n * (n + 1) // 2
  if sum ~= want then
    chan.wrong("sum %d, want %d", sum, want)
  end
  chan.report(wall, cpu, n, string.format("rss_kb=%d", chan.status_kb("VmHWM")))
end)
