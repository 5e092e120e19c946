-- B2 stream: one producer goroutine sends 1..N on a channel of capacity 128,
-- then closes it; main ranges over the channel and sums (default N 5,000,000).
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local chan = require "chan"

local function stream(cq, n)
  local ch = chan.new(128)
  cq:wrap(function ()
    for i = 1, n do
      ch:send(i)
    end
    ch:close()
  end)
  local sum = 0
  for v in ch:range() do
    sum = sum + v
  end
  return sum
end

chan.run_sum(5000000, stream)
