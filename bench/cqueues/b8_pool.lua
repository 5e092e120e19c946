-- B8 pool: 8 worker goroutines read jobs from a jobs channel (cap 128) and
-- send job*2+1 to a results channel (cap 128); a feeder goroutine sends 1..N
-- and closes jobs; a closer goroutine closes results when the workers are
-- done (WaitGroup); main sums the results. Default N 1,000,000.
-- MODE "1" (default) only: cqueues runs on one OS thread; MODE "2" (two OS
-- threads over shared channels) has no cqueues counterpart: wrong=unsupported,
-- exit status 2.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local chan = require "chan"

local workers = 8

local function pool(cq, n)
  local jobs, results = chan.new(128), chan.new(128)
  cq:wrap(function ()
    for i = 1, n do
      jobs:send(i)
    end
    jobs:close()
  end)
  local wg = chan.waitgroup()
  for _ = 1, workers do
    wg:add(1)
    cq:wrap(function ()
      for j in jobs:range() do
        results:send(j * 2 + 1)
      end
      wg:done()
    end)
  end
  cq:wrap(function ()
    wg:wait()
    results:close()
  end)
  local sum = 0
  for v in results:range() do
    sum = sum + v
  end
  return sum
end

local n, mode = chan.args(1000000)
if mode ~= "" and mode ~= "1" then
  io.stdout:write("wrong=unsupported\n")
  io.stderr:write("b8_pool: MODE ", mode, ": cqueues runs its goroutines on one OS thread\n")
  os.exit(2)
end

chan.run(function (cq)
  local w = n // 10
  if w > 0 then
    local got, want = pool(cq, w), w * (w + 1) + w
    if got ~= want then
      chan.wrong("warm-up sum %d, want %d", got, want)
    end
  end
  local r = chan.start()
  local sum = pool(cq, n)
  local wall, cpu = chan.stop(r)
  local want = n * (n + 1) + n
  if sum ~= want then
    chan.wrong("sum %d, want %d", sum, want)
  end
  chan.report(wall, cpu, n)
end)
