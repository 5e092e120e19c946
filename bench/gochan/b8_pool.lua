--- B8 worker pool: 8 workers read jobs from a jobs channel (cap 128) and
-- send job * 2 + 1 to a results channel (cap 128); a feeder goroutine sends
-- 1..N and closes jobs; a closer goroutine closes results once the workers
-- are done (WaitGroup); main sums the results.
--   MODE 1 (default): everything in one Lua state (one OS thread).
--   MODE 2: the 8 workers are goroutines of 2 go.threads (4 each) over the
--           shared channels and WaitGroup; main feeds and collects.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "common"
local go = require "gochan"

local n, mode = bench.args(1000000)
mode = mode or "1"
bench.check(mode == "1" or mode == "2", "MODE must be 1 or 2, not %s", mode)

local function worker (jobs, results, wg)
  for job in jobs:range() do results:send(job * 2 + 1) end
  wg:done()
end

-- the function of a go.thread: start k workers there (the thread ends when
-- they have all finished)
local function start_workers (k, jobs, results, wg)
  for _ = 1, k do go(worker, jobs, results, wg) end
end

local function pool (count)
  local jobs, results, wg = go.chan(128), go.chan(128), go.waitgroup()
  wg:add(8)
  local threads = {}
  if mode == "1" then
    start_workers(8, jobs, results, wg)
  else
    for t = 1, 2 do threads[t] = go.thread(start_workers, 4, jobs, results, wg) end
  end
  go(function ()
    for i = 1, count do jobs:send(i) end
    jobs:close()
  end)
  go(function ()
    wg:wait()
    results:close()
  end)
  local sum = 0
  for v in results:range() do sum = sum + v end
  for _, th in ipairs(threads) do th:join() end
  return sum
end

bench.run_sum(n, pool, n * (n + 1) + n)
