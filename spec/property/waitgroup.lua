--- (d) WaitGroup. Rounds of workers on one reused WaitGroup: added all at
-- once, one by one, or by workers for sub-workers they start (before
-- their own done); workers block on channels and yield at random. Several
-- goroutines wait, and main. Invariant: wait never returns early: when
-- any wait returns, the count of finished workers equals the round's
-- total.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local P = require "prop"
local go = P.go

P.main(function()
  local wg = go.waitgroup()
  for round = 1, math.random(3, 8) do
    local total, finished = 0, 0
    local gate = go.chan(P.pick({ 0, 1, 3 }))    -- workers pass a token around
    local function worker(depth)
      for _ = 1, math.random(0, 3) do go.yield() end
      if depth < 2 and P.maybe(0.3) then
        local kids = math.random(1, 3)
        total = total + kids
        wg:add(kids)
        P.op()
        for _ = 1, kids do go(worker, depth + 1) end
      end
      if P.maybe(0.5) then
        -- a blocking step: hand a token to whoever takes it
        go.select { go.send(gate, depth), go.recv(gate), default = true }
        P.op()
      end
      finished = finished + 1
      wg:done()
      P.op()
    end

    local n = math.random(1, 12)
    total = n
    if P.maybe(0.5) then
      wg:add(n)
      P.op()
      for _ = 1, n do go(worker, 0) end
    else
      for _ = 1, n do
        wg:add(1)
        P.op()
        go(worker, 0)
      end
    end

    -- extra waiters
    local nwait = math.random(0, 3)
    local back = go.chan(nwait)
    for w = 1, nwait do
      go(function()
        wg:wait()
        P.op()
        P.check(finished == total,
          "round %d: waiter %d returned with %d of %d workers finished", round, w, finished, total)
        back:send(true)
      end)
    end
    wg:wait()
    P.op()
    P.check(finished == total,
      "round %d: main's wait returned with %d of %d workers finished", round, finished, total)
    for _ = 1, nwait do back:recv() end
    -- a wait on a zero counter returns at once
    wg:wait()
    P.check(finished == total, "round %d: second wait", round)
    -- drain the round's token channel so nothing blocks on it
    while go.select { go.recv(gate), default = true } ~= 0 do end
  end
end)
