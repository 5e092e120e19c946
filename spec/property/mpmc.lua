--- (a) Several producers and several consumers over unbuffered and
-- buffered channels. Invariants: every value sent is received exactly
-- once; on each channel, the values of one sender reach each consumer in
-- the order they were sent (per-sender FIFO).
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local P = require "prop"
local go = P.go

P.main(function()
  local nchan = math.random(1, 3)
  local chans, caps = {}, {}
  for c = 1, nchan do
    caps[c] = P.pick({ 0, 0, 1, 2, 3, 8 })
    chans[c] = go.chan(caps[c])
  end
  local nprod = math.random(2, 5)
  local ncons = math.random(2, 5)      -- consumers per channel
  local per = math.random(20, 60) * P.scale   -- values per producer per channel

  local sent, got = {}, {}             -- key "p:c:i" -> count
  local total = 0

  -- producers: every producer sends 'per' values to every channel, in an
  -- order that interleaves the channels randomly.
  local pwg = go.waitgroup()
  for p = 1, nprod do
    pwg:add(1)
    local plan = {}
    for c = 1, nchan do
      for i = 1, per do plan[#plan + 1] = { c, i } end
    end
    -- shuffle, but keep each channel's sequence numbers increasing
    for k = #plan, 2, -1 do
      local j = math.random(k)
      plan[k], plan[j] = plan[j], plan[k]
    end
    local nexti = {}
    for c = 1, nchan do nexti[c] = 0 end
    for _, step in ipairs(plan) do
      nexti[step[1]] = nexti[step[1]] + 1
      step[2] = nexti[step[1]]
    end
    go(function()
      for _, step in ipairs(plan) do
        local c, i = step[1], step[2]
        local key = p .. ":" .. c .. ":" .. i
        P.log("send", key)
        chans[c]:send({ p = p, c = c, i = i })
        sent[key] = (sent[key] or 0) + 1
        total = total + 1
        P.op()
        if P.maybe(0.1) then go.yield() end
      end
      pwg:done()
    end)
  end

  -- closer: once every producer is done, close every channel.
  go(function()
    pwg:wait()
    for c = 1, nchan do chans[c]:close() end
  end)

  -- consumers: ncons per channel, half of them with range, half with recv.
  local cwg = go.waitgroup()
  local received = 0
  for c = 1, nchan do
    for k = 1, ncons do
      cwg:add(1)
      go(function()
        local last = {}                  -- producer -> last sequence number
        local function take(v)
          P.check(type(v) == "table" and v.c == c,
            "consumer %d of channel %d got a value of channel %s", k, c, tostring(v and v.c))
          local key = v.p .. ":" .. v.c .. ":" .. v.i
          P.log("recv", c, k, key)
          got[key] = (got[key] or 0) + 1
          P.check(got[key] == 1, "value %s received %d times", key, got[key])
          P.check((last[v.p] or 0) < v.i,
            "FIFO broken on channel %d (cap %d): consumer %d got %d:%d after %d:%d",
            c, caps[c], k, v.p, v.i, v.p, last[v.p] or 0)
          last[v.p] = v.i
          received = received + 1
          P.op()
        end
        if k % 2 == 0 then
          for v in chans[c]:range() do take(v) end
        else
          while true do
            local v, ok = chans[c]:recv()
            if not ok then
              P.check(v == nil, "recv returned %s, false", tostring(v))
              break
            end
            take(v)
          end
        end
        cwg:done()
      end)
    end
  end

  cwg:wait()
  local want = nprod * nchan * per
  P.check(total == want, "producers sent %d values, want %d", total, want)
  P.check(received == want, "consumers received %d values, want %d", received, want)
  for key, n in pairs(sent) do
    P.check(n == 1, "value %s sent %d times", key, n)
    P.check(got[key] == 1, "value %s received %s times", key, tostring(got[key]))
  end
  for key in pairs(got) do
    P.check(sent[key], "value %s received but never sent", key)
  end
end)
