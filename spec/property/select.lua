--- (c) select. Producers feed several channels, through plain sends and
-- through select sends over several channels (sometimes with a default,
-- sometimes with a nil case); consumers select over all the channels
-- (sometimes with a default, sometimes with nil cases, and a closed
-- channel's case switched off by setting it to nil, the Go idiom).
-- Invariants: every value is received exactly once, on the channel its
-- sender's select reported; per-sender FIFO on each channel; the totals
-- are exact; a nil case is never chosen.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local P = require "prop"
local go = P.go

-- shuffled: 1..n in random order.
local function shuffled(n)
  local t = {}
  for i = 1, n do t[i] = i end
  for k = n, 2, -1 do
    local j = math.random(k)
    t[k], t[j] = t[j], t[k]
  end
  return t
end

P.main(function()
  local nchan = math.random(2, 4)
  local chans, caps = {}, {}
  for c = 1, nchan do
    caps[c] = P.pick({ 0, 0, 1, 2, 5 })
    chans[c] = go.chan(caps[c])
  end
  local nprod, ncons = math.random(2, 4), math.random(2, 4)
  local per = math.random(20, 60) * P.scale

  local where = {}       -- value -> channel its send went to
  local got = {}         -- value -> channel it was received from
  local nsent, nrecvd, ndefault = 0, 0, 0

  local pwg = go.waitgroup()
  for p = 1, nprod do
    pwg:add(1)
    go(function()
      for seq = 1, per do
        local v = p * 10000 + seq
        if P.maybe(0.3) then
          local c = math.random(nchan)
          chans[c]:send(v)
          where[v] = c
          P.op()
        else
          -- select send over a random subset, maybe a nil case, maybe a default
          while not where[v] do
            local order = shuffled(nchan)
            local cases, map = {}, {}
            for k = 1, math.random(1, nchan) do
              local c = order[k]
              if P.maybe(0.5) then
                cases[#cases + 1] = go.send(chans[c], v, function() return "handler", c end)
              else
                cases[#cases + 1] = go.send(chans[c], v)
              end
              map[#cases] = c
            end
            if P.maybe(0.3) then
              local at = math.random(#cases + 1)
              table.insert(cases, at, go.send(nil, v))
              table.insert(map, at, false)
            end
            local with_default = P.maybe(0.3)
            if with_default then cases.default = true end
            local i, x, y = go.select(cases)
            P.op()
            if i == "handler" then
              -- a send handler ran: its results, the channel number
              P.check(math.type(x) == "integer" and y == nil,
                "send handler results %s, %s, %s", tostring(i), tostring(x), tostring(y))
              where[v] = x
            elseif i == 0 then
              P.check(with_default, "select without a default returned 0")
              P.check(x == nil and y == nil, "default returned 0, %s, %s", tostring(x), tostring(y))
              ndefault = ndefault + 1
              go.yield()
            else
              P.check(math.type(i) == "integer" and map[i] ~= nil and x == nil and y == nil,
                "send case result %s, %s, %s", tostring(i), tostring(x), tostring(y))
              P.check(map[i], "select chose the nil send case %d", i)
              where[v] = map[i]
            end
          end
        end
        nsent = nsent + 1
        if P.maybe(0.1) then go.yield() end
      end
      pwg:done()
    end)
  end

  go(function()
    pwg:wait()
    for _, c in ipairs(shuffled(nchan)) do chans[c]:close() end
  end)

  local cwg = go.waitgroup()
  for k = 1, ncons do
    cwg:add(1)
    go(function()
      local open = {}
      for c = 1, nchan do open[c] = chans[c] end
      local nopen = nchan
      local last = {}
      for c = 1, nchan do last[c] = {} end
      local handlers = P.maybe(0.5)
      while nopen > 0 do
        local cases, map = {}, {}
        for _, c in ipairs(shuffled(nchan)) do
          if handlers then
            cases[#cases + 1] = go.recv(open[c], function(v, ok) return "handler", c, v, ok end)
          else
            cases[#cases + 1] = go.recv(open[c])
          end
          map[#cases] = c
        end
        if P.maybe(0.2) then
          local at = math.random(#cases + 1)
          table.insert(cases, at, go.recv(nil))
          table.insert(map, at, false)
        end
        local with_default = P.maybe(0.25)
        if with_default then cases.default = true end
        local i, x, y, z = go.select(cases)
        P.op()
        local c, v, ok
        if i == "handler" then
          c, v, ok = x, y, z
        elseif i == 0 then
          P.check(with_default, "select without a default returned 0")
          ndefault = ndefault + 1
          go.yield()
        else
          P.check(not handlers or not map[i], "a case with a handler returned without it")
          P.check(map[i], "select chose nil case %s", tostring(i))
          c, v, ok = map[i], x, y
        end
        if c then
          P.check(open[c], "consumer %d: select chose switched-off channel %d", k, c)
          if ok then
            P.check(got[v] == nil, "value %d received twice (channels %s and %d)",
              v, tostring(got[v]), c)
            got[v] = c
            nrecvd = nrecvd + 1
            local p, seq = v // 10000, v % 10000
            P.check((last[c][p] or 0) < seq,
              "FIFO broken on channel %d (cap %d): consumer %d got %d after seq %d",
              c, caps[c], k, v, last[c][p] or 0)
            last[c][p] = seq
          else
            P.check(v == nil, "closed channel gave %s, false", tostring(v))
            open[c] = nil
            nopen = nopen - 1
          end
        end
      end
      cwg:done()
    end)
  end

  cwg:wait()
  local want = nprod * per
  P.check(nsent == want, "producers sent %d values, want %d", nsent, want)
  P.check(nrecvd == want, "consumers received %d values, want %d", nrecvd, want)
  for v, c in pairs(where) do
    P.check(got[v] == c, "value %d sent on channel %d, received on %s", v, c, tostring(got[v]))
  end
  for v in pairs(got) do P.check(where[v], "value %d received, never sent", v) end
  P.note("defaults", ndefault)
end)
