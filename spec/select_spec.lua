-- Select: every promise of API.md "Select", black-box through the public
-- module. Ordering is checked with event logs, never with time.
local go = require "gochan"
local support = require "spec.support"

local run = support.run

local settle = support.settle

local logger = support.logger

-- pack: the results of a call with their count.
local function pack(...)
  return { n = select("#", ...), ... }
end

-- closedchan: a channel whose receive is always ready (nil, false).
local function closedchan()
  local ch = go.chan()
  ch:close()
  return ch
end

local has = support.has

-- firstline: the first line of an error or output.
local function firstline(s)
  return (tostring(s):match("[^\n]*"))
end


describe("gochan.select", function()

  describe("handlers", function()
    it("pass v, ok to a receive handler", function()
      local ch = go.chan(1)
      ch:send("v")
      local got
      go.select { go.recv(ch, function(...) got = pack(...) end) }
      assert.same({ n = 2, "v", true }, got)
    end)

    it("pass nil, false to a receive handler on a closed channel", function()
      local got
      go.select { go.recv(closedchan(), function(...) got = pack(...) end) }
      assert.same({ n = 2, nil, false }, got)
    end)

    it("pass nothing to a send handler", function()
      local ch = go.chan(1)
      local got
      go.select { go.send(ch, 1, function(...) got = pack(...) end) }
      assert.same({ n = 0 }, got)
      assert.same({ 1, true }, { ch:recv() })
    end)

    it("make select return the handler's several results", function()
      local ch = go.chan(1)
      ch:send(5)
      local r = pack(go.select {
        go.recv(ch, function(v, ok) return "a", v, ok, nil end),
      })
      assert.same({ n = 4, "a", 5, true, nil }, r)
    end)

    it("make select return nothing when the handler returns nothing", function()
      local ch = go.chan(1)
      ch:send(5)
      local r = pack(go.select { go.recv(ch, function() end) })
      assert.equal(0, r.n)
    end)

    it("make select return a send handler's results", function()
      local r = pack(go.select { go.send(go.chan(1), 1, function() return 7, 8 end) })
      assert.same({ n = 2, 7, 8 }, r)
    end)

    it("run only the chosen case's handler", function()
      local a, b = go.chan(1), go.chan(1)
      b:send(1)
      local log, add = logger()
      go.select {
        go.recv(a, function() add("a") end),
        go.recv(b, function() add("b") end),
        default = function() add("default") end,
      }
      assert.same({ "b" }, log)
    end)

    it("accept a callable table as handler", function()
      local ch = go.chan(1)
      ch:send(3)
      local h = setmetatable({}, { __call = function(_, v, ok) return v * 2, ok end })
      assert.same({ 6, true }, { go.select { go.recv(ch, h) } })
    end)

    it("may block inside a handler", function()
      run(function()
        local a, b = go.chan(1), go.chan()
        a:send(1)
        go(function() b:send("from b") end)
        local r = go.select {
          go.recv(a, function() return (b:recv()) end),
        }
        assert.equal("from b", r)
      end)
    end)

    it("propagate a handler's error out of select", function()
      local ch = go.chan(1)
      ch:send(1)
      assert.error_matches(function()
        go.select { go.recv(ch, function() error("handler failed") end) }
      end, "handler failed", 1, true)
    end)
  end)

  describe("without handler", function()
    it("returns i, v, ok for a receive case", function()
      local a, b = go.chan(1), go.chan(1)
      b:send("x")
      local r = pack(go.select { go.recv(a), go.recv(b) })
      assert.equal(2, r[1])
      assert.equal("x", r[2])
      assert.is_true(r[3])
    end)

    it("returns i, nil, false for a receive case on a closed channel", function()
      local i, v, ok = go.select { go.recv(go.chan(1)), go.recv(closedchan()) }
      assert.equal(2, i)
      assert.is_nil(v)
      assert.is_false(ok)
    end)

    it("returns i, nil, true for a received nil", function()
      local ch = go.chan(1)
      ch:send(nil)
      local i, v, ok = go.select { go.recv(ch) }
      assert.equal(1, i)
      assert.is_nil(v)
      assert.is_true(ok)
    end)

    it("returns i with nil v, ok for a send case", function()
      local ch = go.chan(1)
      local i, v, ok = go.select { go.recv(go.chan()), go.send(ch, "s") }
      assert.equal(2, i)
      assert.is_nil(v)
      assert.is_nil(ok)
      assert.same({ "s", true }, { ch:recv() })
    end)

    it("returns 0 for default = true", function()
      local i, v, ok = go.select { go.recv(go.chan()), default = true }
      assert.equal(0, i)
      assert.is_nil(v)
      assert.is_nil(ok)
    end)
  end)

  describe("default", function()
    it("runs a default function when nothing is ready", function()
      local r = pack(go.select {
        go.recv(go.chan()),
        go.send(go.chan(), 1),
        default = function() return "none", "ready" end,
      })
      assert.same({ n = 2, "none", "ready" }, r)
    end)

    it("never runs when a case is ready", function()
      local ch = go.chan(1)
      for _ = 1, 100 do
        ch:send(1)
        local i = go.select { go.recv(go.chan()), go.recv(ch), default = true }
        assert.equal(2, i)
      end
    end)

    it("does not run when a send case can proceed", function()
      local ch = go.chan(1)
      assert.equal(1, (go.select { go.send(ch, 1), default = true }))
    end)

    it("runs alone when the case list is empty", function()
      assert.equal(0, (go.select { default = true }))
      assert.equal("d", go.select { default = function() return "d" end })
    end)

  end)

  describe("blocking", function()
    it("blocks until a receive case can proceed", function()
      run(function()
        local a, b = go.chan(), go.chan()
        local log, add = logger()
        go(function()
          local i, v = go.select { go.recv(a), go.recv(b) }
          add(i .. ":" .. v)
        end)
        settle()
        assert.same({}, log)
        b:send("vb")
        settle()
        assert.same({ "2:vb" }, log)
      end)
    end)

    it("blocks until a send case can proceed", function()
      run(function()
        local a = go.chan()
        local log, add = logger()
        go(function()
          local i = go.select { go.send(a, "va") }
          add("sent " .. i)
        end)
        settle()
        assert.same({}, log)
        assert.same({ "va", true }, { a:recv() })
        settle()
        assert.same({ "sent 1" }, log)
      end)
    end)

    it("is completed by a close with nil, false for a receive case", function()
      run(function()
        local a = go.chan()
        local res = go.chan(1)
        go(function() res:send(pack(go.select { go.recv(go.chan()), go.recv(a) })) end)
        settle()
        a:close()
        local r = res:recv()
        assert.equal(2, r[1])
        assert.is_nil(r[2])
        assert.is_false(r[3])
      end)
    end)

    it("works from the main goroutine without a wrapper", function()
      local ch = go.chan()
      go(function() ch:send(42) end)
      local i, v, ok = go.select { go.recv(ch) }
      assert.same({ 1, 42, true }, { i, v, ok })
    end)

    it("sends from the main goroutine without a wrapper", function()
      local ch = go.chan()
      local res = go.chan(1)
      go(function()
        local s = 0
        for _ = 1, 100 do s = s + ch:recv() end
        res:send(s)
      end)
      for k = 1, 100 do
        assert.same({ 1, nil, nil }, { go.select { go.send(ch, k), go.recv(go.chan()) } })
      end
      assert.equal(5050, (res:recv()))
    end)

    it("raises 'send on closed channel' in a blocked main goroutine when the channel gets closed", function()
      local ch = go.chan()
      go(function() ch:close() end)
      assert.error_matches(function() go.select { go.send(ch, 1) } end,
                           "send on closed channel", 1, true)
    end)

    it("drains a closed buffered channel before reporting nil, false", function()
      local ch = go.chan(2)
      ch:send(1)
      ch:close()
      assert.same({ 1, 1, true }, { go.select { go.recv(ch) } })
      assert.same({ 1, nil, false }, { go.select { go.recv(ch) } })
    end)

    it("takes the buffered value first, then moves a blocked sender's value into the buffer", function()
      run(function()
        local ch = go.chan(1)
        ch:send("a")
        go(function() ch:send("b") end)
        settle()
        assert.same({ 1, "a", true }, { go.select { go.recv(ch) } })
        assert.equal(1, ch:len())
        assert.same({ 1, "b", true }, { go.select { go.recv(ch) } })
      end)
    end)

    it("handles hundreds of cases", function()
      local cases = {}
      for i = 1, 300 do cases[i] = go.recv(go.chan()) end
      local ch = go.chan(1)
      ch:send("last")
      cases[301] = go.recv(ch)
      assert.same({ 301, "last", true }, { go.select(cases) })
    end)

    it("is completed by exactly one case; the other senders keep their values", function()
      run(function()
        local a, b = go.chan(), go.chan()
        local res = go.chan(1)
        go(function() res:send(pack(go.select { go.recv(a), go.recv(b) })) end)
        settle()  -- the select is parked on a and b
        local log, add = logger()
        go(function() a:send("va") add("a sent") end)
        go(function() b:send("vb") add("b sent") end)
        settle()
        local r = res:recv()
        local won, other = "a", b
        if r[1] == 2 then won, other = "b", a end
        assert.same({ n = 3, r[1], "v" .. won, true }, r)
        assert.same({ won .. " sent" }, log)  -- the other sender is still blocked
        assert.same({ won == "a" and "vb" or "va", true }, { other:recv() })
        settle()
        assert.equal(2, #log)
      end)
    end)

    it("is completed by exactly one case when several buffered channels get values", function()
      run(function()
        local a, b = go.chan(1), go.chan(1)
        local res = go.chan(1)
        go(function() res:send(pack(go.select { go.recv(a), go.recv(b) })) end)
        settle()
        a:send("va")
        b:send("vb")
        local r = res:recv()
        assert.same({ n = 3, 1, "va", true }, r)
        assert.equal(0, a:len())
        assert.same({ "vb", true }, { b:recv() })
      end)
    end)

    it("withdraws its waiters after completing: a later send is not stolen", function()
      run(function()
        local a, b = go.chan(), go.chan()
        local res = go.chan(1)
        go(function() res:send((go.select { go.recv(a), go.recv(b) })) end)
        settle()
        a:send("va")
        assert.equal(1, res:recv())
        local log, add = logger()
        go(function()
          b:send("vb")
          add("b sent")
        end)
        settle()
        assert.same({}, log)  -- no stale select waiter took it
        assert.same({ "vb", true }, { b:recv() })
        settle()
        assert.same({ "b sent" }, log)
      end)
    end)

    it("withdraws its waiters after completing: a later receive is not served", function()
      run(function()
        local a, b = go.chan(), go.chan()
        local res = go.chan(1)
        go(function() res:send((go.select { go.recv(a), go.send(b, "stale") })) end)
        settle()
        a:send("va")
        assert.equal(1, res:recv())
        local i = go.select { go.recv(b), default = true }
        assert.equal(0, i)  -- the withdrawn send case offers nothing
      end)
    end)

    it("withdraws its waiters after completing: a later close does not disturb", function()
      run(function()
        local a, b = go.chan(), go.chan()
        local res = go.chan(2)
        go(function()
          res:send((go.select { go.recv(a), go.send(b, 1) }))
          res:send("after")
        end)
        settle()
        a:send("va")
        b:close()  -- the withdrawn send case must not raise
        assert.equal(1, res:recv())
        assert.equal("after", res:recv())
      end)
    end)

    it("is not served by a send made before it resumes (buffered: the value is buffered)", function()
      run(function()
        local a, b = go.chan(), go.chan(1)
        local res = go.chan(1)
        go(function() res:send(pack(go.select { go.recv(a), go.recv(b) })) end)
        settle()
        a:send("va")  -- completes the select; it has not run since
        b:send("vb")  -- must not reach the select's stale waiter
        assert.equal(1, b:len())
        assert.same({ n = 3, 1, "va", true }, res:recv())
        assert.same({ "vb", true }, { b:recv() })
      end)
    end)

    it("is not served by a send made before it resumes (unbuffered: no receiver)", function()
      run(function()
        local a, b = go.chan(), go.chan()
        local res = go.chan(1)
        go(function() res:send(pack(go.select { go.recv(a), go.recv(b) })) end)
        settle()
        a:send("va")
        assert.equal(0, (go.select { go.send(b, "vb"), default = true }))
        assert.same({ n = 3, 1, "va", true }, res:recv())
      end)
    end)

    it("is not disturbed by a close made before it resumes", function()
      run(function()
        local a, b = go.chan(), go.chan()
        local res = go.chan(1)
        go(function() res:send(pack(go.select { go.recv(a), go.send(b, 1) })) end)
        settle()
        a:send("va")
        b:close()
        assert.same({ n = 3, 1, "va", true }, res:recv())
      end)
    end)

    it("can be used repeatedly by one goroutine", function()
      run(function()
        local a, b = go.chan(), go.chan()
        go(function()
          for i = 1, 50 do
            if i % 2 == 0 then a:send(i) else b:send(i) end
          end
        end)
        local sum = 0
        for _ = 1, 50 do
          local _, v = go.select { go.recv(a), go.recv(b) }
          sum = sum + v
        end
        assert.equal(50 * 51 // 2, sum)
      end)
    end)
  end)

  describe("nil channel cases", function()
    it("never proceed: default runs", function()
      local i = go.select { go.recv(nil), go.send(nil, 1), default = true }
      assert.equal(0, i)
    end)

    it("never proceed: another ready case is always chosen", function()
      local ch = go.chan(1)
      for _ = 1, 100 do
        ch:send(1)
        assert.equal(2, (go.select { go.recv(nil), go.recv(ch), go.send(nil, 1) }))
      end
    end)

    it("never proceed while the select blocks on other cases", function()
      run(function()
        local ch = go.chan()
        local res = go.chan(1)
        go(function() res:send((go.select { go.recv(nil), go.send(nil, 1), go.recv(ch) })) end)
        settle()
        ch:send("v")
        assert.equal(3, res:recv())
      end)
    end)

    it("alone block forever: deadlock when main has nothing else", function()
      local out = support.run_lua [[
        local go = require "gochan"
        local ok, err = pcall(go.select, { go.recv(nil), go.send(nil, 1) })
        print(ok)
        print(err)
      ]]
      assert.equal("false", firstline(out))
      assert.is_true(has(out, "all goroutines are asleep - deadlock!"), out)
    end)
  end)

  describe("go.select{}", function()
    it("blocks forever: deadlock error when main has nothing else", function()
      local out = support.run_lua [[
        local go = require "gochan"
        local ok, err = pcall(go.select, {})
        print(ok)
        print(err)
      ]]
      assert.equal("false", firstline(out))
      assert.is_true(has(out, "all goroutines are asleep - deadlock!"), out)
    end)

    it("blocks a goroutine forever while others go on", function()
      local out, code = support.run_lua [[
        local go = require "gochan"
        local ch = go.chan()
        go(function() print("a") go.select {} print("never") end)
        go(function() ch:send("b") end)
        print((ch:recv()))
        for _ = 1, 10 do go.yield() end
        print("end")
      ]]
      assert.equal(0, code, out)
      assert.equal("a\nb\nend\n", out)
    end)
  end)

  describe("random choice", function()
    it("chooses uniformly between two ready cases (45%..55% each over 10,000)", function()
      local a, b = closedchan(), closedchan()
      local count = { 0, 0 }
      for _ = 1, 10000 do
        local i = go.select { go.recv(a), go.recv(b) }
        count[i] = count[i] + 1
      end
      assert.is_true(count[1] >= 4500 and count[1] <= 5500, count[1])
      assert.is_true(count[2] >= 4500 and count[2] <= 5500, count[2])
    end)

    it("chooses uniformly among three ready cases (1/3 +- 5% each)", function()
      local cs = { closedchan(), closedchan(), closedchan() }
      local count = { 0, 0, 0 }
      for _ = 1, 10000 do
        local i = go.select { go.recv(cs[1]), go.recv(cs[2]), go.recv(cs[3]) }
        count[i] = count[i] + 1
      end
      for k = 1, 3 do
        assert.is_true(count[k] >= 2833 and count[k] <= 3833, k .. ": " .. count[k])
      end
    end)

    it("chooses uniformly between a ready send and a ready receive case", function()
      local a = closedchan()
      local b = go.chan(10000)
      local count = { 0, 0 }
      for _ = 1, 10000 do
        local i = go.select { go.recv(a), go.send(b, true) }
        count[i] = count[i] + 1
      end
      assert.is_true(count[1] >= 4500 and count[1] <= 5500, count[1])
      assert.equal(count[2], b:len())
    end)

    it("ignores cases that are not ready", function()
      local a, b = closedchan(), closedchan()
      local count = { 0, 0, 0, 0 }
      for _ = 1, 4000 do
        local i = go.select { go.recv(go.chan()), go.recv(a), go.recv(nil), go.recv(b) }
        count[i] = count[i] + 1
      end
      assert.equal(0, count[1])
      assert.equal(0, count[3])
      assert.is_true(count[2] >= 1800 and count[2] <= 2200, count[2])
    end)
  end)

  describe("send cases", function()
    it("send to a waiting receiver", function()
      run(function()
        local ch = go.chan()
        local res = go.chan(1)
        go(function() res:send(pack(ch:recv())) end)
        settle()
        local i = go.select { go.send(ch, 5) }
        assert.equal(1, i)
        assert.same({ n = 2, 5, true }, res:recv())
      end)
    end)

    it("send to a buffer with room", function()
      local ch = go.chan(2)
      ch:send(1)
      assert.equal(1, (go.select { go.send(ch, 2) }))
      assert.equal(2, ch:len())
      assert.equal(1, (ch:recv()))
      assert.equal(2, (ch:recv()))
    end)

    it("are not ready on a full buffer", function()
      local ch = go.chan(1)
      ch:send(1)
      assert.equal(0, (go.select { go.send(ch, 2), default = true }))
      assert.equal(1, ch:len())
    end)

    it("carry nil", function()
      local ch = go.chan(1)
      go.select { go.send(ch, nil) }
      assert.equal(1, ch:len())
      assert.same({ n = 2, nil, true }, pack(ch:recv()))
    end)

    it("carry a table by reference", function()
      local ch = go.chan(1)
      local t = {}
      go.select { go.send(ch, t) }
      assert.is_true(rawequal(t, (ch:recv())))
    end)

    it("raise 'send on closed channel' when chosen on a closed channel", function()
      local ch = go.chan(1)
      ch:close()
      assert.error_matches(function() go.select { go.send(ch, 1) } end,
                           "send on closed channel", 1, true)
    end)

    it("raise 'send on closed channel' even when a default is present", function()
      local ch = go.chan()
      ch:close()
      assert.error_matches(function() go.select { go.send(ch, 1), default = true } end,
                           "send on closed channel", 1, true)
    end)

    it("raise 'send on closed channel' in a select blocked when the channel gets closed", function()
      run(function()
        local ch = go.chan()
        local res = go.chan(1)
        go(function()
          local ok, err = pcall(go.select, { go.recv(go.chan()), go.send(ch, 1) })
          res:send({ ok, tostring(err) })
        end)
        settle()
        ch:close()
        local r = res:recv()
        assert.is_false(r[1])
        assert.is_true(has(r[2], "send on closed channel"), r[2])
      end)
    end)

    it("do not run the handler when the send raises", function()
      local ch = go.chan()
      ch:close()
      local ran = false
      pcall(go.select, { go.send(ch, 1, function() ran = true end) })
      assert.is_false(ran)
    end)
  end)

  describe("a send case whose value is a local channel, on a shared channel", function()
    -- Encoding such a value shares the local channel in the middle of the
    -- select: it must then be locked and its send values copied like any
    -- shared channel's, whichever case comes first.
    it("locks that channel too when it is also a later case #thread", function()
      local sh = go.chan(1)
      local th = go.thread(function(c) return c:recv() ~= nil end, sh)
      go.sleep(0.02)
      local loc = go.chan(1)
      loc:send(1)
      local i = go.select { go.send(sh, loc), go.recv(loc) }
      assert.is_true(i == 1 or i == 2)
      if i == 2 then sh:send(loc) end
      assert.is_true(th:join())
    end)

    it("copies the value of an earlier case on that channel #thread", function()
      local sh = go.chan()
      local th = go.thread(function(c) for _ in c:range() do end end, sh)
      local firsts = 0
      for _ = 1, 200 do
        local loc = go.chan(1)
        local i = go.select { go.send(loc, "v"), go.send(sh, loc) }
        if i == 1 then
          firsts = firsts + 1
          assert.same({ "v", true }, { loc:recv() })
        end
      end
      sh:close()
      th:join()
      assert.is_true(firsts > 0)
    end)
  end)

  describe("copies of send values for shared channels", function()
    it("survive a finalizer that selects again on the same goroutine mid-select #thread",
       function()
      -- the finalizers run by the outer select's allocations select on the
      -- same channel; the outer copies were in g's waiter array, which the
      -- inner select cleared (a NULL message was queued: a crash)
      local sh = go.chan(100000)
      go.thread(function() end, sh):join()  -- shared, buffered
      local inner = { go.send(sh, "inner"), default = true }
      local big = {}
      for i = 1, 2000 do big[i] = { i } end
      local outers = 0
      for _ = 1, 30 do
        for _ = 1, 20 do setmetatable({}, { __gc = function() go.select(inner) end }) end
        local i = go.select { go.send(sh, big), go.send(sh, "outer") }
        assert.is_true(i == 1 or i == 2)
        outers = outers + 1
      end
      local got = { outer = 0, inner = 0, big = 0 }
      while sh:len() > 0 do
        local v = sh:recv()
        local k = type(v) == "table" and (#v == 2000 and "big") or v
        assert.is_not_nil(got[k], tostring(v))
        got[k] = got[k] + 1
      end
      assert.equal(outers, got.outer + got.big)
    end)

    it("are freed when a later case's value cannot be copied (the select raises) #thread",
       function()
      local sh = go.chan(1)
      go.thread(function() end, sh):join()
      collectgarbage()
      collectgarbage()
      local before = go.debug.stats().channels
      local ok, err = pcall(function()
        local payload = go.chan()  -- travels inside the first case's copy
        go.select { go.send(sh, { payload }), go.send(sh, coroutine.create(print)) }
      end)
      assert.is_false(ok)
      assert.truthy(has(err, "cannot copy thread to another thread"), err)
      collectgarbage()
      collectgarbage()
      assert.equal(before, go.debug.stats().channels)  -- payload is gone
      assert.equal(0, sh:len())  -- nothing was sent
    end)
  end)

  describe("a goroutine's waiter array", function()
    it("does not make selects slower after one select over many cases #thread #timing",
       function()
      local sh = go.chan()
      go.thread(function() end, sh):join()  -- a select on it uses the array
      local function small(n)
        local cases = { go.recv(sh), default = true }
        local t0 = os.clock()
        for _ = 1, n do go.select(cases) end
        return os.clock() - t0
      end
      local before = math.max(small(2000), 1e-4)
      local many = {}
      for i = 1, 200000 do many[i] = go.recv(sh) end
      many.default = true
      go.select(many)
      many = nil  -- luacheck: ignore 311
      -- the bug cleared the whole array on every select: 1000x slower
      assert.is_true(small(2000) < 50 * before)
    end)
  end)

  describe("the same channel in several cases", function()
    it("delivers one value once with two receive cases on one channel", function()
      local ch = go.chan(2)
      local seen = { 0, 0 }
      for _ = 1, 200 do
        ch:send("v")
        local i, v, ok = go.select { go.recv(ch), go.recv(ch) }
        assert.equal("v", v)
        assert.is_true(ok)
        seen[i] = seen[i] + 1
        assert.equal(0, ch:len())
      end
      assert.is_true(seen[1] > 0 and seen[2] > 0)
    end)

    it("completes one of two blocked receive cases on one channel", function()
      run(function()
        local ch = go.chan()
        local res = go.chan(1)
        go(function() res:send(pack(go.select { go.recv(ch), go.recv(ch) })) end)
        settle()
        ch:send("v")
        local r = res:recv()
        assert.is_true(r[1] == 1 or r[1] == 2)
        assert.equal("v", r[2])
        -- the other case was withdrawn: a second send has no receiver
        assert.equal(0, (go.select { go.send(ch, "w"), default = true }))
      end)
    end)

    it("chooses the ready side of a send and a receive case on one buffered channel", function()
      local ch = go.chan(1)
      assert.equal(1, (go.select { go.send(ch, "x"), go.recv(ch) }))  -- empty: send
      assert.equal(2, (go.select { go.send(ch, "y"), go.recv(ch) }))  -- full: recv
      assert.equal(0, ch:len())
    end)

    it("does not let a select's send case meet its own receive case", function()
      local ch = go.chan()
      assert.equal(0, (go.select { go.send(ch, 1), go.recv(ch), default = true }))
    end)

    it("lets another goroutine complete a blocked send and receive on one channel", function()
      run(function()
        local ch = go.chan()
        local res = go.chan(1)
        go(function() res:send(pack(go.select { go.send(ch, "s"), go.recv(ch) })) end)
        settle()
        assert.same({ "s", true }, { ch:recv() })
        local r = res:recv()
        assert.equal(1, r[1])
        assert.is_nil(r[2])
      end)
    end)

    it("lets another goroutine's send complete the receive case instead", function()
      run(function()
        local ch = go.chan()
        local res = go.chan(1)
        go(function() res:send(pack(go.select { go.send(ch, "s"), go.recv(ch) })) end)
        settle()
        ch:send("t")
        local r = res:recv()
        assert.same({ n = 3, 2, "t", true }, r)
      end)
    end)
  end)

  describe("direction views in cases", function()
    it("receive through a receive-only view", function()
      local ch = go.chan(1)
      ch:send("x")
      local i, v = go.select { go.recv(ch:recv_only()) }
      assert.equal(1, i)
      assert.equal("x", v)
    end)

    it("send through a send-only view", function()
      local ch = go.chan(1)
      go.select { go.send(ch:send_only(), "y") }
      assert.same({ "y", true }, { ch:recv() })
    end)

    it("complete a blocked select through views on an unbuffered channel", function()
      run(function()
        local ch = go.chan()
        local res = go.chan(1)
        go(function() res:send(pack(go.select { go.recv(ch:recv_only()) })) end)
        settle()
        go.select { go.send(ch:send_only(), "z") }
        assert.same({ n = 3, 1, "z", true }, res:recv())
      end)
    end)

    it("raise 'receive from send-only channel' for a receive case on a send-only view", function()
      assert.error_matches(function()
        go.select { go.recv(go.chan(1):send_only()) }
      end, "receive from send-only channel", 1, true)
    end)

    it("raise 'receive from send-only channel' even with a default present", function()
      assert.error_matches(function()
        go.select { go.recv(go.chan():send_only()), default = true }
      end, "receive from send-only channel", 1, true)
    end)

    it("raise 'send to receive-only channel' for a send case on a receive-only view", function()
      assert.error_matches(function()
        go.select { go.send(go.chan(1):recv_only(), 1) }
      end, "send to receive-only channel", 1, true)
    end)

    it("raise 'send to receive-only channel' even with a default present", function()
      assert.error_matches(function()
        go.select { go.send(go.chan():recv_only(), 1), default = true }
      end, "send to receive-only channel", 1, true)
    end)

    it("raise even when another case is ready", function()
      local ready = go.chan(1)
      ready:send(1)
      assert.error_matches(function()
        go.select { go.recv(ready), go.send(go.chan(1):recv_only(), 1) }
      end, "send to receive-only channel", 1, true)
      assert.equal(1, ready:len())  -- nothing happened
    end)
  end)

  describe("malformed cases", function()
    it("raise 'bad argument #1 to 'select'' for a non-table", function()
      assert.error_matches(function() go.select(42) end,
                           "bad argument #1 to 'select'", 1, true)
    end)

    it("raise 'bad argument #1 to 'select'' for a non-case value in the list", function()
      assert.error_matches(function() go.select { 42 } end,
                           "bad argument #1 to 'select'", 1, true)
      assert.error_matches(function() go.select { go.recv(go.chan()), {} } end,
                           "bad argument #1 to 'select'", 1, true)
      assert.error_matches(function() go.select { go.chan() } end,
                           "bad argument #1 to 'select'", 1, true)
    end)

    it("raise for a non-case value even when a default is present", function()
      assert.error_matches(function() go.select { "x", default = true } end,
                           "bad argument #1 to 'select'", 1, true)
    end)

    it("raise 'bad argument #2 to 'recv'' for a non-callable receive handler", function()
      assert.error_matches(function() go.recv(go.chan(), 42) end,
                           "bad argument #2 to 'recv'", 1, true)
    end)

    it("raise 'bad argument #3 to 'send'' for a non-callable send handler", function()
      assert.error_matches(function() go.send(go.chan(), 1, "h") end,
                           "bad argument #3 to 'send'", 1, true)
    end)

    it("raise 'bad argument #1 to 'recv'' for a non-channel", function()
      assert.error_matches(function() go.recv("x") end,
                           "bad argument #1 to 'recv'", 1, true)
      assert.error_matches(function() go.recv({}) end,
                           "bad argument #1 to 'recv'", 1, true)
    end)

    it("raise 'bad argument #1 to 'send'' for a non-channel", function()
      assert.error_matches(function() go.send(42, 1) end,
                           "bad argument #1 to 'send'", 1, true)
    end)

    it("raise 'bad argument #1 to 'select'' for a default neither true nor a function", function()
      for _, d in ipairs { 42, "x", {} } do
        assert.error_matches(function()
          go.select { go.recv(go.chan()), default = d }
        end, "bad argument #1 to 'select'", 1, true)
      end
    end)
  end)

  describe("under load", function()
    it("delivers every value exactly once: 50 goroutines x 2,000 selects over 4 channels", function()
      run(function()
        local NCONS, NSEL, NPROD = 50, 2000, 4
        local total = NCONS * NSEL
        local per = total // NPROD
        local chans = { go.chan(), go.chan(), go.chan(8), go.chan(64) }
        for p = 1, NPROD do
          local ch = chans[p]
          go(function()
            for k = 1, per do
              local v = p * 1000000 + k
              if k % 2 == 0 then ch:send(v) else go.select { go.send(ch, v) } end
            end
          end)
        end
        local seen, count, sum = {}, 0, 0
        local done = go.chan()
        for c = 1, NCONS do
          go(function()
            local cases = {
              go.recv(chans[1]), go.recv(chans[2]), go.recv(chans[3]),
              go.recv(chans[4], function(v, ok) return 4, v, ok end),
            }
            for _ = 1, NSEL do
              local i, v, ok = go.select(cases)
              assert(ok, "closed?")
              assert(v // 1000000 == i, "value from the wrong channel")
              seen[v] = (seen[v] or 0) + 1
              count = count + 1
              sum = sum + v
            end
            done:send(c)
          end)
        end
        for _ = 1, NCONS do done:recv() end
        assert.equal(total, count)
        local want = 0
        for p = 1, NPROD do want = want + p * 1000000 * per + per * (per + 1) // 2 end
        assert.equal(want, sum)
        local distinct, dups = 0, 0
        for _, n in pairs(seen) do
          distinct = distinct + 1
          if n ~= 1 then dups = dups + 1 end
        end
        assert.equal(total, distinct)
        assert.equal(0, dups)
        for p = 1, NPROD do assert.equal(0, chans[p]:len()) end
      end)
    end)
  end)
end)
