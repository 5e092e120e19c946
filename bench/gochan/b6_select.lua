--- B6 select: 4 channels of capacity 128, 4 producer goroutines each send
-- N/4 items then close their channel; main selects over the 4 receives,
-- switching a closed channel's case off (a nil channel, as in Go) until all
-- 4 are closed, and sums.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "common"
local go = require "gochan"

local n = bench.args(1000000)

local function producer (ch, from, to)
  for i = from, to do ch:send(i) end
  ch:close()
end

local function fan_in (count)
  local cases = {}
  local per = count // 4
  for k = 1, 4 do
    local ch = go.chan(128)
    local from = (k - 1) * per + 1
    go(producer, ch, from, k == 4 and count or k * per)
    cases[k] = go.recv(ch)
  end
  local sum, open = 0, 4
  while open > 0 do
    local k, v, ok = go.select(cases)
    if ok then
      sum = sum + v
    else
      cases[k] = go.recv(nil)  -- closed: this case never proceeds again
      open = open - 1
    end
  end
  return sum
end

bench.run_sum(n, fan_in, n * (n + 1) // 2)
