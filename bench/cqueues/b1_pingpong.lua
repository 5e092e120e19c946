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

chan.run(function (cq)
  local n = chan.args(1000000)
  local w = n // 10
  if w > 0 then
    local got, want = pingpong(cq, w), w * (w + 1) // 2
    if got ~= want then
      chan.wrong("warm-up sum %d, want %d", got, want)
    end
  end
  local r = chan.start()
  local sum = pingpong(cq, n)
  local wall, cpu = chan.stop(r)
  local want = n * (n + 1) // 2
  if sum ~= want then
    chan.wrong("sum %d, want %d", sum, want)
  end
  chan.report(wall, cpu, n)
end)
