--- (g) Cross-thread stress. Producer threads (each with several
-- goroutines) and consumer threads share channels; consumers select over
-- all of them (closed ones switched off with nil); main consumes too.
-- A shared Mutex guards a one-slot token channel (mutual exclusion across
-- threads), a shared WaitGroup tells main when to close. Invariants:
-- every value received exactly once, per-sender FIFO on each channel
-- (checked in each consumer), exact totals, the mutex is never held by two
-- goroutines at once. Then a close race: sender threads send until the
-- channel is closed under them (plain and select sends), consumer threads
-- drain it: exactly the values whose send returned are received, once.
-- With PROPERTY_SOAK_SECONDS=<s> it repeats the scenario (new threads,
-- channels and workload each round) for s seconds in this one process,
-- and adds rounds=, rss_first_kb= (after round 1) and rss_last_kb= to the
-- result line (bench/soak.lua's long-lived cross-thread stress).
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local P = require "prop"
local go = P.go

-- producer(id, seed, chans, per, wg, mu, token): ngo goroutines, each
-- sending 'per' values spread over the channels; now and then a critical
-- section on the shared mutex. Raises "INVARIANT: ..." on a violation.
local function producer(id, seed, chans, per, wg, mu, token)
  math.randomseed(seed)
  local ngo = math.random(1, 3)
  local lwg = go.waitgroup()
  local locks = 0
  for g = 1, ngo do
    lwg:add(1)
    go(function()
      local sender = id * 10 + g
      for i = 1, per do
        local v = sender * 100000 + i
        if math.random() < 0.5 then
          chans[math.random(#chans)]:send(v)
        else
          local cases = {}
          for c = 1, #chans do cases[c] = go.send(chans[c], v) end
          go.select(cases)
        end
        if math.random() < 0.05 then
          mu:lock()
          if go.select { go.send(token, sender), default = true } == 0 then
            error("INVARIANT: mutex held by two goroutines (token already taken)")
          end
          go.yield()
          token:recv()
          mu:unlock()
          locks = locks + 1
        end
      end
      lwg:done()
    end)
  end
  lwg:wait()
  wg:done()
  return ngo * per, locks
end

-- consumer(id, seed, chans): select over every channel until all are
-- closed; returns the values received, as a list.
local function consumer(id, seed, chans)
  math.randomseed(seed)
  local open, nopen = {}, #chans
  for c = 1, #chans do open[c] = chans[c] end
  local last, list = {}, {}
  for c = 1, #chans do last[c] = {} end
  while nopen > 0 do
    local cases = {}
    for c = 1, #chans do cases[c] = go.recv(open[c]) end
    if math.random() < 0.2 then cases.default = true end
    local i, v, ok = go.select(cases)
    if i == 0 then
      go.yield()
    elseif ok then
      local s, seq = v // 100000, v % 100000
      if (last[i][s] or 0) >= seq then
        error(string.format("INVARIANT: consumer %d: FIFO broken on channel %d: %d after seq %d",
          id, i, v, last[i][s]))
      end
      last[i][s] = seq
      list[#list + 1] = v
    else
      if v ~= nil then error("INVARIANT: closed channel gave a value") end
      open[i] = nil
      nopen = nopen - 1
    end
  end
  return list
end

-- racer(id, seed, ch, max, fin): goroutines send on ch (plain or select
-- sends) until they have sent max values or ch is closed under them; then
-- a message on fin; returns {sender = number of sends that returned}.
local function racer(id, seed, ch, max, fin)
  math.randomseed(seed)
  local lwg = go.waitgroup()
  local counts = {}
  for g = 1, math.random(1, 3) do
    local sender = id * 10 + g
    counts[sender] = 0
    lwg:add(1)
    go(function()
      for i = 1, max do
        local v = sender * 100000 + i
        local ok, err
        if math.random() < 0.5 then
          ok, err = pcall(ch.send, ch, v)
        else
          ok, err = pcall(go.select, { go.send(ch, v), go.send(nil, v) })
        end
        if not ok then
          if not tostring(err):find("send on closed channel", 1, true) then
            error("INVARIANT: a send failed with " .. tostring(err))
          end
          break
        end
        counts[sender] = i
      end
      lwg:done()
    end)
  end
  lwg:wait()
  fin:send(id)
  return counts
end

--- join: th's results; a thread's "INVARIANT: " error is a broken invariant.
local function join(th)
  local r = table.pack(pcall(th.join, th))
  if not r[1] then
    local msg = tostring(r[2])
    if msg:find("INVARIANT: ", 1, true) then P.fail("%s", msg) end
    error(msg, 0)
  end
  return table.unpack(r, 2, r.n)
end

--- close_race: sender threads, consumer threads, and main closing the
-- channel at a random moment. Exactly the values whose send returned are
-- received, each once.
local function close_race()
  local ch = go.chan(P.pick({ 0, 0, 1, 3 }))
  local nsend, nrecv = math.random(1, 3), math.random(1, 2)
  local max = math.random(100, 2000) * P.scale
  local senders, receivers, fin = {}, {}, go.chan(nsend)
  for i = 1, nsend do senders[i] = go.thread(racer, i, math.random(1 << 30), ch, max, fin) end
  for i = 1, nrecv do receivers[i] = go.thread(consumer, i, math.random(1 << 30), { ch }) end
  -- main takes some values itself (so the close comes mid-stream; it
  -- stops early if every sender is done), then closes after a short
  -- random delay
  local mine, finished = {}, 0
  for _ = 1, math.random(0, max // 2) do
    local i, v, ok = go.select { go.recv(ch), go.recv(fin) }
    if i == 1 then
      P.check(ok, "close race: channel closed before main closed it")
      mine[#mine + 1] = v
    else
      finished = finished + 1
      if finished == nsend then break end
    end
  end
  if P.maybe(0.5) then go.sleep(math.random(0, 20) * 0.1 * go.millisecond)
  else for _ = 1, math.random(0, 50) do go.yield() end end
  ch:close()
  local want, nwant = {}, 0
  for i = 1, nsend do
    for sender, n in pairs(join(senders[i])) do
      for k = 1, n do want[sender * 100000 + k] = true end
      nwant = nwant + n
    end
  end
  local got, ngot = {}, 0
  for i = 0, nrecv do
    for _, v in ipairs(i == 0 and mine or join(receivers[i])) do
      P.check(not got[v], "close race: value %d received twice", v)
      P.check(want[v], "close race: value %d received, its send did not return", v)
      got[v] = true
      ngot = ngot + 1
    end
  end
  P.check(ngot == nwant, "close race: %d sends returned, %d values received", nwant, ngot)
  P.op(ngot)
end

local function round()
  local nchan = math.random(1, 3)
  local chans = {}
  for c = 1, nchan do chans[c] = go.chan(P.pick({ 0, 0, 1, 4 })) end
  local nprod, ncons = math.random(1, 3), math.random(1, 3)
  local per = math.random(50, 300) * P.scale
  local wg, mu, token = go.waitgroup(), go.mutex(), go.chan(1)

  wg:add(nprod)
  local prods, conss = {}, {}
  for p = 1, nprod do
    prods[p] = go.thread(producer, p, math.random(1 << 30), chans, per, wg, mu, token)
  end
  for k = 1, ncons do
    conss[k] = go.thread(consumer, k, math.random(1 << 30), chans)
  end
  go(function()
    wg:wait()
    for c = 1, nchan do chans[c]:close() end
  end)
  -- main consumes as well, in a goroutine
  local mine
  local done = go.chan(1)
  go(function()
    mine = consumer(0, math.random(1 << 30), chans)
    done:send(true)
  end)

  local want = 0
  for p = 1, nprod do
    local n, locks = join(prods[p])
    want = want + n
    P.op(n + locks)
  end
  local got, total = {}, 0
  local function count(list, who)
    for _, v in ipairs(list) do
      P.check(not got[v], "value %d received twice (second time by %s)", v, who)
      got[v] = true
      total = total + 1
    end
    P.op(#list)
  end
  for k = 1, ncons do count(join(conss[k]), "consumer thread " .. k) end
  done:recv()
  count(mine, "main")
  P.check(total == want, "received %d values, %d were sent", total, want)
  close_race()
  -- a joined thread may still be on its way out (it counts in stats().threads
  -- until its OS thread is done, a moment after join returns): it must end
  local deadline = go.now() + 2
  while go.debug.stats().threads > 0 and go.now() < deadline do go.sleep(0.001) end
  P.check(go.debug.stats().threads == 0, "threads still alive 2 s after join: %d",
    go.debug.stats().threads)
end

P.main(function()
  local secs = tonumber(os.getenv("PROPERTY_SOAK_SECONDS") or "")
  if not secs then return round() end
  local t0, rounds, rss0 = go.now(), 0, nil
  repeat
    round()
    rounds = rounds + 1
    if rounds == 1 then rss0 = P.rss() end
  until go.now() - t0 >= secs
  P.note("rounds", rounds)
  P.note("rss_first_kb", rss0)
  P.note("rss_last_kb", P.rss())
end)
