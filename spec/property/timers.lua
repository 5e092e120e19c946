--- (f) Timers mixed with channels. Producers send with a go.after timeout
-- in a select (a timed-out value is sent again later); consumers receive
-- with a go.after timeout, some slowly (go.sleep), some also watching a
-- Timer they stop or reset. Invariants: no value is lost or duplicated
-- (exactly the values whose send case was chosen are received, each
-- once, per-sender FIFO); a stopped timer never delivers; stop and reset
-- report whether the timer was active.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local P = require "prop"
local go = P.go

local ms = go.millisecond

P.main(function()
  local ch = go.chan(P.pick({ 0, 0, 1, 2 }))
  local nprod, ncons = math.random(1, 3), math.random(1, 3)
  local per = math.random(10, 30)
  local sent, got = {}, {}
  local nsent, nrecvd, timeouts = 0, 0, 0

  local pwg = go.waitgroup()
  for p = 1, nprod do
    pwg:add(1)
    go(function()
      for i = 1, per do
        local v = p * 1000 + i
        while true do
          local idx = go.select {
            go.send(ch, v),
            go.recv(go.after(math.random(1, 20) * 0.1 * ms)),
          }
          P.op()
          if idx == 1 then break end
          P.check(idx == 2, "producer select returned %s", tostring(idx))
          timeouts = timeouts + 1
        end
        P.check(not sent[v], "value %d sent twice", v)
        sent[v] = true
        nsent = nsent + 1
        if P.maybe(0.1) then go.sleep(math.random(0, 5) * 0.1 * ms) end
      end
      pwg:done()
    end)
  end
  go(function() pwg:wait(); ch:close() end)

  local cwg = go.waitgroup()
  for k = 1, ncons do
    cwg:add(1)
    go(function()
      local last = {}
      local slow = P.maybe(0.4)
      local t = go.timer(math.random(1, 10) * 0.1 * ms)
      local tactive, stopped = true, false
      while true do
        local timeout = go.after(math.random(1, 20) * 0.1 * ms)
        local cases = { go.recv(ch), go.recv(timeout), go.recv(t.C) }
        local idx, v, ok = go.select(cases)
        P.op()
        if idx == 1 then
          if not ok then break end
          P.check(not got[v], "value %d received twice", v)
          got[v] = true
          nrecvd = nrecvd + 1
          local p, seq = v // 1000, v % 1000
          P.check((last[p] or 0) < seq, "FIFO broken: consumer %d got %d after seq %d",
            k, v, last[p] or 0)
          last[p] = seq
          if slow then go.sleep(math.random(0, 5) * 0.1 * ms) end
        elseif idx == 2 then
          P.check(type(v) == "number" and ok == true, "go.after gave %s, %s",
            tostring(v), tostring(ok))
          timeouts = timeouts + 1
        else
          P.check(idx == 3, "consumer select returned %s", tostring(idx))
          P.check(not stopped, "consumer %d: a stopped timer delivered a value", k)
          P.check(tactive, "consumer %d: an inactive timer delivered a value", k)
          tactive = false
        end
        -- now and then stop or reset the timer
        local r = math.random(10)
        if r == 1 then
          local was = t:stop()
          P.check(was == tactive, "consumer %d: stop returned %s, timer active %s",
            k, tostring(was), tostring(tactive))
          tactive, stopped = false, true
        elseif r == 2 then
          local was = t:reset(math.random(1, 10) * 0.1 * ms)
          P.check(was == tactive, "consumer %d: reset returned %s, timer active %s",
            k, tostring(was), tostring(tactive))
          tactive, stopped = true, false
        end
      end
      -- a stopped timer never delivers, even long after it was due
      if stopped then
        go.sleep(1.5 * ms)
        local idx = go.select { go.recv(t.C), default = true }
        P.check(idx == 0, "consumer %d: a stopped timer delivered after the fact", k)
      else
        t:stop()
      end
      cwg:done()
    end)
  end

  cwg:wait()
  local want = nprod * per
  P.check(nsent == want, "sent %d values, want %d", nsent, want)
  P.check(nrecvd == want, "received %d values, want %d", nrecvd, want)
  for v in pairs(sent) do P.check(got[v], "value %d sent, never received (lost)", v) end
  for v in pairs(got) do P.check(sent[v], "value %d received, its send case never chosen", v) end
end)
