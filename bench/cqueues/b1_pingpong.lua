-- B1 pingpong: main and one goroutine over two unbuffered channels; main
-- sends i, the goroutine replies i+1; N round trips (default 1,000,000).
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local chan = require "chan"

-- pingpong runs n round trips and returns the sum of the replies.
local function pingpong(cq, n)
  local ping, pong = chan.new(), chan.new()
  cq:wrap(function ()
    for v in ping:range() do
      pong:send(v + 1)
    end
  end)
  local sum = 0
  for i = 0, n - 1 do
    ping:send(i)
    sum = sum + pong:recv()
  end
  ping:close()
  return sum
end

chan.run_sum(1000000, pingpong)
