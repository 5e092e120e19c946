-- B4 sieve: the Go tour's concurrent prime sieve. generate(2, 3, 4, ...)
-- feeds a chain of filter goroutines over unbuffered channels; main takes
-- the first N primes (default 2000; the 2000th is 17389) and checks the last
-- one against a plain sieve of Eratosthenes. As in the tour, the chain is
-- left blocked when main has its primes (chan.run ends with main).
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local chan = require "chan"

-- generate sends 2, 3, 4, ... to ch.
local function generate(ch)
  local i = 2
  while true do
    ch:send(i)
    i = i + 1
  end
end

-- filter copies the values from inch to out, removing those divisible by prime.
local function filter(inch, out, prime)
  while true do
    local i = inch:recv()
    if i % prime ~= 0 then
      out:send(i)
    end
  end
end

-- sieve returns the n-th prime.
local function sieve(cq, n)
  local ch = chan.new()
  cq:wrap(generate, ch)
  local prime = 0
  for _ = 1, n do
    prime = ch:recv()
    local ch1 = chan.new()
    cq:wrap(filter, ch, ch1, prime)
    ch = ch1
  end
  return prime
end

-- plain returns the n-th prime by a sieve of Eratosthenes.
local function plain(n)
  local limit = 64
  while true do
    local composite, count = {}, 0
    for i = 2, limit do
      if not composite[i] then
        count = count + 1
        if count == n then
          return i
        end
        for j = i * i, limit, i do
          composite[j] = true
        end
      end
    end
    limit = limit * 2
  end
end

chan.run(function (cq)
  local n = chan.args(2000)
  local w = n // 10
  if w > 0 then
    local got, want = sieve(cq, w), plain(w)
    if got ~= want then
      chan.wrong("warm-up prime %d, want %d", got, want)
    end
  end
  local r = chan.start()
  local prime = sieve(cq, n)
  local wall, cpu = chan.stop(r)
  local want = plain(n)
  if prime ~= want then
    chan.wrong("prime %d, want %d", prime, want)
  end
  chan.report(wall, cpu, n)
end)
