-- go.thread and th:join(), and channels and sync objects used by several
-- OS threads at once: API.md "Threads and values that cross them",
-- "Channels", "Select", "sync" and "Deadlock". Every case that starts a
-- thread is tagged #thread. Anything that would hang if the core were
-- wrong about blocking (join blocking the whole thread, deadlocks, exit
-- with threads alive, io in a thread) runs in a fresh process under
-- `timeout`; so do the stress and memory cases.
local go = require "gochan"
local support = require "spec.support"

local LUA = os.getenv("LUA") or "lua5.4"
local ROOT = os.getenv("PWD") or "."
-- the Makefile's sanitizer runs build into build/asan, build/tsan
local BUILDDIR = os.getenv("GOCHAN_BUILDDIR") or "build"
local SANITIZED = BUILDDIR:find("san") ~= nil

--- fresh(src [, opts]): run Lua source in a new process under `timeout`
-- (opts.timeout seconds, default 20; five times that in sanitizer runs),
-- stdin from opts.stdin (a shell command) or /dev/null, the interpreter
-- run under opts.wrap (a command prefix: valgrind) if given; returns the
-- combined output and exit code (124 or 137 when it had to be killed).
local function fresh(src, opts)
  opts = opts or {}
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(string.format(
    "package.path = %q .. package.path\npackage.cpath = %q .. package.cpath\n",
    ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;",
    ROOT .. "/" .. BUILDDIR .. "/?.so;"))
  f:write(src)
  f:close()
  local cmd = string.format("%stimeout -k 5 %d %s%s %s %s 2>&1; echo \"EXIT:$?\"",
    opts.stdin and ("(" .. opts.stdin .. ") | ") or "",
    (opts.timeout or 20) * (SANITIZED and 5 or 1), opts.wrap and (opts.wrap .. " ") or "",
    LUA, path, opts.stdin and "" or "</dev/null")
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  p:close()
  os.remove(path)
  local code = tonumber(out:match("EXIT:(%d+)%s*$"))
  return (out:gsub("EXIT:%d+%s*$", "")), code
end

-- errof: the error message raised by fn(...), or fails if none.
local function errof(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok, "expected an error")
  return tostring(err)
end

local has = support.has

-- parked: wait until goroutine 'id' (of any thread) is blocked; returns
-- what it waits on. Yields and polls, so it holds under GOCHAN_SCHED_SEED's
-- random scheduling too; fails after 10 s. (Copied into threads as is.)
local function parked(id)
  local deadline = go.now() + 10
  while true do
    for _, g in ipairs(go.debug.goroutines()) do
      if g.id == id and g.status == "waiting" then return g.wait end
    end
    assert(go.now() < deadline, "goroutine " .. id .. " never blocked")
    go.yield()
  end
end

-- leakcheck(): STYLE.md 2.11's leak check, for the describe it is called
-- in: after each case, once garbage is collected and the threads the case
-- started have ended, go.debug.stats() counts nothing more than before it.
local function leakcheck()
  local before, after = support.leakcheck({ "goroutines", "threads", "shared", "waiters", "channels", "timers" })
  before_each(before)
  after_each(after)
end

-- waitfor: poll (sleeping, so other threads run) until pred() is true;
-- fails after 10 s.
local function waitfor(pred, what)
  local deadline = go.now() + 10
  while not pred() do
    assert(go.now() < deadline, "timed out waiting for " .. (what or "a condition"))
    go.sleep(0.001)
  end
end


