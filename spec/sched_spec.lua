--- The scheduler: goroutines, ids, fairness, blocking from anywhere,
-- goroutine errors, exit and deadlock (API.md "Goroutines", "Deadlock").
local go = require "gochan"
local support = require "spec.support"

--- Run `src` in a fresh lua5.4 process (as support.run_lua) but kill it
-- after `secs` seconds, so a hang fails the spec instead of the suite.
-- Returns output, exit code (124 on timeout).
local function run_lua_timeout(src, secs)
  return support.run_lua(src, "timeout " .. secs .. " ")
end

--- Receive from `ch` with pcall; returns ok, value-or-error.
local function precv(ch)
  return pcall(ch.recv, ch)
end

--- The non-empty lines of a string.
local function lines(s)
  local t = {}
  for l in s:gmatch("[^\n]+") do t[#t + 1] = l end
  return t
end

describe("gochan scheduler", function()

  describe("go(f, ...)", function()
    it("returns increasing integer ids", function()
      local done = go.chan(2)
      local a = go(function() done:send(1) end)
      local b = go.go(function() done:send(2) end)
      assert.equal("integer", math.type(a))
      assert.equal("integer", math.type(b))
      assert.is_true(b > a)
      done:recv(); done:recv()
    end)

    it("is the same function as go.go", function()
      local c = go.chan()
      go.go(function(x) c:send(x) end, "via go.go")
      assert.equal("via go.go", (c:recv()))
    end)

    it("passes every argument, nil included", function()
      local c = go.chan(1)
      go(function(...) c:send(table.pack(...)) end, nil, 2)
      local args = c:recv()
      assert.equal(2, args.n)
      assert.is_nil(args[1])
      assert.equal(2, args[2])
      go.go(function(...) c:send(table.pack(...)) end, 1, nil, nil)
      args = c:recv()
      assert.equal(3, args.n)
      assert.equal(1, args[1])
      go(function(...) c:send(select("#", ...)) end)
      assert.equal(0, (c:recv()))
    end)

    it("passes a thousand arguments, also to a recycled coroutine", function()
      local c = go.chan(1)
      local big = {}
      for i = 1, 1000 do big[i] = i end
      for _ = 1, 2 do
        go(function(...) c:send(table.pack(...)) end, table.unpack(big))
        local args = c:recv()
        assert.equal(1000, args.n)
        assert.equal(1000, args[1000])
      end
    end)

    it("starts a goroutine from inside a goroutine", function()
      local c = go.chan()
      go(function() go(function() c:send(go.id()) end) end)
      local id = c:recv()
      assert.equal("integer", math.type(id))
    end)

    it("accepts a C function", function()
      local t = {}
      go(table.insert, t, "x")
      go(rawset, t, "k", "v")
      go.yield()
      assert.same({ "x", k = "v" }, t)
    end)

    it("runs a blocking C method as the goroutine itself: go(c.send, c, v)", function()
      local c = go.chan()
      go(c.send, c, "direct")
      assert.equal("direct", (c:recv()))
      local r = go.chan(1)
      go(go.select, { go.send(r, "by select") })
      go.yield()
      assert.equal("by select", (r:recv()))
    end)

    it("accepts a callable table", function()
      local c = go.chan()
      local obj = setmetatable({ name = "obj" }, {
        __call = function(self, x, y) c:send(self.name .. x .. y) end,
      })
      go(obj, "-a", "-b")
      assert.equal("obj-a-b", (c:recv()))
      go.go(obj, "-c", "-d")
      assert.equal("obj-c-d", (c:recv()))
    end)

    it("rejects a non-function with a luaL_argerror message", function()
      assert.error_matches(function() go(42) end,
        "bad argument #1 to 'go' (function expected, got number)", 1, true)
      assert.error_matches(function() go.go(42) end,
        "bad argument #1 to 'go' (function expected, got number)", 1, true)
      assert.error_matches(function() go.go() end,
        "bad argument #1 to 'go' (function expected, got no value)", 1, true)
      assert.error_matches(function() go({}) end,
        "bad argument #1 to 'go' (function expected, got table)", 1, true)
    end)
  end)

  describe("go.id()", function()
    it("is 1 in the main goroutine of a fresh process", function()
      local out, code = support.run_lua([[
        local go = require "gochan"
        io.write(math.type(go.id()), " ", go.id())
      ]])
      assert.equal(0, code)
      assert.equal("integer 1", out)
    end)

    it("is 1 in the main goroutine here too", function()
      assert.equal(1, go.id())
    end)

    it("equals, inside a goroutine, the id go() returned", function()
      local c = go.chan(3)
      local ids = {}
      for i = 1, 3 do ids[i] = go(function() c:send({ i, go.id() }) end) end
      for _ = 1, 3 do
        local r = c:recv()
        assert.equal(ids[r[1]], r[2])
      end
      assert.equal(1, go.id())
    end)

    it("is the goroutine's id inside a user coroutine nested in it", function()
      local c = go.chan(1)
      local id = go(function()
        c:send(coroutine.wrap(function() return go.id() end)())
      end)
      assert.equal(id, (c:recv()))
      assert.equal(1, coroutine.wrap(function() return go.id() end)())
    end)

    it("is back to main's id after main's blocking call", function()
      local c = go.chan()
      go(function() c:send(go.id()) end)
      assert.is_not.equal(1, (c:recv()))
      assert.equal(1, go.id())
    end)

    it("is never reused, even when finished goroutines are recycled", function()
      local c = go.chan(1)
      local seen, last = {}, 1
      for _ = 1, 3000 do
        local id = go(function() c:send(go.id()) end)
        assert.equal(id, (c:recv()))
        assert.is_nil(seen[id])
        assert.is_true(id > last)
        seen[id], last = true, id
      end
    end)
  end)

  describe("go.numgoroutine()", function()
    it("counts main plus live goroutines and drops when they finish", function()
      local base = go.numgoroutine()
      assert.is_true(base >= 1)
      local gate, done = go.chan(), go.chan(3)
      for _ = 1, 3 do go(function() gate:recv(); done:send(true) end) end
      assert.equal(base + 3, go.numgoroutine())  -- not started yet: still live
      go.yield()
      assert.equal(base + 3, go.numgoroutine())  -- blocked on gate
      for _ = 1, 3 do gate:send(true) end
      for _ = 1, 3 do done:recv() end
      go.yield()
      assert.equal(base, go.numgoroutine())
    end)

    it("is 1 in a fresh process with no goroutines", function()
      local out, code = support.run_lua([[
        local go = require "gochan"
        io.write(go.numgoroutine())
        go(function() end)
        io.write(" ", go.numgoroutine())
        go.yield()
        io.write(" ", go.numgoroutine())
      ]])
      assert.equal(0, code)
      assert.equal("1 2 1", out)
    end)
  end)

  describe("scheduling order", function()
    it("does not run goroutines until main blocks or yields", function()
      local ran = false
      go(function() ran = true end)
      local x = 0
      for i = 1, 1000 do x = x + i end
      assert.is_false(ran)
      go.yield()
      assert.is_true(ran)
    end)

    it("interleaves goroutines that go.yield() round-robin (FIFO)", function()
      local log, done = {}, go.chan()
      for _, name in ipairs { "a", "b", "c" } do
        go(function()
          for i = 1, 3 do
            log[#log + 1] = name .. i
            go.yield()
          end
          done:send(true)
        end)
      end
      for _ = 1, 3 do done:recv() end
      assert.same({ "a1", "b1", "c1", "a2", "b2", "c2", "a3", "b3", "c3" }, log)
    end)

    it("treats a bare coroutine.yield() at a goroutine's top level as go.yield()", function()
      local log, done = {}, go.chan()
      for _, name in ipairs { "a", "b" } do
        go(function()
          for i = 1, 3 do
            log[#log + 1] = name .. i
            coroutine.yield("ignored", i)
          end
          done:send(true)
        end)
      end
      for _ = 1, 2 do done:recv() end
      assert.same({ "a1", "b1", "a2", "b2", "a3", "b3" }, log)
    end)

    it("lets each runnable goroutine run once when main calls go.yield()", function()
      local log = {}
      for _, name in ipairs { "a", "b" } do
        go(function()
          for i = 1, 3 do
            log[#log + 1] = name .. i
            go.yield()
          end
        end)
      end
      go.yield()
      assert.same({ "a1", "b1" }, log)
      go.yield()
      assert.same({ "a1", "b1", "a2", "b2" }, log)
      go.yield()
      go.yield()
      assert.same({ "a1", "b1", "a2", "b2", "a3", "b3" }, log)
    end)

    it("returns from main's blocking call as soon as it can complete", function()
      local log, c = {}, go.chan()
      go(function() log[#log + 1] = "g1"; c:send(1) end)
      go(function() log[#log + 1] = "g2" end)
      c:recv()
      log[#log + 1] = "main"
      go.yield()
      assert.same({ "g1", "main", "g2" }, log)
    end)

    it("puts a goroutine that blocks at the back of the run queue", function()
      local log, c, done = {}, go.chan(), go.chan(3)
      go(function() log[#log + 1] = "a"; c:recv(); log[#log + 1] = "a woke"; done:send(1) end)
      go(function() log[#log + 1] = "b"; c:send(1); log[#log + 1] = "b sent"; done:send(1) end)
      go(function() log[#log + 1] = "c"; done:send(1) end)
      for _ = 1, 3 do done:recv() end
      assert.same({ "a", "b", "b sent", "c", "a woke" }, log)
    end)
  end)

  describe("blocking where a coroutine cannot yield to the scheduler", function()
    it("works from a user coroutine nested in a goroutine", function()
      local c, res = go.chan(), go.chan()
      go(function()
        local inner = coroutine.wrap(function()
          local v = c:recv()
          coroutine.yield(v * 2)
          return c:recv() * 3
        end)
        local a = inner()
        local b = inner()
        res:send({ a, b })
      end)
      go(function() c:send(5); c:send(7) end)
      assert.same({ 10, 21 }, (res:recv()))
    end)

    it("works from main inside a coroutine.wrap", function()
      local c = go.chan()
      go(function() c:send("hello") end)
      local v, ok = coroutine.wrap(function() return c:recv() end)()
      assert.equal("hello", v)
      assert.is_true(ok)
    end)

    it("works inside a table.sort comparator in a goroutine", function()
      local c, res = go.chan(), go.chan()
      go(function()
        local t = { 5, 3, 9, 1, 7 }
        local got = {}
        table.sort(t, function(a, b)
          if #got < 3 then got[#got + 1] = c:recv() end
          return a < b
        end)
        res:send({ t, got })
      end)
      go(function() for i = 1, 3 do c:send(i * 10) end end)
      local r = res:recv()
      assert.same({ 1, 3, 5, 7, 9 }, r[1])
      assert.same({ 10, 20, 30 }, r[2])
    end)

    it("works inside a string.gsub callback in a goroutine", function()
      local c, res = go.chan(), go.chan()
      go(function()
        res:send((("abc"):gsub("%a", function(ch) return ch .. c:recv() end)))
      end)
      go(function() for i = 1, 3 do c:send(i) end end)
      assert.equal("a1b2c3", (res:recv()))
    end)

    it("lets main continue once woken while a goroutine waits inside a comparator #knownbug", function()
      -- main's c1:recv() runs the loop; g1 blocks inside table.sort and runs
      -- the loop nested; g2 wakes main, then blocks. main could now send
      -- on c2 and free g1: no goroutine is stuck for good.
      local out, code = support.run_lua([[
        local go = require "gochan"
        local c1, c2, c3 = go.chan(), go.chan(), go.chan()
        go(function()
          local got
          table.sort({ 2, 1 }, function(a, b) got = got or c2:recv(); return a < b end)
          print("g1 got", got)
          c3:send("done")
        end)
        go(function() c1:send("to main") end)
        print("main got", (c1:recv()))
        c2:send("from main")
        print(c3:recv())
      ]])
      assert.equal("main got\tto main\ng1 got\tfrom main\ndone\ttrue\n", out)
      assert.equal(0, code)
    end)

    it("works inside pcall, xpcall, a for iterator and an __index metamethod in a goroutine", function()
      local c, res = go.chan(), go.chan()
      go(function()
        local r = {}
        r[1] = select(2, pcall(c.recv, c))
        r[2] = select(2, xpcall(function() return c:recv() end, debug.traceback))
        for v in function() if #r < 3 then return c:recv() end end do r[#r + 1] = v end
        local t = setmetatable({}, { __index = function(_, k) return k .. c:recv() end })
        r[4] = t.key
        res:send(r)
      end)
      go(function() for i = 1, 4 do c:send(i) end end)
      assert.same({ 1, 2, 3, "key4" }, (res:recv()))
    end)

    it("works inside __tostring called by tostring and inside require in a goroutine", function()
      local c, res = go.chan(), go.chan()
      package.preload["gochan_spec_blocking_module"] = function() return { v = c:recv() } end
      go(function()
        local obj = setmetatable({}, { __tostring = function() return "obj" .. c:recv() end })
        local s = tostring(obj)
        local m = require "gochan_spec_blocking_module"
        res:send({ s, m.v })
      end)
      go(function() c:send(1); c:send(2) end)
      local r = res:recv()
      package.preload["gochan_spec_blocking_module"] = nil
      package.loaded["gochan_spec_blocking_module"] = nil
      assert.same({ "obj1", 2 }, r)
    end)

    it("lets goroutines run, fail and wake it while a goroutine waits inside a comparator", function()
      local c, res = go.chan(), go.chan()
      go(function()
        local got
        table.sort({ 2, 1 }, function(a, b) got = got or c:recv(); return a < b end)
        res:send(got)
      end)
      local bad = go(function() error("failed meanwhile") end)
      go(function() c:send("late value") end)
      -- the error may come at this receive or at the next blocking call;
      -- the value is never lost
      local results = {}
      for _ = 1, 2 do
        local ok, v = pcall(res.recv, res)
        results[#results + 1] = ok and v or ("error: " .. v)
      end
      table.sort(results)
      assert.truthy(results[1]:find("^error: goroutine " .. bad .. ": "))
      assert.truthy(results[1]:find("failed meanwhile", 1, true))
      assert.equal("late value", results[2])
    end)

    it("works inside a table.sort comparator in main", function()
      local c = go.chan()
      go(function() c:send(-1) end)
      local t, got = { 2, 1 }, nil
      table.sort(t, function(a, b) got = got or c:recv(); return a < b end)
      assert.same({ 1, 2 }, t)
      assert.equal(-1, got)
    end)
  end)

  describe("goroutine errors", function()
    it("reach main at its blocking call as 'goroutine N: <msg>' with a traceback", function()
      local c = go.chan()
      local id = go(function() error("boom in goroutine") end)
      local ok, err = precv(c)
      assert.is_false(ok)
      assert.equal("string", type(err))
      assert.equal("goroutine " .. id .. ": ", err:sub(1, #("goroutine " .. id .. ": ")))
      assert.truthy(err:find("boom in goroutine", 1, true))
      assert.truthy(err:find("sched_spec.lua:%d+: boom in goroutine"))
      assert.truthy(err:find("\nstack traceback:", 1, true))
      -- the traceback is the goroutine's: it shows the function that failed
      local tb = err:match("\nstack traceback:(.*)$")
      assert.truthy(tb:find("in function 'error'", 1, true))
      assert.truthy(tb:find("sched_spec.lua:%d+: in function <"))
    end)

    it("drop the failed goroutine from go.numgoroutine()", function()
      local c = go.chan()
      local base = go.numgoroutine()
      go(function() error("x") end)
      assert.equal(base + 1, go.numgoroutine())
      assert.is_false((precv(c)))
      assert.equal(base, go.numgoroutine())
    end)

    it("are raised at a blocking select in main, whose cases are withdrawn", function()
      local a, b = go.chan(), go.chan()
      local id = go(function() error("select-time error") end)
      local ok, err = pcall(go.select, { go.recv(a), go.recv(b) })
      assert.is_false(ok)
      assert.truthy(err:find("^goroutine " .. id .. ": "))
      -- no stale case of main's select swallows a later value
      local res = go.chan()
      go(function() a:send("A") end)
      go(function() res:send((a:recv())) end)
      assert.equal("A", (res:recv()))
    end)

    it("are raised at main's blocking call inside a coroutine.wrap", function()
      local c = go.chan()
      local id = go(function() error("wrapped wait") end)
      local ok, err = pcall(coroutine.wrap(function() return c:recv() end))
      assert.is_false(ok)
      assert.truthy(err:find("goroutine " .. id .. ": ", 1, true))
    end)

    it("of a goroutine failing inside a nested user coroutine carry its text", function()
      local c = go.chan()
      local id = go(function()
        coroutine.wrap(function() error("deep failure") end)()
      end)
      local ok, err = precv(c)
      assert.is_false(ok)
      assert.truthy(err:find("^goroutine " .. id .. ": "))
      assert.truthy(err:find("deep failure", 1, true))
    end)

    it("of a C function goroutine carry its message", function()
      local c = go.chan()
      local id = go(error, "c function failure", 0)
      local ok, err = precv(c)
      assert.is_false(ok)
      assert.equal("goroutine " .. id .. ": c function failure\n",
        err:sub(1, #("goroutine " .. id .. ": c function failure\n")))
    end)

    it("keep a position-less message exactly", function()
      local c = go.chan()
      local id = go(function() error("plain", 0) end)
      local ok, err = precv(c)
      assert.is_false(ok)
      assert.equal("goroutine " .. id .. ": plain\nstack traceback:\n",
        err:sub(1, #("goroutine " .. id .. ": plain\nstack traceback:\n")))
    end)

    it("convert a table error with __tostring using tostring", function()
      local c = go.chan()
      local id = go(function()
        error(setmetatable({}, { __tostring = function() return "custom error object" end }))
      end)
      local ok, err = precv(c)
      assert.is_false(ok)
      assert.equal("string", type(err))
      assert.equal("goroutine " .. id .. ": custom error object\nstack traceback:",
        err:sub(1, #("goroutine " .. id .. ": custom error object\nstack traceback:")))
    end)

    it("convert a number error using tostring", function()
      local c = go.chan()
      local id = go(function() error(42) end)
      local ok, err = precv(c)
      assert.is_false(ok)
      assert.equal("goroutine " .. id .. ": 42\n", err:sub(1, #("goroutine " .. id .. ": 42\n")))
      id = go(function() error(1.5) end)
      ok, err = precv(c)
      assert.is_false(ok)
      assert.equal("goroutine " .. id .. ": 1.5\n", err:sub(1, #("goroutine " .. id .. ": 1.5\n")))
    end)

    it("are raised at main's go.yield() too", function()
      local id = go(function() error("yield-time error") end)
      local ok, err = pcall(go.yield)
      assert.is_false(ok)
      assert.truthy(err:find("^goroutine " .. id .. ": "))
      assert.truthy(err:find("yield-time error", 1, true))
    end)

    it("leave the scheduler working after the error is caught", function()
      local c = go.chan()
      go(function() error("first failure") end)
      local ok = precv(c)
      assert.is_false(ok)
      assert.equal(1, go.id())
      local log = {}
      go(function() log[#log + 1] = "later"; c:send("still works") end)
      assert.equal("still works", (c:recv()))
      assert.same({ "later" }, log)
      local b = go.chan(1)
      go(function() b:send(b:cap()) end)
      assert.equal(1, (b:recv()))
    end)

    it("of several goroutines come out one per blocking call, in order", function()
      local c = go.chan()
      local ids = {}
      for i = 1, 3 do ids[i] = go(function() error("failure " .. i) end) end
      for i = 1, 3 do
        local ok, err = precv(c)
        assert.is_false(ok)
        assert.truthy(err:find("^goroutine " .. ids[i] .. ": "))
        assert.truthy(err:find("failure " .. i, 1, true))
      end
      go(function() c:send("after") end)
      assert.equal("after", (c:recv()))
    end)

    it("happening while main is blocked come out before main's value", function()
      local c = go.chan()
      local id = go(function() error("during the wait") end)
      go(function() c:send("value") end)
      local ok, err = precv(c)
      assert.is_false(ok)
      assert.truthy(err:find("^goroutine " .. id .. ": "))
      -- the sender is still there: the next receive gets its value
      assert.equal("value", (c:recv()))
    end)

    it("close the failing goroutine's <close> variables", function()
      local c = go.chan()
      local closed = {}
      local id = go(function()
        local function closer(name)
          return setmetatable({}, { __close = function(_, e) closed[#closed + 1] = { name, e } end })
        end
        local _a <close> = closer("a")  -- luacheck: no unused
        local _b <close> = closer("b")  -- luacheck: no unused
        error("closing error")
      end)
      local ok, err = precv(c)
      assert.is_false(ok)
      assert.truthy(err:find("^goroutine " .. id .. ": "))
      assert.equal(2, #closed)
      assert.equal("b", closed[1][1])
      assert.equal("a", closed[2][1])
      assert.truthy(tostring(closed[1][2]):find("closing error", 1, true))
      assert.truthy(tostring(closed[2][2]):find("closing error", 1, true))
    end)

    it("close the <close> variables of a goroutine that fails while blocked elsewhere", function()
      local c, gate = go.chan(), go.chan()
      local closed = false
      go(function()
        local _ <close> = setmetatable({}, { __close = function() closed = true end })
        gate:recv()
        error("after the wait")
      end)
      go.yield()
      assert.is_false(closed)
      go(function() gate:send(1) end)
      local ok, err = precv(c)
      assert.is_false(ok)
      assert.truthy(err:find("after the wait", 1, true))
      assert.is_true(closed)
    end)
  end)

  describe("user code touching a goroutine's coroutine", function()
    it("fails with an error for a parked goroutine, and the scheduler keeps working", function()
      local c = go.chan()
      local co
      local got = {}
      go(function() co = coroutine.running(); got[#got + 1] = c:recv() end)
      go.yield()
      assert.equal("suspended", coroutine.status(co))
      local before = go.numgoroutine()
      local ok, err = coroutine.resume(co)
      assert.is_false(ok)
      assert.is_not_nil(err)
      assert.equal("dead", coroutine.status(co))
      assert.equal(before - 1, go.numgoroutine())
      -- the value goes to a live receiver, never to the withdrawn one
      local res = go.chan()
      go(function() c:send("v") end)
      go(function() res:send((c:recv())) end)
      assert.equal("v", (res:recv()))
      assert.same({}, got)
    end)

    it("fails with an error for a goroutine readied but not yet run, which is then dropped", function()
      local out, code = support.run_lua([[
        local go = require "gochan"
        local c = go.chan()
        local co
        go(function() co = coroutine.running(); c:recv(); print("never") end)
        go.yield()
        go(function() c:send(1) end)
        go.yield()  -- the sender ran and readied the receiver: it waits in the run queue
        print(coroutine.resume(co))
        for _ = 1, 5 do go(function() end) end
        go.yield(); go.yield()
        print(go.numgoroutine())
      ]])
      assert.equal(0, code, out)
      local l = lines(out)
      assert.equal(2, #l, out)
      assert.truthy(l[1]:find("^false\t"), out)
      assert.equal("1", l[2])
    end)

    it("coroutine.close of a parked goroutine withdraws it: no value is lost to it", function()
      local out, code = support.run_lua([[
        local go = require "gochan"
        local c = go.chan()
        local co
        go(function() co = coroutine.running(); c:recv() end)
        go.yield()
        assert(coroutine.close(co))
        local res = go.chan()
        go(function() res:send((c:recv())) end)
        go(function() c:send("v") end)
        print(pcall(res.recv, res))
        go.yield()
        print(go.numgoroutine())
      ]])
      assert.equal(0, code, out)
      assert.equal("true\tv\ttrue\n1\n", out)
    end)

    it("coroutine.close of goroutines parked on a shared channel, in a select and " ..
       "on a shared mutex: the next operations neither hang nor lose a value #thread",
       function()
      local ch, mu = go.chan(), go.mutex()
      go.thread(function() end, ch, mu):join()  -- both shared now
      local cos = {}
      go(function() cos[1] = coroutine.running(); ch:recv() end)
      go(function() cos[2] = coroutine.running(); go.select({ go.recv(ch) }) end)
      mu:lock()
      go(function() cos[3] = coroutine.running(); mu:lock() end)
      go.yield()
      for _, co in ipairs(cos) do assert(coroutine.close(co)) end
      -- each op below met the abandoned waiters under the object's lock
      -- and locked it again (a hang) before they were dropped
      local k = go.select({ go.send(ch, "lost?"), default = true })
      assert.equal(0, k)  -- no live receiver: the default
      go(function() ch:send("v") end)
      assert.same({ "v", true }, { ch:recv() })
      mu:unlock()
      assert.is_true(mu:try_lock())
      mu:unlock()
      go.yield()
      assert.equal(1, go.numgoroutine())
    end)

    it("coroutine.close of a goroutine in a select over a local and a shared channel: " ..
       "a send from another thread is not handed to it, and it is dropped once #thread",
       function()
      -- a probe of the local channel queues the closed goroutine to be
      -- dropped; the thread's send on the shared one then completed its
      -- select too and queued it a second time (a use after free)
      for _, probe in ipairs({ "select", "share" }) do
        local loc, sh, start = go.chan(), go.chan(), go.chan(1)
        local th = go.thread(function(c, st)
          st:recv()
          c:send("x")
        end, sh, start)
        local co
        go(function()
          co = coroutine.running()
          go.select({ probe == "select" and go.recv(loc) or go.send(loc, "v"), go.recv(sh) })
        end)
        go.yield()
        assert(coroutine.close(co))
        if probe == "select" then
          assert.equal(0, go.select({ go.send(loc, 1), default = true }))
          start:send(true)
        else
          start:send(loc)  -- loc crosses: its stale sender is dropped
        end
        -- busy, without running the scheduler: the thread's send meets
        -- the closed goroutine's waiter, still queued
        local t0 = os.clock()
        while os.clock() - t0 < 0.15 do end
        go.sleep(0.02)
        assert.same({ "x", true }, { sh:recv() })
        th:join()
        go.yield()
        assert.equal(1, go.numgoroutine())
      end
    end)

    it("does not crash for a goroutine that yielded with go.yield()", function()
      local out, code = support.run_lua([[
        local go = require "gochan"
        local co
        go(function() co = coroutine.running(); go.yield(); go.yield() end)
        go.yield()
        print(pcall(coroutine.resume, co))
        go.yield(); go.yield(); go.yield()
        local c = go.chan()
        go(function() c:send("alive") end)
        print(c:recv())
      ]])
      assert.equal(0, code)
      assert.truthy(out:find("alive\ttrue\n$"))
    end)
  end)

  describe("the end of the main chunk", function()
    it("exits at once with code 0 and no output while goroutines are blocked or runnable", function()
      local t0 = os.time()
      local out, code = run_lua_timeout([[
        local go = require "gochan"
        local c = go.chan()
        for _ = 1, 10 do go(function() c:recv() end) end
        for _ = 1, 10 do go(function() c:send(1) ; c:send(2); c:send(3) end) end
        go(function() go.select {} end)
        go.yield()
        for _ = 1, 10 do go(function() go.yield() end) end  -- runnable, never run
      ]], 10)
      assert.equal("", out)
      assert.equal(0, code)
      assert.is_true(os.time() - t0 <= 3)
    end)

    it("exits at once while a goroutine spins in an infinite yield loop", function()
      local t0 = os.time()
      local out, code = run_lua_timeout([[
        local go = require "gochan"
        local n = 0
        go(function() while true do n = n + 1; go.yield() end end)
        go(function() while true do coroutine.yield() end end)
        for _ = 1, 100 do go.yield() end
        assert(n == 100, n)
      ]], 10)
      assert.equal("", out)
      assert.equal(0, code)
      assert.is_true(os.time() - t0 <= 3)
    end)
  end)

  describe("deadlock", function()
    it("reports every blocked goroutine with its wait reason and file:line", function()
      local out, code = support.run_lua([[
        local go = require "gochan"
        local where = {}
        local function here() local i = debug.getinfo(2, "Sl"); return i.short_src .. ":" .. i.currentline end
        local a, b = go.chan(), go.chan()
        local ids = {}
        ids.recv = go(function() where.recv = here(); a:recv() end)
        ids.send = go(function() where.send = here(); b:send(1) end)
        ids.select = go(function() where.select = here(); go.select { go.recv(a), go.send(b, 2) } end)
        ids.nocases = go(function() where.nocases = here(); go.select {} end)
        local ok, err = pcall(function() where.main = here(); a:recv() end)
        print(ok)
        print(err)
        print("--")
        for _, k in ipairs { "main", "recv", "send", "select", "nocases" } do
          print(k, ids[k] or 1, where[k])
        end
      ]])
      assert.equal(0, code)
      local report, info = out:match("^(.-)\n%-%-\n(.*)$")
      assert.is_not_nil(report, out)
      local expect = {}
      for k, id, loc in info:gmatch("(%w+)\t(%d+)\t(%S+)\n") do expect[k] = { id = id, loc = loc } end
      local l = lines(report)
      assert.equal("false", l[1])
      assert.truthy(l[2]:find("all goroutines are asleep - deadlock!", 1, true), l[2])
      -- the first line of the error ends with the Go text
      assert.truthy(l[2]:find("all goroutines are asleep %- deadlock!$"), l[2])
      -- it carries main's position prefix (file:line: )
      assert.equal(expect.main.loc .. ": all goroutines are asleep - deadlock!", l[2])
      local want = {
        "goroutine 1 [chan receive]: " .. expect.main.loc,
        "goroutine " .. expect.recv.id .. " [chan receive]: " .. expect.recv.loc,
        "goroutine " .. expect.send.id .. " [chan send]: " .. expect.send.loc,
        "goroutine " .. expect.select.id .. " [select]: " .. expect.select.loc,
        "goroutine " .. expect.nocases.id .. " [select (no cases)]: " .. expect.nocases.loc,
      }
      local got = {}
      for i = 3, #l do got[#got + 1] = l[i] end
      table.sort(want); table.sort(got)
      assert.same(want, got)
    end)

    it("gives the line of the blocking call inside a called Lua function", function()
      local out, code = support.run_lua([[
        local go = require "gochan"
        local c = go.chan()
        local recvline
        local function helper()
          recvline = debug.getinfo(1, "l").currentline + 1
          c:recv()
        end
        go(function() helper() end)
        local d = go.chan()
        local ok, err = pcall(d.send, d, 1)
        io.write(err, "\n--\n", recvline, "\n")
      ]])
      assert.equal(0, code)
      local report, rline = out:match("^(.-)\n%-%-\n(%d+)\n$")
      assert.is_not_nil(report, out)
      assert.truthy(report:find("all goroutines are asleep - deadlock!", 1, true))
      assert.equal(rline, report:match("\ngoroutine %d+ %[chan receive%]: [^\n]-:(%d+)"))
      assert.truthy(report:find("\ngoroutine 1 %[chan send%]: "), report)
    end)

    it("is raised by main, in the usual form, while a goroutine waits inside a comparator", function()
      local out, code = support.run_lua([[
        local go = require "gochan"
        local c, c2 = go.chan(), go.chan()
        local line
        local id = go(function()
          table.sort({ 2, 1 }, function(a, b)
            line = debug.getinfo(1, "l").currentline; c2:recv()
            return a < b
          end)
          c:send(1)
        end)
        local ok, err = pcall(function() return c:recv() end)
        io.write(err, "\n--\n", id, " ", line, "\n")
      ]])
      assert.equal(0, code, out)
      local report, id, line = out:match("^(.-)\n%-%-\n(%d+) (%d+)\n$")
      assert.is_not_nil(report, out)
      local l = lines(report)
      assert.truthy(l[1]:find("^[^:]+:%d+: all goroutines are asleep %- deadlock!$"), report)
      assert.truthy(report:find("\ngoroutine " .. id .. " %[chan receive%]: [^\n]-:" .. line .. "\n?"), report)
    end)

    it("is an ordinary error: pcall catches it and the program continues", function()
      local out, code = support.run_lua([[
        local go = require "gochan"
        local c = go.chan()
        local ok, err = pcall(function() return c:recv() end)
        assert(not ok)
        assert(err:find("all goroutines are asleep - deadlock!", 1, true))
        go(function() c:send("after deadlock") end)
        print(c:recv())
        local ok2, err2 = pcall(go.select, {})
        assert(not ok2)
        assert(err2:find("goroutine 1 [select (no cases)]", 1, true), err2)
        go(function() c:send("again") end)
        print(c:recv())
      ]])
      assert.equal(0, code)
      assert.equal("after deadlock\ttrue\nagain\ttrue\n", out)
    end)

    it("ends the script with an error exit when not caught", function()
      local out, code = support.run_lua([[
        local go = require "gochan"
        go.chan():recv()
      ]])
      assert.is_not.equal(0, code)
      assert.truthy(out:find("all goroutines are asleep - deadlock!", 1, true))
      assert.truthy(out:find("goroutine 1 [chan receive]:", 1, true))
    end)
  end)
end)
