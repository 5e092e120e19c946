--- B2 stream: a producer goroutine sends 1..N on a channel of capacity
-- 128, then closes it; main receives until closed (range) and sums.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "common"
local go = require "gochan"

local n = bench.args(5000000)

local function stream (count)
  local ch = go.chan(128)
  go(function ()
    for i = 1, count do ch:send(i) end
    ch:close()
  end)
  local sum = 0
  for v in ch:range() do sum = sum + v end
  return sum
end

bench.run_sum(n, stream, n * (n + 1) // 2)
