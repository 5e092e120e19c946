--- B4 the Go tour's concurrent prime sieve: generate(2, 3, 4, ...) feeds a
-- chain of filter goroutines over unbuffered channels; main takes the first
-- N primes. The goroutines are left blocked at the end, as in Go.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local bench = require "common"
local go = require "gochan"

local n = bench.args(2000)

local function generate (ch)
  local i = 2
  while true do
    ch:send(i)
    i = i + 1
  end
end

local function filter (inp, out, prime)
  for i in inp:range() do
    if i % prime ~= 0 then out:send(i) end
  end
end

local function sieve (count)
  local ch = go.chan()
  go(generate, ch)
  local prime
  for _ = 1, count do
    prime = ch:recv()
    local ch1 = go.chan()
    go(filter, ch, ch1, prime)
    ch = ch1
  end
  return prime
end

-- the N-th prime by a plain sieve of Eratosthenes
local function nth_prime (count)
  local limit = 64
  while true do
    local composite, found = {}, 0
    for i = 2, limit do
      if not composite[i] then
        found = found + 1
        if found == count then return i end
        for j = i * i, limit, i do composite[j] = true end
      end
    end
    limit = limit * 2
  end
end

sieve(bench.warmup(n))
local last
local wall, cpu = bench.timed(function () last = sieve(n) end)
local want = nth_prime(n)
bench.check(last == want, "prime #%d is %s, want %d", n, tostring(last), want)
bench.report { wall = wall, cpu = cpu, n = n }
