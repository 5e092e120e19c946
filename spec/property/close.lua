--- (b) close. Senders send until they are done or the channel is closed
-- under them; a closer closes it at a random moment. Invariants: exactly
-- the values whose send returned are received, each once; a send that
-- raised raised 'send on closed channel' and its value is never
-- received; once a receiver has seen nil, false it never receives a value
-- again (recv, select, range all agree); range loops end; receivers
-- blocked on an empty channel when it is closed all get nil, false;
-- closing twice raises 'close of closed channel'.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local P = require "prop"
local go = P.go

local function has(msg, text)
  return string.find(tostring(msg), text, 1, true) ~= nil
end

P.main(function()
  local cap = P.pick({ 0, 0, 1, 2, 3 })
  local ch = go.chan(cap)
  local nsend = math.random(1, 4)
  local maxper = math.random(5, 40)
  local nrecv = math.random(1, 5)

  local ok_sent, got = {}, {}
  local nok, nfailed, nrecvd = 0, 0, 0
  local closed = false

  local wg = go.waitgroup()
  for s = 1, nsend do
    wg:add(1)
    go(function()
      for i = 1, maxper do
        local v = s * 1000 + i
        local ok, err
        if s % 2 == 0 then
          ok, err = pcall(ch.send, ch, v)
        else
          -- a select send (with a nil case now and then) fails the same way
          local cases = { go.send(ch, v) }
          if P.maybe(0.5) then table.insert(cases, math.random(2), go.send(nil, v)) end
          ok, err = pcall(go.select, cases)
        end
        P.op()
        if ok then
          ok_sent[v] = true
          nok = nok + 1
        else
          P.check(has(err, "send on closed channel"),
            "send raised %q, want 'send on closed channel'", tostring(err))
          P.check(closed, "send raised 'send on closed channel' before close")
          nfailed = nfailed + 1
          break
        end
        if P.maybe(0.2) then go.yield() end
      end
      wg:done()
    end)
  end

  -- the closer: after a random number of yields (maybe after all sends)
  wg:add(1)
  go(function()
    for _ = 1, math.random(0, 60) do go.yield() end
    closed = true
    ch:close()
    P.op()
    local ok, err = pcall(ch.close, ch)
    P.check(not ok and has(err, "close of closed channel"),
      "second close: %s, %s", tostring(ok), tostring(err))
    wg:done()
  end)

  -- after end-of-channel, a receiver keeps seeing nil, false everywhere
  local function after_end(who)
    for _ = 1, 3 do
      local v, ok = ch:recv()
      P.check(v == nil and ok == false,
        "%s: recv after close and drain gave %s, %s", who, tostring(v), tostring(ok))
      local i, sv, sok = go.select { go.recv(ch), default = true }
      P.check(i == 1 and sv == nil and sok == false,
        "%s: select after close and drain gave %s, %s, %s",
        who, tostring(i), tostring(sv), tostring(sok))
      for x in ch:range() do
        P.fail("%s: range after close and drain produced %s", who, tostring(x))
      end
      P.op(3)
    end
  end

  for r = 1, nrecv do
    wg:add(1)
    go(function()
      local last = {}
      local function take(v)
        P.check(type(v) == "number", "receiver %d got %s", r, tostring(v))
        P.check(not got[v], "value %d received twice", v)
        got[v] = true
        nrecvd = nrecvd + 1
        local s, i = v // 1000, v % 1000
        P.check((last[s] or 0) < i, "FIFO broken: receiver %d got %d after %d", r, v,
          s * 1000 + (last[s] or 0))
        last[s] = i
        P.op()
      end
      local how = r % 3
      if how == 0 then
        for v in ch:range() do take(v) end
      elseif how == 1 then
        while true do
          local v, ok = ch:recv()
          if not ok then
            P.check(v == nil, "recv gave %s, false", tostring(v))
            break
          end
          take(v)
        end
      else
        local done = false
        while not done do
          go.select {
            go.recv(ch, function(v, ok)
              if ok then take(v) else
                P.check(v == nil, "select recv gave %s, false", tostring(v))
                done = true
              end
            end),
          }
        end
      end
      P.check(closed, "receiver %d saw the end of a channel nobody closed", r)
      after_end("receiver " .. r)
      wg:done()
    end)
  end

  -- receivers blocked on an empty channel, released by close
  local empty = go.chan(P.pick({ 0, 2 }))
  local nblocked, released = math.random(1, 5), 0
  for b = 1, nblocked do
    wg:add(1)
    go(function()
      if b % 2 == 0 then
        for x in empty:range() do P.fail("range over an empty closed channel gave %s", tostring(x)) end
      else
        local v, ok = empty:recv()
        P.check(v == nil and ok == false, "blocked receiver got %s, %s", tostring(v), tostring(ok))
      end
      released = released + 1
      P.op()
      wg:done()
    end)
  end
  for _ = 1, math.random(0, 5) do go.yield() end
  empty:close()

  wg:wait()
  P.check(released == nblocked, "%d of %d blocked receivers released", released, nblocked)
  P.check(closed, "wait returned before the close")
  P.check(ch:len() == 0, "len after drain = %d", ch:len())
  P.check(nrecvd == nok, "received %d values, %d sends returned", nrecvd, nok)
  for v in pairs(ok_sent) do P.check(got[v], "value %d sent but never received", v) end
  for v in pairs(got) do P.check(ok_sent[v], "value %d received but its send did not return", v) end
  P.check(nfailed <= nsend, "%d failed sends from %d senders", nfailed, nsend)
  P.note("failed_sends", nfailed)
  -- late receivers, started after the drain
  after_end("main")
  for k = 1, 3 do
    wg:add(1)
    go(function() after_end("late receiver " .. k); wg:done() end)
  end
  wg:wait()
end)
