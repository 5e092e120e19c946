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

chan.run(function (cq)
  local n = chan.args(5000000)
  local w = n // 10
  if w > 0 then
    local got, want = stream(cq, w), w * (w + 1) // 2
    if got ~= want then
      chan.wrong("warm-up sum %d, want %d", got, want)
    end
  end
  local r = chan.start()
  local sum = stream(cq, n)
  local wall, cpu = chan.stop(r)
  local want = n * (n + 1) // 2
  if sum ~= want then
    chan.wrong("sum %d, want %d", sum, want)
  end
  chan.report(wall, cpu, n)
end)
