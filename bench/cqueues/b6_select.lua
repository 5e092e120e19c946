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

chan.run_sum(1000000, select_sum)
