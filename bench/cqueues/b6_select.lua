-- B6 select: 4 channels of capacity 128; producer k sends its quarter of
-- 1..N on channel k, then closes it; main selects over the 4 receives
-- (chan.select: one cqueues.poll over the 4 channels' conditions when none
-- is ready), setting a closed channel to nil, until all 4 are closed, and
-- sums. Default N 1,000,000.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local chan = require "chan"

local function produce(ch, lo, hi)
  for i = lo, hi do
    ch:send(i)
  end
  ch:close()
end

local function select_sum(cq, n)
  local chs = {}
  for k = 0, 3 do
    chs[k + 1] = chan.new(128)
    cq:wrap(produce, chs[k + 1], k * n // 4 + 1, (k + 1) * n // 4)
  end
  local select = chan.select
  local sum, open = 0, 4
  while open > 0 do
    local i, v, ok = select(chs, 4)
    if ok then
      sum = sum + v
    else
      chs[i] = nil
      open = open - 1
    end
  end
  return sum
end

chan.run(function (cq)
  local n = chan.args(1000000)
  local w = n // 10
  if w > 0 then
    local got, want = select_sum(cq, w), w * (w + 1) // 2
    if got ~= want then
      chan.wrong("warm-up sum %d, want %d", got, want)
    end
  end
  local r = chan.start()
  local sum = select_sum(cq, n)
  local wall, cpu = chan.stop(r)
  local want = n * (n + 1) // 2
  if sum ~= want then
    chan.wrong("sum %d, want %d", sum, want)
  end
  chan.report(wall, cpu, n)
end)
