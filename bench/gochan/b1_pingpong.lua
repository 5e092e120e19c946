--- B1 ping-pong: main and one goroutine over 2 unbuffered channels; main
-- sends i, the goroutine replies i + 1; N round trips.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "common"
local go = require "gochan"

local n = bench.args(1000000)

local function pingpong (rounds)
  local ping, pong = go.chan(), go.chan()
  go(function ()
    for v in ping:range() do pong:send(v + 1) end
  end)
  local sum = 0
  for i = 1, rounds do
    ping:send(i)
    sum = sum + pong:recv()
  end
  ping:close()
  return sum
end

bench.run_sum(n, pingpong, n * (n + 1) // 2 + n)