describe("go.thread", function()
  leakcheck()

  it("raises an argument error for a non-function", function()
    assert.error_matches(function() go.thread("x") end,
      "bad argument #1 to 'thread' (function expected, got string)", 1, true)
  end)

  it("passes its arguments, nil in the middle included #thread", function()
    local n, a, b, c = go.thread(function(...)
      return select("#", ...), ...
    end, 1, nil, "three"):join()
    assert.equal(3, n)
    assert.equal(1, a)
    assert.is_nil(b)
    assert.equal("three", c)
  end)

  it("runs f in a state of its own (globals are not shared) #thread", function()
    rawset(_G, "GOCHAN_THREAD_SPEC_X", "main")
    local seen = go.thread(function()
      local before = rawget(_G, "GOCHAN_THREAD_SPEC_X")
      rawset(_G, "GOCHAN_THREAD_SPEC_X", "thread")
      return before
    end):join()
    assert.is_nil(seen)
    assert.equal("main", rawget(_G, "GOCHAN_THREAD_SPEC_X"))
    rawset(_G, "GOCHAN_THREAD_SPEC_X", nil)
  end)

  it("gives the thread the caller's package.path and cpath #thread", function()
    local path, cpath = go.thread(function()
      return package.path, package.cpath
    end):join()
    assert.equal(package.path, path)
    assert.equal(package.cpath, cpath)
  end)

  it("gives the thread the same gochan API #thread", function()
    local function keys(m)
      local ks = {}
      for k in pairs(m) do ks[#ks + 1] = tostring(k) end
      table.sort(ks)
      return table.concat(ks, " ")
    end
    local there = go.thread(function(k) return k(require "gochan") end, keys):join()
    assert.equal(keys(go), there)
  end)

  it("runs a library function by name (go.thread(string.rep, 'a', 3)) #thread", function()
    assert.equal("aaa", go.thread(string.rep, "a", 3):join())
  end)

  it("starts threads from a thread, joined there #thread", function()
    local v, n = go.thread(function()
      local g = require "gochan"
      return g.thread(function(x) return x + 1, g.numgoroutine() end, 41):join()
    end):join()
    assert.equal(42, v)
    assert.is_true(n >= 3)  -- main, the thread and the inner thread
  end)

  it("runs 64 threads at once, each talking to main #thread", function()
    local ch = go.chan()
    local threads = {}
    for t = 1, 64 do
      threads[t] = go.thread(function(id)
        for i = 1, 10 do ch:send(id * 1000 + i) end
        return id
      end, t)
    end
    local sum = 0
    for _ = 1, 640 do sum = sum + ch:recv() end
    assert.equal(1000 * 10 * (64 * 65 // 2) + 64 * 55, sum)
    for t = 1, 64 do assert.equal(t, threads[t]:join()) end
  end)

  it("refuses to send a Thread to another thread (it does not cross) #thread", function()
    local th = go.thread(function() return 1 end)
    local msg = errof(go.thread, function() end, th)
    assert.is_true(has(msg, "cannot copy userdata to another thread"), msg)
    assert.equal(1, th:join())
  end)
end)


describe("th:join()", function()
  leakcheck()

  it("returns f's results, nil in the middle included #thread", function()
    local th = go.thread(function() return 1, nil, "x", nil end)
    local r = table.pack(th:join())
    assert.equal(4, r.n)
    assert.equal(1, r[1])
    assert.is_nil(r[2])
    assert.equal("x", r[3])
    assert.is_nil(r[4])
  end)

  it("returns nothing when f returns nothing #thread", function()
    local th = go.thread(function() end)
    assert.equal(0, select("#", th:join()))
  end)

  it("returns the same results when joined twice #thread", function()
    local th = go.thread(function() return 7, { k = "v" }, 2.5 end)
    local a = table.pack(th:join())
    local b = table.pack(th:join())
    assert.same(a, b)
    assert.same({ n = 3, 7, { k = "v" }, 2.5 }, a)
    assert.equal("integer", math.type(b[1]))
  end)

  it("returns 5,000 results, and the thread gets 5,000 arguments #thread", function()
    local args = {}
    for i = 1, 5000 do args[i] = i end
    local r = table.pack(go.thread(function(...)
      local n = select("#", ...)
      return n, ...
    end, table.unpack(args)):join())
    assert.equal(5001, r.n)
    assert.equal(5000, r[1])
    assert.equal(5000, r[5001])
  end)

  it("waits while the thread's goroutine waits on main, then returns #thread", function()
    local ch = go.chan()
    local th = go.thread(function()
      go(function() ch:recv() end)  -- f returns; this one still waits
      return "f done"
    end)
    go(function()
      go.sleep(0.02)
      ch:send(1)  -- wakes a goroutine of a thread that is past f
    end)
    assert.equal("f done", th:join())
  end)

  it("raises f's error with the thread's traceback #thread", function()
    local th = go.thread(function()
      local function inner() error("boom in the thread") end
      inner()
    end)
    local msg = errof(th.join, th)
    assert.is_true(has(msg, "boom in the thread"), msg)
    assert.is_true(has(msg, "stack traceback"), msg)
    assert.is_true(has(msg, "inner"), msg)  -- the thread's frames
  end)

  it("raises the same error when joined twice #thread", function()
    local th = go.thread(function() error("twice", 0) end)
    local a = errof(th.join, th)
    local b = errof(th.join, th)
    assert.equal(a, b)
    assert.is_true(has(a, "twice"), a)
  end)

  it("raises a non-string error converted with tostring #thread", function()
    local th = go.thread(function()
      error(setmetatable({}, { __tostring = function() return "custom error object" end }))
    end)
    local msg = errof(th.join, th)
    assert.is_true(has(msg, "custom error object"), msg)
  end)

  it("waits for the goroutines f started, after f returned #thread", function()
    local out = go.chan(2)
    local th = go.thread(function()
      go(function()
        go.sleep(0.05)
        out:send("late goroutine")
      end)
      out:send("f")
      return "f returned"
    end)
    assert.equal("f returned", th:join())
    assert.equal(2, out:len())  -- the goroutine had finished
    assert.equal("f", out:recv())
    assert.equal("late goroutine", out:recv())
  end)

  it("raises the error of a goroutine the thread started #thread", function()
    local th = go.thread(function()
      go(function() error("inner goroutine boom") end)
      return "ok"
    end)
    local msg = errof(th.join, th)
    assert.is_true(has(msg, "inner goroutine boom"), msg)
    assert.is_true(has(msg, "goroutine "), msg)
    go.sleep(0.01)  -- the error went to join, not to main's blocking calls
  end)

  it("serves several goroutines joining at once #thread", function()
    local gate = go.chan()
    local th = go.thread(function() gate:recv() return "done" end)
    local results = go.chan(3)
    for _ = 1, 3 do go(function() results:send((th:join())) end) end
    go.yield()
    gate:send(true)
    for _ = 1, 3 do assert.equal("done", results:recv()) end
  end)

  it("raises a main-side goroutine's error and can be joined again after #thread",
     function()
    local gate = go.chan()
    local th = go.thread(function() gate:recv() return "late" end)
    go(function() error("main-side goroutine failure") end)
    local msg = errof(th.join, th)
    assert.is_true(has(msg, "main-side goroutine failure"), msg)
    gate:send(true)
    assert.equal("late", th:join())
  end)

  it("waits inside a table.sort comparator of a goroutine (inline) #thread", function()
    local gate, res = go.chan(), go.chan(1)
    local th = go.thread(function() gate:recv() return "joined" end)
    go(function()
      local got
      table.sort({ 2, 1 }, function(a, b)
        got = got or th:join()
        return a < b
      end)
      res:send(got)
    end)
    go(function()
      go.sleep(0.02)
      gate:send(true)
    end)
    assert.equal("joined", res:recv())
  end)

  it("waits inside a coroutine.wrap nested in a goroutine #thread", function()
    local gate, res = go.chan(), go.chan(1)
    local th = go.thread(function() gate:recv() return "joined" end)
    go(function()
      local co = coroutine.wrap(function() return th:join() end)
      res:send(co())
    end)
    go(function()
      go.sleep(0.02)
      gate:send(true)
    end)
    assert.equal("joined", res:recv())
  end)

  it("blocks only the calling goroutine #thread", function()
    local out, code = fresh([[
      local go = require "gochan"
      local gate = go.chan()
      local log = {}
      local th = go.thread(function() return gate:recv() end)
      local done = go.chan()
      local joiner = go(function()
        log[#log + 1] = "join starts"
        local v = th:join()
        log[#log + 1] = "joined " .. tostring(v)
        done:send(true)
      end)
      go(function()
        local waiting  -- until the joiner is blocked in join
        repeat
          go.yield()
          for _, g in ipairs(go.debug.goroutines()) do
            if g.id == joiner and g.status == "waiting" then waiting = g.wait end
          end
        until waiting
        log[#log + 1] = "other goroutine runs while the joiner waits in " .. waiting
        gate:send("released")
      end)
      done:recv()
      print(table.concat(log, ", "))
    ]])
    assert.equal(0, code, out)
    assert.equal("join starts, other goroutine runs while the joiner waits in thread join, "
                 .. "joined released\n", out)
  end)
end)


describe("goroutines inside a thread", function()
  leakcheck()

  it("start with go(...) on the thread and have their own ids #thread", function()
    local ids, owner, mainid = go.thread(function()
      local g = require "gochan"
      local seen, own = {}, {}
      local done = g.chan()
      for i = 1, 5 do
        g(function()
          seen[i] = g.id()
          own[i] = true  -- a table of this state: they run here
          done:send(true)
        end)
      end
      for _ = 1, 5 do done:recv() end
      return seen, own, g.id()
    end):join()
    local all = { [go.id()] = "main", [mainid] = "thread main" }
    assert.is_true(go.id() ~= mainid)
    for i = 1, 5 do
      assert.is_true(owner[i])
      assert.equal("integer", math.type(ids[i]))
      assert.is_nil(all[ids[i]], "id used twice: " .. tostring(ids[i]))
      all[ids[i]] = i
    end
  end)

  it("are counted by go.numgoroutine(), with the thread #thread", function()
    local before = go.numgoroutine()
    local started, gate = go.chan(4), go.chan()
    local th = go.thread(function()
      for _ = 1, 3 do
        go(function()
          started:send(true)
          gate:recv()
        end)
      end
      started:send(true)
      gate:recv()
    end)
    for _ = 1, 4 do started:recv() end
    assert.equal(before + 4, go.numgoroutine())
    gate:close()
    th:join()
    assert.equal(before, go.numgoroutine())
  end)

  it("counts a thread in go.numgoroutine() as soon as go.thread returns #thread",
     function()
    -- As Go's NumGoroutine counts a goroutine once 'go f()' is done: a
    -- program polling go.numgoroutine() until it falls back must not see
    -- a thread that has not set up its state yet as gone.
    local before = go.numgoroutine()
    local gate = go.chan()
    local th = go.thread(function() gate:recv() end)
    local now = go.numgoroutine()
    gate:send(true)
    th:join()
    assert.equal(before + 1, now)
  end)

  it("counts a running thread in go.numgoroutine() #thread", function()
    local before = go.numgoroutine()
    local started, gate = go.chan(1), go.chan()
    local th = go.thread(function()
      started:send(true)
      gate:recv()
    end)
    started:recv()
    assert.equal(before + 1, go.numgoroutine())
    assert.equal(go.numgoroutine(),
                 go.thread(function() return go.numgoroutine() end):join() - 1)
    gate:send(true)
    th:join()
    assert.equal(before, go.numgoroutine())
  end)
end)


describe("channels across threads", function()
  leakcheck()

  it("become shared with their buffered values, in order #thread", function()
    local ch = go.chan(4)
    ch:send(1)
    ch:send({ 2 })
    ch:send("3")
    local a, b, c, len = go.thread(function()
      local x, y, z = ch:recv(), ch:recv(), ch:recv()
      return x, y[1], z, ch:len()
    end):join()
    assert.same({ 1, 2, "3", 0 }, { a, b, c, len })
  end)

  it("become shared with a parked sender's value #thread", function()
    local ch = go.chan()
    local sent = false
    local id = go(function()
      ch:send({ "parked" })
      sent = true
    end)
    assert.equal("chan send", parked(id))
    assert.equal("parked", go.thread(function() return ch:recv()[1] end):join())
    waitfor(function() return sent end, "the sender to finish")
  end)

  it("become shared under a parked receiver, which a thread then wakes #thread", function()
    local ch, got = go.chan(), go.chan(1)
    local id = go(function() got:send({ ch:recv() }) end)
    assert.equal("chan receive", parked(id))  -- while ch is local
    go.thread(function() ch:send({ "from the thread" }) end):join()
    local r = got:recv()
    assert.equal("from the thread", r[1][1])
    assert.is_true(r[2])
  end)

  it("become shared under a parked select, which a thread then wakes #thread", function()
    local a, b, got = go.chan(), go.chan(), go.chan(1)
    local id = go(function()
      go.select {
        go.recv(a, function(v) got:send("a:" .. v) end),
        go.recv(b, function(v) got:send("b:" .. v) end),
      }
    end)
    assert.equal("select", parked(id))
    go.thread(function() b:send("x") end):join()
    assert.equal("b:x", got:recv())
  end)

  it("become shared under a parked select send, which a thread takes #thread", function()
    local c, done = go.chan(), go.chan(1)
    local id = go(function()
      go.select { go.send(c, { 42 }) }
      done:send(true)
    end)
    parked(id)
    assert.equal(42, go.thread(function() return c:recv()[1] end):join())
    assert.is_true(done:recv())
  end)

  it("become shared under a parked sender, taken by its own state after #thread", function()
    local d = go.chan()
    parked(go(function() d:send({ "same state" }) end))
    go.thread(function() end, d):join()
    assert.equal("same state", d:recv()[1])
  end)

  it("stay local when a parked sender's value cannot be copied #thread", function()
    local ch = go.chan()
    local co = coroutine.create(print)
    parked(go(function() ch:send(co) end))
    local msg = errof(go.thread, function() return ch end)
    assert.is_true(has(msg, "cannot copy thread to another thread"), msg)
    assert.is_true(rawequal(co, (ch:recv())))  -- nothing lost, not copied
  end)

  it("stay local when a buffered value cannot be copied #thread", function()
    local ch = go.chan(3)
    local co = coroutine.create(print)
    ch:send({ 1 })
    ch:send(co)
    ch:send("last")
    local msg = errof(go.thread, function() return ch end)
    assert.is_true(has(msg, "cannot copy thread to another thread"), msg)
    assert.equal(3, ch:len())
    assert.equal(1, ch:recv()[1])
    assert.is_true(rawequal(co, (ch:recv())))  -- the very coroutine: still local
    assert.equal("last", ch:recv())
  end)

  it("share a channel that travels inside a value, with its buffered values #thread",
     function()
    local sh = go.chan(1)
    local inner = go.chan(2)
    inner:send("pre")
    local th = go.thread(function()
      local t = sh:recv()
      local first = t.c:recv()
      t.c:send("post")
      return first
    end)
    sh:send({ c = inner })
    assert.equal("pre", th:join())
    assert.equal("post", inner:recv())
  end)

  it("raise 'cannot copy' from a select send case, losing nothing #thread", function()
    local sh = go.chan(1)
    go.thread(function() end, sh):join()
    local co = coroutine.create(print)
    local msg = errof(go.select, { go.send(sh, co), default = true })
    assert.is_true(has(msg, "cannot copy thread to another thread"), msg)
    assert.equal(0, sh:len())
    assert.equal("suspended", coroutine.status(co))
  end)

  it("copy values even between goroutines of one state once shared #thread", function()
    -- API.md: every value sent on a channel that more than one state uses
    local ch = go.chan(1)
    go.thread(function() end, ch):join()
    local t = { "mine" }
    ch:send(t)
    local got = ch:recv()
    assert.same(t, got)
    assert.is_false(rawequal(t, got))
  end)

  it("carry 10,000 ping-pong round trips, values checked #thread", function()
    local ping, pong = go.chan(), go.chan()
    local th = go.thread(function()
      local n = 0
      for v in ping:range() do
        pong:send(v * 2 + 1)
        n = n + 1
      end
      return n
    end)
    for i = 1, 10000 do
      ping:send(i)
      local v, ok = pong:recv()
      assert(ok and v == i * 2 + 1, "round trip " .. i .. " got " .. tostring(v))
    end
    ping:close()
    assert.equal(10000, th:join())
  end)

  it("keep FIFO order for values sent from another thread #thread", function()
    local ch = go.chan(16)
    local th = go.thread(function()
      for i = 1, 2000 do ch:send(i) end
      ch:close()
    end)
    local want = 1
    for v in ch:range() do
      assert(v == want, "got " .. v .. ", want " .. want)
      want = want + 1
    end
    assert.equal(2001, want)
    th:join()
  end)

  it("move 1,000,000 values between 4 threads x 100 goroutines, each once #thread",
     function()
    -- Producers send v % 3 == 0 on a buffered channel, 1 on an unbuffered
    -- one, 2 through a select on both; consumers select on both until both
    -- are closed. Count, sum and sum of squares prove every value arrived
    -- exactly once; 'cross' counts values consumed on another thread than
    -- the one that produced them. About 2 s on a 2-core VM. Sanitizer runs
    -- move less: ASan a tenth; TSan a fiftieth (its memory grows with every
    -- coroutine switch: 100,000 values took 22 GB).
    local total = BUILDDIR:find("tsan") and 20000 or SANITIZED and 100000 or 1000000
    local out, code = fresh(string.format("local TOTAL = %d\n", total)
                            .. [[
      local go = require "gochan"
      local NTHREADS, NGO = 4, 100
      local PRODUCERS = NGO // 2  -- per thread; the other half consume
      local PER = TOTAL // (NTHREADS * PRODUCERS)
      assert(PER * NTHREADS * PRODUCERS == TOTAL)
      local buffered, unbuffered = go.chan(64), go.chan()
      local wg = go.waitgroup()
      wg:add(NTHREADS * PRODUCERS)
      local threads = {}
      for t = 1, NTHREADS do
        threads[t] = go.thread(function(tid)
          local totals = { count = 0, sum = 0, sq = 0, cross = 0 }
          local done = go.chan(NGO)
          for p = 1, PRODUCERS do
            go(function()
              local first = ((tid - 1) * PRODUCERS + (p - 1)) * PER + 1
              for v = first, first + PER - 1 do
                local r = v % 3
                if r == 0 then buffered:send(v)
                elseif r == 1 then unbuffered:send(v)
                else go.select { go.send(buffered, v), go.send(unbuffered, v) } end
              end
              wg:done()
            end)
          end
          for _ = 1, NGO - PRODUCERS do
            go(function()
              local b, u = buffered, unbuffered
              local c, s, q, x = 0, 0, 0, 0
              while b or u do
                local i, v, ok = go.select { go.recv(b), go.recv(u) }
                if not ok then
                  if i == 1 then b = nil else u = nil end
                else
                  c, s, q = c + 1, s + v, q + v * v
                  if (v - 1) // (PRODUCERS * PER) + 1 ~= tid then x = x + 1 end
                end
              end
              done:send({ c, s, q, x })
            end)
          end
          for _ = 1, NGO - PRODUCERS do
            local r = done:recv()
            totals.count = totals.count + r[1]
            totals.sum = totals.sum + r[2]
            totals.sq = totals.sq + r[3]
            totals.cross = totals.cross + r[4]
          end
          return totals
        end, t)
      end
      wg:wait()
      buffered:close()
      unbuffered:close()
      local count, sum, sq, cross = 0, 0, 0, 0
      for t = 1, NTHREADS do
        local r = threads[t]:join()
        count, sum, sq, cross = count + r.count, sum + r.sum, sq + r.sq, cross + r.cross
      end
      local N = TOTAL
      print(count == N, sum == N * (N + 1) // 2, sq == N * (N + 1) * (2 * N + 1) // 6,
            cross > 0, go.numgoroutine())
      print(count, sum, sq, cross)
    ]], { timeout = 60 })
    assert.equal(0, code, out)
    assert.equal("true\ttrue\ttrue\ttrue\t1", out:match("^[^\n]*"), out)
  end)

  it("let receivers on another thread see close: range ends, recv gives nil, false #thread",
     function()
    local ch = go.chan(4)
    local th = go.thread(function()
      local got = {}
      for v in ch:range() do got[#got + 1] = v end
      local v, ok = ch:recv()
      return got, v == nil, ok
    end)
    for i = 1, 3 do ch:send(i) end
    ch:close()
    local got, isnil, ok = th:join()
    assert.same({ 1, 2, 3 }, got)
    assert.is_true(isnil)
    assert.is_false(ok)
  end)

  it("wake receivers blocked on another thread when closed #thread", function()
    local ch, ready = go.chan(), go.chan(3)
    local th = go.thread(function()
      local res = go.chan(3)
      for _ = 1, 3 do
        go(function()
          ready:send(true)
          local v, ok = ch:recv()
          res:send({ v == nil, ok })
        end)
      end
      local all = {}
      for i = 1, 3 do all[i] = res:recv() end
      return all
    end)
    for _ = 1, 3 do ready:recv() end
    go.sleep(0.01)  -- let them block
    ch:close()
    assert.same({ { true, false }, { true, false }, { true, false } }, th:join())
  end)

  it("wake 1,000 receivers of another thread when closed #thread", function()
    local ch, ready = go.chan(), go.chan(1000)
    local th = go.thread(function()
      local closed, res = 0, go.chan(1000)
      for _ = 1, 1000 do
        go(function()
          ready:send(true)
          local _, ok = ch:recv()
          res:send(ok)
        end)
      end
      for _ = 1, 1000 do
        if res:recv() == false then closed = closed + 1 end
      end
      return closed
    end)
    for _ = 1, 1000 do ready:recv() end
    go.sleep(0.02)
    ch:close()
    assert.equal(1000, th:join())
  end)

  it("raise 'send on closed channel' for a send after another thread closed it #thread",
     function()
    local ch = go.chan(1)
    go.thread(function() ch:close() end):join()
    assert.error_matches(function() ch:send(1) end, "send on closed channel", 1, true)
  end)

  it("raise 'send on closed channel' in a sender blocked when another thread closes #thread",
     function()
    local ch, gate = go.chan(), go.chan()
    local th = go.thread(function()
      gate:recv()
      go.sleep(0.01)  -- the sender is blocked by now
      ch:close()
    end)
    gate:send(true)
    assert.error_matches(function() ch:send(1) end, "send on closed channel", 1, true)
    th:join()
  end)

  it("raise 'send on closed channel' in a sender on another thread #thread", function()
    local ch = go.chan()
    ch:close()
    local th = go.thread(function() ch:send(1) end)
    local msg = errof(th.join, th)
    assert.is_true(has(msg, "send on closed channel"), msg)
  end)

  it("let select choose uniformly among channels shared with threads #thread", function()
    local a, b = go.chan(2000), go.chan(2000)
    go.thread(function()
      for _ = 1, 2000 do
        a:send("a")
        b:send("b")
      end
    end):join()
    local count = { a = 0, b = 0 }
    for _ = 1, 2000 do
      local _, v = go.select { go.recv(a), go.recv(b) }
      count[v] = count[v] + 1
    end
    assert.is_true(count.a > 800 and count.b > 800,
                   ("a %d, b %d"):format(count.a, count.b))
  end)

  it("wake a select blocked on channels of two threads #thread", function()
    local a, b = go.chan(), go.chan()
    local ta = go.thread(function() go.sleep(0.02) a:send("from a") end)
    local tb = go.thread(function() go.sleep(0.04) b:send("from b") end)
    local got = {}
    for _ = 1, 2 do
      go.select {
        go.recv(a, function(v) got[#got + 1] = v end),
        go.recv(b, function(v) got[#got + 1] = v end),
      }
    end
    table.sort(got)
    assert.same({ "from a", "from b" }, got)
    ta:join()
    tb:join()
  end)
end)


describe("shared objects", function()
  leakcheck()

  it("arrive as the same userdata each time (== and rawequal) #thread", function()
    local ch = go.chan(2)
    local th = go.thread(function(c)
      c:send(c)
      c:send(c)
    end, ch)
    th:join()
    local a, b = ch:recv(), ch:recv()
    assert.is_true(rawequal(a, b))
    assert.is_true(a == ch)
    assert.is_true(rawequal(a, ch))
    local keyed = { [ch] = "found" }
    assert.equal("found", keyed[a])
  end)

  it("arrive as the same userdata twice in the thread #thread", function()
    local ch = go.chan(1)
    local carrier = go.chan(2)
    carrier:send(ch)  -- before sharing: kept in Lua, then copied
    local th = go.thread(function()
      local x = carrier:recv()
      local y = carrier:recv()
      return rawequal(x, y), x == y
    end)
    carrier:send(ch)
    local same, eq = th:join()
    assert.is_true(same)
    assert.is_true(eq)
  end)

  it("work as table keys across messages #thread", function()
    local ch = go.chan(2)
    local th = go.thread(function()
      local c = ch:recv()
      local keyed = ch:recv()
      return keyed[c]
    end)
    ch:send(ch)
    ch:send({ [ch] = "keyed" })
    assert.equal("keyed", th:join())
  end)

  it("outlive the thread that made them, with their state #thread", function()
    local ch, mu, wg = go.thread(function()
      local c = go.chan(2)
      c:send("a")
      c:send({ "b" })
      local m = go.mutex()
      m:lock()
      local w = go.waitgroup()
      w:add(1)
      return c, m, w
    end):join()
    collectgarbage()
    collectgarbage()
    assert.equal(2, ch:len())
    assert.equal("a", ch:recv())
    assert.equal("b", ch:recv()[1])
    assert.is_false(mu:try_lock())  -- still locked by the ended thread
    mu:unlock()
    assert.is_true(mu:try_lock())
    mu:unlock()
    wg:done()
    wg:wait()
    ch:close()
    assert.same({ nil, false }, { ch:recv() })
  end)

  it("are freed with the messages left in a dropped channel's buffer #thread", function()
    local before = go.debug.stats()
    do
      local a, inner = go.chan(2), go.chan(1)
      go.thread(function() end, a):join()  -- shared
      a:send({ inner, go.mutex() })  -- a's buffer holds inner and a mutex
    end
    local now
    waitfor(function()  -- the ended thread drops its last references late
      collectgarbage()
      collectgarbage()
      now = go.debug.stats()
      return now.channels <= before.channels and now.shared <= before.shared
    end, "the channels to be freed")
  end)

  it("are freed when only messages in their own buffers reference them #thread",
     function()
    -- Go collects a channel that holds itself; API.md: "a channel is
    -- garbage-collected when no Lua state references it". In a fresh
    -- process, so that a leak stays there (and LeakSanitizer, in sanitizer
    -- runs, reports it there).
    local out, code = fresh([[
      local go = require "gochan"
      local before = go.debug.stats()
      do
        local a = go.chan(1)
        local b, c = go.chan(1), go.chan(1)
        go.thread(function() end, a, b, c):join()  -- shared
        a:send(a)  -- a holds itself
        b:send(c)  -- b and c hold each other
        c:send(b)
      end
      local now
      for _ = 1, 200 do  -- the ended thread drops its last references late
        collectgarbage()
        collectgarbage()
        now = go.debug.stats()
        if now.channels == before.channels and now.shared == before.shared then break end
        go.sleep(0.005)
      end
      print(("channels %d -> %d, shared %d -> %d"):format(before.channels, now.channels,
                                                          before.shared, now.shared))
    ]])
    assert.equal("channels 0 -> 0, shared 0 -> 0\n", out)
    assert.equal(0, code, out)
  end)

  it("are freed when the last reference from outside their buffers was a message " ..
     "(received here, or the results of a thread nobody joined) #thread", function()
    -- the last box's finalizer looked while that message still held the
    -- channel; the message's end must look again
    local out, code = fresh([[
      local go = require "gochan"
      local before = go.debug.stats()
      local hub = go.chan(1)
      go.thread(function(h)
        local a = go.chan(1)
        h:send(a)  -- a is shared now
        a:send(a)  -- a holds itself
      end, hub):join()
      do local a = hub:recv() end  -- then dropped
      local th = go.thread(function()
        local b = go.chan(1)
        go.thread(function() end, b):join()
        b:send(b)
        return b  -- nobody joins: the results die with the Thread
      end)
      while tostring(th) ~= "gochan.thread (done)" do go.sleep(0.005) end
      th, hub = nil, nil
      local now
      for _ = 1, 200 do
        collectgarbage()
        collectgarbage()
        now = go.debug.stats()
        if now.channels == before.channels then break end
        go.sleep(0.005)
      end
      print(("channels %d -> %d"):format(before.channels, now.channels))
    ]])
    assert.equal("channels 0 -> 0\n", out)
    assert.equal(0, code, out)
  end)

  it("keep a view's direction in the thread #thread", function()
    local ch = go.chan(1)
    local r = table.pack(go.thread(function(ro, so, full)
      local e1 = select(2, pcall(ro.send, ro, 1))
      local e2 = select(2, pcall(so.recv, so))
      local e3 = select(2, pcall(ro.close, ro))
      local e4 = select(2, pcall(function() for _ in so:range() do end end))
      so:send("through the send-only view")
      return tostring(e1), tostring(e2), tostring(e3), tostring(e4),
             ro == full and so == full, tostring(ro), tostring(so)
    end, ch:recv_only(), ch:send_only(), ch):join())
    assert.is_true(has(r[1], "send to receive-only channel"), r[1])
    assert.is_true(has(r[2], "receive from send-only channel"), r[2])
    assert.is_true(has(r[3], "close of receive-only channel"), r[3])
    assert.is_true(has(r[4], "receive from send-only channel"), r[4])
    assert.is_true(r[5])
    assert.is_true(has(r[6], "<-chan("), r[6])
    assert.is_true(has(r[7], "chan<-("), r[7])
    assert.equal("through the send-only view", ch:recv())
  end)

  it("come back from a thread as views of the same direction #thread", function()
    local ch = go.chan(1)
    local ro = go.thread(function(c) return c:recv_only() end, ch):join()
    assert.is_true(ro == ch)
    assert.error_matches(function() ro:send(1) end, "send to receive-only channel", 1, true)
    ch:send(5)
    assert.equal(5, ro:recv())
  end)
end)


describe("timers across threads", function()
  leakcheck()

  it("deliver nothing on a timer channel in a thread after stop() here #thread", function()
    local t = go.timer(0.05)
    local th = go.thread(function(C)
      return (go.select { go.recv(C), go.recv(go.after(0.15)) })
    end, t.C)
    assert.is_true(t:stop())
    assert.equal(2, th:join())  -- the timeout, not the stopped timer
  end)

  it("deliver a reset() timer's tick to a thread, at the new time #thread", function()
    local t = go.timer(10)
    local th = go.thread(function(C)
      local t0 = go.now()
      local i = go.select { go.recv(C), go.recv(go.after(5)) }
      return i, go.now() - t0
    end, t.C)
    go.sleep(0.02)
    assert.is_true(t:reset(0.05))
    local i, waited = th:join()
    assert.equal(1, i)
    assert.is_true(waited < 4, "waited " .. waited)
  end)

  it("deliver a go.after tick to a thread once its Timer is garbage #thread", function()
    -- In a fresh process: this crashed the process (timer thread, heap_del).
    local out, code = fresh([[
      local go = require "gochan"
      local c = go.after(0.05)  -- nothing but the channel is left to the program
      local th = go.thread(function() return c:recv() ~= nil end)
      collectgarbage()
      collectgarbage()
      local t = go.timer(0.05)
      local C = t.C
      t = nil  -- luacheck: ignore 311
      local th2 = go.thread(function() return C:recv() ~= nil end)
      collectgarbage()
      collectgarbage()
      print(th:join(), th2:join())
    ]], { timeout = 10 })
    assert.equal(0, code, out)
    assert.equal("true\ttrue\n", out)
  end)

  it("deliver a thread's go.after tick to main after the thread ended #thread", function()
    local c = go.thread(function() return go.after(0.05) end):join()
    local t0 = go.now()
    local v, ok = c:recv()
    assert.is_true(ok)
    assert.equal("float", math.type(v))
    assert.is_true(go.now() - t0 < 5)
  end)

  it("deliver a thread's ticker ticks to main until the thread stops it #thread", function()
    local chans, stop = go.chan(1), go.chan()
    local th = go.thread(function()
      local tk = go.ticker(0.01)
      chans:send(tk.C)
      stop:recv()
      tk:stop()
    end)
    local C = chans:recv()
    for _ = 1, 3 do assert.is_true(select(2, C:recv())) end
    stop:send(true)
    th:join()
    local i = go.select { go.recv(C), go.recv(go.after(0.05)) }
    assert.equal(2, i)  -- stopped: no tick any more
  end)

  it("fire go.after and go.after_func inside a thread #thread", function()
    local i, fired = go.thread(function()
      local out = {}
      go.after_func(0.01, function() out[1] = "fired" end)
      local never = go.chan()
      local k = go.select { go.recv(never), go.recv(go.after(0.03)) }
      go.sleep(0.02)
      return k, out[1]
    end):join()
    assert.equal(2, i)
    assert.equal("fired", fired)
  end)
end)


describe("sync across threads", function()
  leakcheck()

  it("WaitGroup: main waits for the goroutines of 4 threads #thread", function()
    local wg = go.waitgroup()
    local tally = go.chan(40)
    wg:add(40)
    local threads = {}
    for t = 1, 4 do
      threads[t] = go.thread(function()
        for i = 1, 10 do
          go(function()
            go.sleep(0.001 * (i % 3))
            tally:send(t * 100 + i)
            wg:done()
          end)
        end
      end)
    end
    wg:wait()
    assert.equal(40, tally:len())
    local sum = 0
    for _ = 1, 40 do sum = sum + tally:recv() end
    assert.equal(10 * (100 + 200 + 300 + 400) + 4 * 55, sum)
    for t = 1, 4 do threads[t]:join() end
  end)

  it("Mutex: a counter passed through a channel under the lock stays exact #thread",
     function()
    -- Under the lock the counter must be in the box at once (select with a
    -- default): a holder that found it missing would mean two holders.
    local mu = go.mutex()
    local box = go.chan(1)
    box:send({ n = 0 })
    local ITER, GOS, THREADS = 200, 5, 4
    local threads = {}
    for t = 1, THREADS do
      threads[t] = go.thread(function()
        local wg = go.waitgroup()
        local missing = 0
        wg:add(GOS)
        for _ = 1, GOS do
          go(function()
            for _ = 1, ITER do
              mu:lock()
              local i, c = go.select { go.recv(box), default = true }
              if i == 0 then
                missing = missing + 1
                mu:unlock()
              else
                go.yield()
                c.n = c.n + 1
                box:send(c)
                mu:unlock()
              end
              go.yield()
            end
            wg:done()
          end)
        end
        wg:wait()
        return missing
      end)
    end
    local missing = 0
    for t = 1, THREADS do missing = missing + threads[t]:join() end
    assert.equal(0, missing)
    assert.equal(ITER * GOS * THREADS, box:recv().n)
  end)

  it("Mutex: no two holders overlap, seen through a shared flag channel #thread",
     function()
    local mu = go.mutex()
    local flag = go.chan(1)
    local threads = {}
    for t = 1, 4 do
      threads[t] = go.thread(function()
        local overlaps, entries = 0, 0
        local wg = go.waitgroup()
        wg:add(5)
        for _ = 1, 5 do
          go(function()
            for _ = 1, 200 do
              local _ <close> = mu:lock()
              if go.select { go.send(flag, true), default = true } == 0 then
                overlaps = overlaps + 1  -- someone else is inside
              else
                entries = entries + 1
                go.yield()
                flag:recv()
              end
            end
            wg:done()
          end)
        end
        wg:wait()
        return overlaps, entries
      end)
    end
    for t = 1, 4 do
      local overlaps, entries = threads[t]:join()
      assert.equal(0, overlaps)
      assert.equal(1000, entries)
    end
    assert.equal(0, flag:len())
  end)

  it("Mutex: unlocked by another thread than the one that locked it #thread", function()
    local mu = go.mutex()
    mu:lock()
    go.thread(function(m) m:unlock() end, mu):join()
    assert.is_true(mu:try_lock())
    mu:unlock()
  end)

  it("Mutex: hands off in FIFO order to waiters of another thread #thread", function()
    local mu, log, ids = go.mutex(), go.chan(3), go.chan(3)
    mu:lock()
    local th = go.thread(function()
      local wg = go.waitgroup()
      wg:add(3)
      for i = 1, 3 do
        local id = go(function()
          mu:lock()
          log:send(i)
          mu:unlock()
          wg:done()
        end)
        parked(id)  -- queued before the next one starts
        ids:send(id)
      end
      wg:wait()
    end)
    for _ = 1, 3 do ids:recv() end
    mu:unlock()
    th:join()
    assert.same({ 1, 2, 3 }, { log:recv(), log:recv(), (log:recv()) })
  end)

  it("RWMutex: a writer blocked on another thread keeps new readers out #thread", function()
    local rw, order, wid = go.rwmutex(), go.chan(2), go.chan(1)
    rw:rlock()
    local th = go.thread(function()
      wid:send((go(function()
        rw:lock()
        order:send("writer")
        rw:unlock()
      end)))
    end)
    assert.equal("sync.RWMutex.Lock", parked(wid:recv()))
    local rid = go(function()
      rw:rlock()
      order:send("new reader")
      rw:runlock()
    end)
    parked(rid)
    rw:runlock()
    th:join()
    assert.same({ "writer", "new reader" }, { order:recv(), (order:recv()) })
  end)

  it("Once: f that raised in one thread is never called again in another #thread",
     function()
    local once = go.once()
    local th = go.thread(function(o) o:call(function() error("once boom") end) end, once)
    local msg = errof(th.join, th)
    assert.is_true(has(msg, "once boom"), msg)
    local called = false
    once:call(function() called = true end)
    assert.is_false(called)
  end)

  it("Once: f runs once among goroutines of 4 threads #thread", function()
    local once = go.once()
    local calls = go.chan(100)
    local threads = {}
    for t = 1, 4 do
      threads[t] = go.thread(function()
        local wg = go.waitgroup()
        wg:add(10)
        for _ = 1, 10 do
          go(function()
            once:call(function() calls:send(t) end)
            assert(calls:len() == 1, "once:call returned before f had run")
            wg:done()
          end)
        end
        wg:wait()
      end)
    end
    for t = 1, 4 do threads[t]:join() end
    assert.equal(1, calls:len())
  end)

  it("Cond: broadcast wakes waiters on other threads #thread", function()
    local mu = go.mutex()
    local cond = go.cond(mu)
    local state = go.chan(1)  -- holds true once 'ready'
    local waiting = go.chan(6)
    local threads = {}
    for t = 1, 2 do
      threads[t] = go.thread(function()
        local wg = go.waitgroup()
        wg:add(3)
        local woke = 0
        for _ = 1, 3 do
          go(function()
            mu:lock()
            waiting:send(true)
            while state:len() == 0 do cond:wait() end
            woke = woke + 1
            mu:unlock()
            wg:done()
          end)
        end
        wg:wait()
        return woke
      end)
    end
    for _ = 1, 6 do waiting:recv() end
    mu:lock()
    state:send(true)
    cond:broadcast()
    mu:unlock()
    assert.equal(3, threads[1]:join())
    assert.equal(3, threads[2]:join())
  end)

  it("RWMutex: readers of several threads share, a writer excludes them #thread",
     function()
    local rw = go.rwmutex()
    local inside = go.chan(100)  -- one value per holder inside
    local threads = {}
    for t = 1, 3 do
      threads[t] = go.thread(function()
        local bad = 0
        local wg = go.waitgroup()
        wg:add(4)
        for k = 1, 4 do
          go(function()
            for _ = 1, 50 do
              if k == 1 then
                rw:lock()
                if inside:len() ~= 0 then bad = bad + 1 end
                inside:send("w")
                go.yield()
                inside:recv()
                rw:unlock()
              else
                rw:rlock()
                inside:send("r")
                go.yield()
                inside:recv()
                rw:runlock()
              end
            end
            wg:done()
          end)
        end
        wg:wait()
        return bad
      end)
    end
    for t = 1, 3 do assert.equal(0, threads[t]:join()) end
    assert.equal(0, inside:len())
  end)
end)


describe("a thread that raises", function()
  leakcheck()

  it("leaves main and other threads running #thread", function()
    local before = go.numgoroutine()
    local bad = go.thread(function() error("thread failure") end)
    local good = go.thread(function() go.sleep(0.02) return "fine" end)
    go.sleep(0.01)
    assert.equal("fine", good:join())
    local msg = errof(bad.join, bad)
    assert.is_true(has(msg, "thread failure"), msg)
    waitfor(function() return go.numgoroutine() == before end, "the threads to end")
  end)

  it("withdraws its goroutines' waits from shared channels #thread", function()
    local ch = go.chan()
    local th = go.thread(function()
      parked(go(function() ch:recv() end))  -- abandoned when the thread fails
      error("thread failure with a goroutine blocked")
    end)
    local msg = errof(th.join, th)
    assert.is_true(has(msg, "thread failure with a goroutine blocked"), msg)
    -- nobody waits on ch any more: a send with a default finds no receiver
    assert.equal(0, (go.select { go.send(ch, 1), default = true }))
  end)
end)


describe("process lifecycle", function()
  leakcheck()

  it("leaks nothing over 1,000 threads created and joined #thread #rss", function()
    local out, code = fresh([[
      local go = require "gochan"
      local function rss()
        for line in io.lines("/proc/self/status") do
          local kb = line:match("^VmRSS:%s+(%d+)")
          if kb then return tonumber(kb) end
        end
      end
      local function batch(n)
        local ch = go.chan(1)
        for i = 1, n do
          local th = go.thread(function(x) ch:send(x) return x * 2, { x } end, i)
          assert(ch:recv() == i)
          local a, t = th:join()
          assert(a == i * 2 and t[1] == i)
        end
      end
      batch(200)  -- warm up: allocator arenas, pools
      collectgarbage() collectgarbage()
      local k0, r0 = collectgarbage("count"), rss()
      batch(1000)
      collectgarbage() collectgarbage()
      local k1, r1 = collectgarbage("count"), rss()
      print(go.numgoroutine(), k1 - k0, r1 - r0)
    ]], { timeout = 60 })
    assert.equal(0, code, out)
    local n, dk, drss = out:match("^(%d+)\t(%S+)\t(%S+)")
    assert.equal("1", n, out)
    assert.is_true(tonumber(dk) < 100, "Lua heap grew by " .. dk .. " KB")
    assert.is_true(tonumber(drss) < 16 * 1024, "RSS grew by " .. drss .. " KB")
  end)

  it("leaks nothing over 1,000 threads never joined #thread #rss", function()
    local out, code = fresh([[
      local go = require "gochan"
      local function rss()
        for line in io.lines("/proc/self/status") do
          local kb = line:match("^VmRSS:%s+(%d+)")
          if kb then return tonumber(kb) end
        end
      end
      local function batch(n)
        local done = go.chan(n)
        for i = 1, n do go.thread(function(x) done:send(x) return { x } end, i) end
        for _ = 1, n do done:recv() end  -- every thread is up
        local deadline = go.now() + 30
        while go.numgoroutine() > 1 do
          assert(go.now() < deadline, "threads did not end")
          go.sleep(0.001)
        end
      end
      batch(200)
      collectgarbage() collectgarbage()
      local k0, r0 = collectgarbage("count"), rss()
      batch(1000)
      collectgarbage() collectgarbage()
      local k1, r1 = collectgarbage("count"), rss()
      print(go.numgoroutine(), k1 - k0, r1 - r0)
    ]], { timeout = 60 })
    assert.equal(0, code, out)
    local n, dk, drss = out:match("^(%d+)\t(%S+)\t(%S+)")
    assert.equal("1", n, out)
    assert.is_true(tonumber(dk) < 100, "Lua heap grew by " .. dk .. " KB")
    assert.is_true(tonumber(drss) < 16 * 1024, "RSS grew by " .. drss .. " KB")
  end)

  local has_valgrind = os.execute("command -v valgrind >/dev/null 2>&1")
  local vit = has_valgrind and it or pending

  vit("is clean under valgrind: results, errors, failed copies, a thread never joined " ..
      "#thread #valgrind", function()
    local out, code = fresh([[
      local go = require "gochan"
      go.thread(function() end):join()  -- no results: an empty message
      local ch = go.chan(4)
      local th = go.thread(function(t)
        ch:send(t)
        ch:send({ t, t })
        return t, "x", 1.5, string.rep("y", 100)
      end, { n = 1 })
      th:join()
      th:join()
      ch:recv()
      ch:recv()
      local bad = go.thread(function() error("raised in the thread") end)
      assert(not pcall(bad.join, bad))
      assert(not pcall(go.thread, function() end, coroutine.create(print)))
      assert(not pcall(ch.send, ch, { io.stdout }))
      local done = go.chan()
      go.thread(function() done:send(1) end)  -- never joined
      done:recv()
      while go.numgoroutine() > 1 do go.sleep(0.001) end
      print("end of main")
    ]], { timeout = 120,
          wrap = "valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite" })
    assert.equal(0, code, out)
    assert.truthy(out:find("ERROR SUMMARY: 0 errors", 1, true), out)
    assert.truthy(out:find("end of main\n", 1, true), out)
  end)

  it("reports a deadlock when main joins a thread blocked forever #thread", function()
    local out, code = fresh([[
      local go = require "gochan"
      local th = go.thread(function()
        local g = require "gochan"
        local nobody = g.chan()
        nobody:recv()
      end)
      local ok, err = pcall(th.join, th)
      print(ok)
      print(err)
    ]])
    assert.equal(0, code, out)
    assert.is_true(has(out, "false\n"), out)
    assert.is_true(has(out, "all goroutines are asleep - deadlock!"), out)
  end)

  it("reports a deadlock when main and a thread wait on shared channels #thread", function()
    local out, code = fresh([[
      local go = require "gochan"
      local a, b = go.chan(), go.chan()
      go.thread(function() a:recv() end)
      b:recv()
    ]])
    assert.are_not.equal(0, code, out)
    assert.is_true(code ~= 124 and code ~= 137, "hung: " .. out)
    assert.is_true(has(out, "all goroutines are asleep - deadlock!"), out)
  end)

  it("reports a deadlock among goroutines of several threads #thread", function()
    local out, code = fresh([[
      local go = require "gochan"
      local a, b = go.chan(), go.chan()
      local t1 = go.thread(function()
        go(function()  -- a second goroutine
          local mu = go.mutex()
          mu:lock()
          mu:lock()
        end)
        a:recv()
        b:send(1)
      end)
      local t2 = go.thread(function() b:recv() a:send(1) end)
      local ok, err = pcall(t1.join, t1)
      print(ok, err)
    ]])
    assert.equal(0, code, out)
    assert.is_true(has(out, "false\tall goroutines are asleep - deadlock!\n"), out)
    -- one line per blocked goroutine: main in join, and those of both threads
    -- with what they wait on and where (the copied functions keep their
    -- chunk's name and lines)
    local lines = {}
    for l in out:gmatch("goroutine %d+ [^\n]*") do lines[#lines + 1] = l end
    assert.equal(4, #lines, out)
    local function one(pat)
      local n = 0
      for _, l in ipairs(lines) do
        if l:find(pat) then n = n + 1 end
      end
      return n
    end
    assert.equal(1, one("^goroutine 1 %[thread join%]: [^:]+:%d+$"), out)
    assert.equal(2, one("^goroutine %d+ %[chan receive%] %(thread %d+%): [^:]+:%d+$"), out)
    assert.equal(1, one("^goroutine %d+ %[sync%.Mutex%.Lock%] %(thread %d+%): [^:]+:%d+$"), out)
  end)

  it("exits cleanly when main ends while threads still run #thread", function()
    local out, code = fresh([[
      local go = require "gochan"
      local ch = go.chan()
      go.thread(function() while true do end end)        -- busy in Lua
      go.thread(function() go.sleep(10) end)            -- sleeping
      go.thread(function() ch:recv() end)               -- blocked on a shared channel
      go.sleep(0.05)
      print("main done")
    ]])
    assert.equal(0, code, out)
    assert.equal("main done\n", out)
  end)

  it("exits cleanly when main ends while a thread's goroutines keep yielding #thread",
     function()
    if BUILDDIR:find("tsan") then
      -- TSan's own setjmp tracking crashes at exit (in JmpBufGarbageCollect,
      -- under __tsan::Finalize) while such a thread switches coroutines.
      pending("TSan cannot exit while a thread switches coroutines")
      return
    end
    local out, code = fresh([[
      local go = require "gochan"
      go.thread(function()
        for _ = 1, 3 do go(function() while true do go.yield() end end) end
        while true do go.yield() end
      end)
      go.sleep(0.05)
      print("main done")
    ]])
    assert.equal(0, code, out)
    assert.equal("main done\n", out)
  end)

  it("does not call a thread blocked in io.read a deadlock #thread", function()
    local out, code = fresh([[
      local go = require "gochan"
      local th = go.thread(function() return io.read("l") end)
      local t0 = go.now()
      print(th:join(), go.now() - t0 > 0.2)
    ]], { stdin = "sleep 0.5; echo from-the-pipe" })
    assert.equal(0, code, out)
    assert.equal("from-the-pipe\ttrue\n", out)
  end)
end)
