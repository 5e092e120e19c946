-- B9 blocked: N goroutines (default 100,000) each blocked receiving from one
-- shared unbuffered channel. Memory is read before starting them and after
-- all are parked (each calls done on a WaitGroup right before it blocks;
-- main wakes from wait only after the last one has parked, as nothing runs
-- in between); then the channel is closed and all must finish. The measured
-- region (wall, cpu) is starting and parking the N goroutines. No warm-up.
-- Extra keys: bytes_per = VmRSS growth / N, heap_per = growth of
-- collectgarbage("count") / N, in bytes (both after a full collection).
package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
local chan = require "chan"

local function heap()
  collectgarbage()
  collectgarbage()
  return collectgarbage("count") * 1024
end

chan.run(function (cq)
  local n = chan.args(100000)
  -- everything that is in both the before and after pictures is made first
  local ch = chan.new()
  local parked, finished = chan.waitgroup(), chan.waitgroup()
  local woke = 0
  parked:add(n)
  finished:add(n)
  local function blocked()
    parked:done()
    local _, ok = ch:recv()
    if not ok then
      woke = woke + 1
    end
    finished:done()
  end

  local mem0 = heap()
  local rss0 = chan.status_kb("VmRSS")

  local r = chan.start()
  for _ = 1, n do
    cq:wrap(blocked)
  end
  parked:wait()
  local wall, cpu = chan.stop(r)

  local mem1 = heap()
  local rss1 = chan.status_kb("VmRSS")
  if ch.rwait ~= n then
    chan.wrong("%d goroutines parked, want %d", ch.rwait, n)
  end

  ch:close()
  finished:wait()
  if woke ~= n then
    chan.wrong("%d goroutines woke, want %d", woke, n)
  end
  chan.report(wall, cpu, n,
    string.format("bytes_per=%.1f", (rss1 - rss0) * 1024 / n),
    string.format("heap_per=%.1f", (mem1 - mem0) / n))
end)
