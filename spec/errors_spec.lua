-- Errors raised inside user code that gochan calls or runs: select
-- handlers, after_func functions, once:call's f, __gc and __close
-- metamethods that use gochan, coroutines nested in goroutines, and
-- go.thread functions. Each error surfaces with its message, and with a
-- traceback where docs/api.md promises one ("goroutine N: " and the
-- goroutine's traceback for a goroutine error; the thread's traceback for
-- th:join()), and leaves no lock held and no waiter queued: a later
-- operation on the same objects works and go.debug.stats().waiters is 0
-- after every case (checked by the after_each of each describe, with the
-- other counts of go.debug.stats()).
local go = require "gochan"
local support = require "spec.support"

local has = support.has

-- errof: the error message raised by fn(...), or fails if none.
local function errof(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok, "expected an error")
  return tostring(err)
end

-- goerror: the next goroutine error, raised in main by go.yield().
local function goerror()
  local deadline = go.now() + 10
  while true do
    local ok, err = pcall(go.yield)
    if not ok then return tostring(err) end
    assert(go.now() < deadline, "no goroutine error was raised")
    ok, err = pcall(go.sleep, 0.001)
    if not ok then return tostring(err) end
  end
end

-- assert_goerror: 'err' is goroutine 'id''s error (any id if nil) with
-- 'text' in its message, followed by its traceback showing this file.
local function assert_goerror(err, id, text)
  local gid, msg = err:match("^goroutine (%d+): ([^\n]*)")
  assert.is_truthy(gid, "no 'goroutine N: ' prefix in: " .. err)
  if id then assert.equal(tostring(id), gid, err) end
  assert.is_truthy(has(msg, text), "expected '" .. text .. "' in: " .. err)
  local tb = err:match("\nstack traceback:\n(.*)$")
  assert.is_truthy(tb, "no traceback in: " .. err)
  assert.is_truthy(has(tb, "errors_spec.lua"), "the traceback does not show the goroutine: " .. err)
end

-- free: the mutex is unlocked (and stays so)
local function assert_free(mu)
  assert.is_true(mu:try_lock(), "the mutex is still locked")
  mu:unlock()
end

-- works: a send/recv pair through a goroutine on 'ch' (unbuffered or
-- buffered with room) still works, and nobody else takes the value.
local function assert_works(ch)
  local v = {}
  go(function() ch:send(v) end)
  local got, ok = ch:recv()
  assert.is_true(ok)
  if got ~= v then assert.same(v, got) end  -- copied if 'ch' is shared
end

-- nobody: no goroutine waits on 'ch' any more (a select that sends or
-- receives without blocking finds no partner)
local function assert_nobody(ch)
  assert.equal(0, (go.select { go.send(ch, "probe"), default = true }))
end

-- leakcheck: after each case of the calling describe, once garbage is
-- collected and the threads it started have ended, nothing waits and
-- go.debug.stats() counts no more goroutines, threads or timers than
-- before the case.
local function leakcheck()
  local before, after = support.leakcheck({ "goroutines", "threads", "timers", "waiters" }, true)
  before_each(before)
  after_each(after)
end

-- run_ok: run 'src' in a fresh lua5.4; it must exit 0; returns its output
local function run_ok(src)
  local out, code = support.run_lua(src)
  assert.equal(0, code, out)
  return out
end


describe("an error in a select handler", function()
  leakcheck()

  it("propagates from go.select in main with its message; the value was taken", function()
    local ch = go.chan(1)
    ch:send(7)
    local err = errof(go.select, { go.recv(ch, function(v) error("recv handler got " .. v) end) })
    assert.is_truthy(has(err, "recv handler got 7"), err)
    assert.equal(0, ch:len())
    assert_works(ch)
  end)

  it("of a select that blocked leaves none of its cases' waiters queued", function()
    local a, b, c, res = go.chan(), go.chan(), go.chan(), go.chan(1)
    go(function()
      res:send(select(2, pcall(go.select, {
        go.recv(a, function(v) error("handler of a: " .. v) end),
        go.recv(b, function() return "b" end),
        go.send(c, "to c", function() return "c" end),
      })))
    end)
    go.yield()  -- the goroutine blocks in the select: one waiter per case
    assert.equal(3, go.debug.stats().waiters)
    a:send("v")
    local err = res:recv()
    assert.is_truthy(has(err, "handler of a: v"), err)
    assert.equal(0, go.debug.stats().waiters)
    assert_nobody(a)
    assert_nobody(b)
    assert.equal(0, (go.select { go.recv(c), default = true }))  -- no sender left on c
    assert_works(a)
    assert_works(b)
    assert_works(c)
  end)

  it("of a send case propagates after the value was delivered", function()
    local ch, got = go.chan(), go.chan(1)
    go(function() got:send((ch:recv())) end)
    local err = errof(go.select, { go.send(ch, "delivered", function() error("send handler") end) })
    assert.is_truthy(has(err, "send handler"), err)
    assert.equal("delivered", (got:recv()))
    assert_works(ch)
  end)

  it("of the default propagates and leaves nothing queued", function()
    local ch = go.chan()
    local err = errof(go.select, { go.recv(ch), go.send(ch, 1), default = function() error("default handler") end })
    assert.is_truthy(has(err, "default handler"), err)
    assert.equal(0, go.debug.stats().waiters)
    assert_works(ch)
  end)

  it("in a goroutine reaches main as 'goroutine N: <msg>' with its traceback", function()
    local ch = go.chan(1)
    ch:send(1)
    local id = go(function()
      go.select { go.recv(ch, function() error("handler in a goroutine") end) }
    end)
    assert_goerror(goerror(), id, "handler in a goroutine")
    assert_works(ch)
  end)

  it("in a goroutine, woken from a blocked select, reaches main; the other cases are free", function()
    local a, b, t = go.chan(), go.chan(), go.timer(60)
    local id = go(function()
      go.select {
        go.recv(a, function() error("woken handler") end),
        go.recv(b),
        go.recv(t.C),
      }
    end)
    go.yield()
    go(function() a:send("wake") end)
    assert_goerror(goerror(), id, "woken handler")
    assert_nobody(a)
    assert_nobody(b)
    assert_works(b)
    assert.is_true(t:stop())
  end)

  it("that is not a string is converted with tostring", function()
    local ch = go.chan(1)
    ch:send(1)
    local id = go(function()
      go.select { go.recv(ch, function()
        error(setmetatable({}, { __tostring = function() return "custom error object" end }))
      end) }
    end)
    assert_goerror(goerror(), id, "custom error object")
  end)

  it("raised while the handler holds a Mutex guard leaves the Mutex unlocked", function()
    local ch, mu = go.chan(1), go.mutex()
    ch:send(1)
    local err = errof(go.select, { go.recv(ch, function()
      local _ <close> = mu:lock()
      error("handler with a guard")
    end) })
    assert.is_truthy(has(err, "handler with a guard"), err)
    assert_free(mu)
  end)

  it("on a channel shared with a thread leaves the channel working #thread", function()
    local sh = go.chan()
    local th = go.thread(function(c)
      c:send("first")
      c:send("second")
      return "sent both"
    end, sh)
    local err = errof(go.select, { go.recv(sh, function(v) error("shared handler got " .. v) end) })
    assert.is_truthy(has(err, "shared handler got first"), err)
    assert.equal("second", (sh:recv()))
    assert.equal("sent both", th:join())
    assert_works(sh)
  end)
end)


describe("an error in an after_func function", function()
  leakcheck()

  it("reaches main at its next blocking call as 'goroutine N: <msg>' with its traceback", function()
    local t = go.after_func(0.001, function() error("after_func boom") end)
    local err = errof(go.sleep, 5)  -- interrupted by the error
    assert_goerror(err, nil, "after_func boom")
    assert.is_false(t:stop())  -- its function has been started
    assert.equal("gochan.timer (stopped)", tostring(t))
  end)

  it("does not spoil the Timer: reset runs the function again, and it fails again", function()
    local runs = 0
    local t = go.after_func(0, function()
      runs = runs + 1
      error("run " .. runs)
    end)
    assert_goerror(goerror(), nil, "run 1")
    assert.is_false(t:reset(0))
    assert_goerror(goerror(), nil, "run 2")
    assert.equal(2, runs)
    assert.is_false(t:stop())
  end)

  it("raised while it holds a Mutex guard and a <close> channel unlocks and closes them", function()
    local mu, ch = go.mutex(), go.chan(1)
    go.after_func(0, function()
      local _ <close> = mu:lock()
      local c <close> = ch
      c:send("before the error")
      error("after_func with guards")
    end)
    assert_goerror(goerror(), nil, "after_func with guards")
    assert_free(mu)
    assert.same({ "before the error", true }, { ch:recv() })
    assert.same({ nil, false }, { ch:recv() })  -- closed
  end)

  it("that is not a string is converted with tostring", function()
    go.after_func(0, function() error({}) end)
    local err = goerror()
    assert.is_truthy(err:match("^goroutine %d+: table: "), err)
  end)

  it("in a thread goes to th:join() #thread", function()
    local th = go.thread(function()
      local g = require "gochan"
      g.after_func(0.001, function() error("after_func in a thread") end)
      g.sleep(5)
    end)
    local err = errof(th.join, th)
    assert_goerror(err, nil, "after_func in a thread")
  end)
end)


describe("an error in once:call's f", function()
  leakcheck()

  it("propagates from the first call with its message; f never runs again", function()
    local once = go.once()
    local err = errof(function() once:call(function() error("once boom") end) end)
    assert.is_truthy(has(err, "once boom"), err)
    local ran = false
    once:call(function() ran = true end)
    assert.is_false(ran)
  end)

  it("releases the calls that waited for it, which return normally", function()
    local once, gate, res = go.once(), go.chan(), go.chan(3)
    local ran = false
    go(function()
      res:send("A: " .. select(2, pcall(once.call, once, function()
        gate:recv()
        error("first call fails")
      end)))
    end)
    for _, name in ipairs { "B", "C" } do
      go(function()
        once:call(function() ran = true end)
        res:send(name .. " returned")
      end)
    end
    go.yield()
    assert.equal(3, go.debug.stats().waiters)  -- A on gate, B and C on the Once
    gate:send(true)
    local got = { (res:recv()), (res:recv()), (res:recv()) }
    table.sort(got)
    assert.is_truthy(got[1]:match("^A: .*first call fails"), got[1])
    assert.same({ "B returned", "C returned" }, { got[2], got[3] })
    assert.is_false(ran)
    assert.equal(0, go.debug.stats().waiters)
    assert_works(gate)
  end)

  it("in a goroutine reaches main as 'goroutine N: <msg>' with its traceback", function()
    local once = go.once()
    local id = go(function() once:call(function() error("once in a goroutine") end) end)
    assert_goerror(goerror(), id, "once in a goroutine")
    local ran = false
    once:call(function() ran = true end)
    assert.is_false(ran)
  end)

  it("raised while f holds a Mutex guard leaves the Mutex unlocked", function()
    local once, mu = go.once(), go.mutex()
    local err = errof(function()
      once:call(function()
        local _ <close> = mu:lock()
        error("once with a guard")
      end)
    end)
    assert.is_truthy(has(err, "once with a guard"), err)
    assert_free(mu)
  end)

  it("of a shared Once, raised in a thread, goes to join; the Once is done for all #thread", function()
    local once = go.once()
    local th = go.thread(function(o) o:call(function() error("once in a thread") end) end, once)
    local err = errof(th.join, th)
    assert.is_truthy(has(err, "once in a thread"), err)
    assert.is_truthy(has(err, "stack traceback:"), err)
    local ran = false
    once:call(function() ran = true end)
    assert.is_false(ran)
  end)
end)


describe("a __gc metamethod that uses gochan", function()
  leakcheck()

  it("may send on a buffered channel; its error becomes a Lua warning", function()
    local out = run_ok [[
      warn("@on")
      local go = require "gochan"
      local ch, mu = go.chan(1), go.mutex()
      do
        setmetatable({}, { __gc = function()
          local _ <close> = mu:lock()
          ch:send("sent by __gc")
          error("gc boom")
        end })
      end
      collectgarbage()
      collectgarbage()
      print(ch:recv())
      print("mutex free", mu:try_lock())
      print("waiters", go.debug.stats().waiters)
      io.stdout:flush()
    ]]
    assert.is_truthy(has(out, "sent by __gc\ttrue\n"), out)
    assert.is_truthy(has(out, "mutex free\ttrue\n"), out)
    assert.is_truthy(has(out, "waiters\t0\n"), out)
    assert.is_truthy(out:find("Lua warning: error in __gc[^\n]*gc boom"), out)
  end)

  it("may block on a channel when collectgarbage() runs it in main", function()
    local ch, log = go.chan(), {}
    do
      setmetatable({}, { __gc = function() log[#log + 1] = ch:recv() end })
    end
    go(function() ch:send("to __gc") end)
    collectgarbage()
    collectgarbage()
    assert.same({ "to __gc" }, log)
    assert_works(ch)
  end)

  it("may block on a channel when a goroutine's collection runs it", function()
    local ch, done, log = go.chan(), go.chan(), {}
    go(function()
      do
        setmetatable({}, { __gc = function() log[#log + 1] = ch:recv() end })
      end
      collectgarbage()
      collectgarbage()
      done:send(true)
    end)
    go(function() ch:send("to __gc in a goroutine") end)
    assert.is_true((done:recv()))
    assert.same({ "to __gc in a goroutine" }, log)
  end)

  it("that raises while it holds a Mutex guard leaves the Mutex unlocked", function()
    local mu = go.mutex()
    do
      setmetatable({}, { __gc = function()
        local _ <close> = mu:lock()
        error("gc with a guard")  -- a warning (off here): dropped
      end })
    end
    collectgarbage()
    collectgarbage()
    assert_free(mu)
  end)

  it("may start goroutines, which run at the next blocking call", function()
    local ch = go.chan(2)
    do
      setmetatable({}, { __gc = function()
        go(function() ch:send("goroutine of __gc") end)
      end })
    end
    collectgarbage()
    collectgarbage()
    assert.equal("goroutine of __gc", (ch:recv()))
  end)

  it("that runs while the state closes cannot start or wait for goroutines", function()
    -- made before gochan is loaded, so finalized after the scheduler.
    -- (It makes no channel: one made there is never freed, since Lua
    -- finalizes nothing made while lua_close runs the finalizers.)
    local out = run_ok [[
      local go
      local keep = setmetatable({}, { __gc = function()
        print("go", select(2, pcall(go, print)))
        print("sleep", select(2, pcall(go.sleep, 1)))
        print("id", go.id())
        io.stdout:flush()
      end })
      go = require "gochan"
      local _ = keep
    ]]
    assert.is_truthy(has(out, "go\tattempt to start a goroutine while the Lua state is closing\n"), out)
    assert.is_truthy(has(out, "sleep\tattempt to block while the Lua state is closing\n"), out)
    assert.is_truthy(has(out, "id\t1\n"), out)
  end)

  it("that arms a timer while go.timer allocates does not corrupt the timer heap", function()
    -- the finalizer runs at a collection step inside go.timer, after
    -- go.timer reserved its heap slot (15 armed timers: the 16th slot)
    run_ok [[
      local go = require "gochan"
      collectgarbage("incremental", 0, 1000, 0)
      local base, inside, nested = {}, false, nil
      for i = 1, 15 do base[i] = go.timer(3600) end
      for _ = 1, 100000 do
        setmetatable({}, { __gc = function()
          if inside and not nested then nested = go.timer(3600) end
        end })
        inside = true
        local t = go.timer(3600)
        inside = false
        if nested then base[#base + 1] = t; break end
        t:stop()
      end
      assert(nested, "the finalizer never ran inside go.timer")
      for i = 1, 3000 do base[#base + 1] = go.timer(3600 + i) end
      for _, t in ipairs(base) do t:stop() end
      nested:stop()
      assert(go.debug.stats().timers == 0)
    ]]
  end)

  it("cannot block while main is blocked; main's wait is not disturbed", function()
    -- the scheduler's own allocations (starting after_func goroutines)
    -- run finalizers as main while main waits in ch:recv(): the
    -- finalizer's blocking call raises instead of reusing main's wait
    local out = run_ok [[
      local go = require "gochan"
      collectgarbage("incremental", 0, 1000, 0)
      local ch, c2 = go.chan(), go.chan()
      local waiting, nested, err = false, false, nil
      for attempt = 1, 2000 do
        for _ = 1, 20 do
          setmetatable({}, { __gc = function()
            if waiting and not nested and go.id() == 1 then
              nested = true
              err = select(2, pcall(c2.recv, c2))
            end
          end })
        end
        for _ = 1, 20 do go.after_func(0, function() end) end
        go(function() go.sleep(0.0005); ch:send(attempt) end)
        waiting = true
        local v = ch:recv()
        waiting = false
        assert(v == attempt, "main got " .. tostring(v) .. " at attempt " .. attempt)
        if nested then break end
      end
      print("nested", nested, err)
      go(function() c2:send("c2 works") end)
      print(c2:recv())
      print("waiters", go.debug.stats().waiters, "goroutines", go.numgoroutine())
    ]]
    if has(out, "nested\tfalse") then return end  -- the finalizer never ran there
    assert.is_truthy(has(out, "nested\ttrue\tattempt to block in a finalizer or handler run "
                              .. "while goroutine 1 is blocked\n"), out)
    assert.is_truthy(has(out, "c2 works\ttrue\n"), out)
    assert.is_truthy(has(out, "waiters\t0\tgoroutines\t1\n"), out)
  end)

  it("can still do what does not block while main is blocked #thread", function()
    -- the same finalizers, doing operations that complete at once: a send
    -- with room on a shared channel, a receive of a buffered value from it,
    -- a select with a default; they failed as if they had to block
    local out = run_ok [[
      local go = require "gochan"
      collectgarbage("incremental", 0, 1000, 0)
      local sh = go.chan(1000000)
      go.thread(function() end, sh):join()
      local ch = go.chan()
      local ran, failed, waiting = 0, {}, false
      local function try (what, ok, e)
        if not ok then failed[what .. ": " .. tostring(e)] = true end
      end
      for attempt = 1, 300 do
        for _ = 1, 20 do
          setmetatable({}, { __gc = function()
            if waiting and go.id() == 1 then
              ran = ran + 1
              try("send", pcall(sh.send, sh, 1))
              try("recv", pcall(sh.recv, sh))
              try("select", pcall(go.select, { go.send(sh, 2), default = true }))
            end
          end })
        end
        for _ = 1, 20 do go.after_func(0, function() end) end
        go(function() go.sleep(0.0005); ch:send(attempt) end)
        waiting = true
        assert(ch:recv() == attempt)
        waiting = false
        if ran >= 20 then break end
      end
      print("ran", ran > 0)
      for what in pairs(failed) do print("failed", what) end
    ]]
    if has(out, "ran\tfalse") then return end  -- the finalizers never ran there
    assert.equal("ran\ttrue\n", out)
  end)
end)


describe("an error object whose __tostring uses gochan", function()
  leakcheck()

  it("cannot block when the goroutine error is captured while main is blocked", function()
    -- main waits in ch:recv(); the scheduler captures goroutine 2's error
    -- and calls its __tostring as main, so a blocking call there raises
    local out = run_ok [[
      local go = require "gochan"
      local ch, c2 = go.chan(), go.chan()
      local errobj = setmetatable({}, { __tostring = function()
        return "err (" .. select(2, pcall(c2.recv, c2)) .. ")"
      end })
      go(function() error(errobj) end)
      go(function() ch:send("for ch") end)
      local ok, err = pcall(ch.recv, ch)
      print(ok, (err:match("^[^\n]*")))
      print("then", ch:recv())
      print("waiters", go.debug.stats().waiters, "goroutines", go.numgoroutine())
    ]]
    assert.is_truthy(out:find("^false\tgoroutine 2: err %(attempt to block in a finalizer or handler "
                              .. "run while goroutine 1 is blocked%)\n"), out)
    assert.is_truthy(has(out, "then\tfor ch\ttrue\n"), out)
    assert.is_truthy(has(out, "waiters\t0\tgoroutines\t1\n"), out)
  end)
end)


describe("an error in a __close metamethod", function()
  leakcheck()

  it("propagates from the scope in main; what it did with gochan is done", function()
    local ch = go.chan(1)
    local err = errof(function()
      local _ <close> = setmetatable({}, { __close = function()
        ch:send("closed")
        error("close boom")
      end })
    end)
    assert.is_truthy(has(err, "close boom"), err)
    assert.equal("closed", (ch:recv()))
  end)

  it("in a goroutine that returned reaches main as 'goroutine N: <msg>'", function()
    local id = go(function()
      local _ <close> = setmetatable({}, { __close = function() error("close boom in a goroutine") end })
    end)
    assert_goerror(goerror(), id, "close boom in a goroutine")
  end)

  it("may block while its goroutine unwinds an error; main then gets the error", function()
    local ch, log = go.chan(), {}
    local id = go(function()
      local _ <close> = setmetatable({}, { __close = function() log[#log + 1] = ch:recv() end })
      error("unwinding")
    end)
    go(function() ch:send("to __close") end)
    assert_goerror(goerror(), id, "unwinding")
    assert.same({ "to __close" }, log)
    assert_works(ch)
  end)

  it("of a channel: a goroutine that fails closes its <close> channel before main sees the error", function()
    local ch = go.chan(1)
    local id = go(function()
      local c <close> = ch
      c:send("last")
      error("fails with a <close> channel")
    end)
    assert_goerror(goerror(), id, "fails with a <close> channel")
    assert.same({ "last", true }, { ch:recv() })
    assert.same({ nil, false }, { ch:recv() })
  end)

  it("of a guard: a goroutine that fails unlocks its Mutex; a blocked locker gets it", function()
    local mu, got = go.mutex(), go.chan(1)
    local id = go(function()
      local _ <close> = mu:lock()
      go.yield()
      error("fails holding the mutex")
    end)
    go(function()
      local _ <close> = mu:lock()
      got:send("locked")
    end)
    assert_goerror(goerror(), id, "fails holding the mutex")
    assert.equal("locked", (got:recv()))
    assert_free(mu)
  end)

  it("of an RWMutex guard unlocks it for the next writer", function()
    local rw = go.rwmutex()
    local err = errof(function()
      local _ <close> = rw:rlock()
      local _ <close> = setmetatable({}, { __close = function() error("close after rlock") end })
    end)
    assert.is_truthy(has(err, "close after rlock"), err)
    do local _ <close> = rw:lock() end
  end)
end)


describe("an error in a coroutine nested in a goroutine", function()
  leakcheck()

  it("raised after a blocking call propagates through coroutine.wrap as the goroutine's error", function()
    local ch = go.chan()
    local id = go(function()
      coroutine.wrap(function()
        ch:recv()
        error("nested boom")
      end)()
    end)
    go(function() ch:send(1) end)
    assert_goerror(goerror(), id, "nested boom")
    assert_works(ch)
  end)

  it("is returned by coroutine.resume; the goroutine goes on with its channels", function()
    local ch, res = go.chan(), go.chan(1)
    go(function()
      local co = coroutine.create(function()
        ch:recv()
        error("resumed boom")
      end)
      local ok, err = coroutine.resume(co)
      res:send({ ok, err, (ch:recv()) })
    end)
    ch:send("to the coroutine")
    ch:send("to the goroutine")
    local r = res:recv()
    assert.is_false(r[1])
    assert.is_truthy(has(r[2], "resumed boom"), r[2])
    assert.equal("to the goroutine", r[3])
  end)

  it("two levels deep, in a select, with a guard held, unlocks and surfaces", function()
    local a, b, mu = go.chan(), go.chan(), go.mutex()
    local id = go(function()
      coroutine.wrap(function()
        coroutine.wrap(function()
          local _ <close> = mu:lock()
          go.select { go.recv(a), go.recv(b) }
          error("two levels deep")
        end)()
      end)()
    end)
    go(function() b:send(1) end)
    assert_goerror(goerror(), id, "two levels deep")
    assert_free(mu)
    assert_nobody(a)
    assert_works(a)
  end)

  it("in a coroutine that blocked inline and was abandoned leaves no waiter", function()
    local ch, res = go.chan(), go.chan(1)
    go(function()
      local co = coroutine.wrap(function()
        local ok, err = pcall(function()
          ch:recv()
          error("caught inside")
        end)
        return ok, err
      end)
      local ok, err = co()
      res:send(tostring(ok) .. " " .. tostring(err))
    end)
    go(function() ch:send(1) end)
    local r = res:recv()
    assert.is_truthy(r:match("^false .*caught inside"), r)
    assert_nobody(ch)
  end)
end)


describe("an error in a thread function #thread", function()
  leakcheck()

  it("is raised by th:join() with the thread's traceback and no prefix", function()
    local th = go.thread(function() error("thread boom") end)
    local err = errof(th.join, th)
    assert.is_truthy(err:match("^[^\n]*errors_spec%.lua:%d+: thread boom\nstack traceback:\n"), err)
    assert.is_falsy(has(err, "goroutine "), err)
    assert.equal(err, errof(th.join, th))  -- the same error every time
  end)

  it("raised while it holds a shared Mutex guard leaves the Mutex unlocked", function()
    local mu = go.mutex()
    local th = go.thread(function(m)
      local _ <close> = m:lock()
      error("thread holding the mutex")
    end, mu)
    assert.is_truthy(has(errof(th.join, th), "thread holding the mutex"))
    assert_free(mu)
  end)

  it("of one of its goroutines: join raises 'goroutine N: ' with both tracebacks", function()
    local th = go.thread(function()
      local g = require "gochan"
      g(function() error("goroutine of a thread") end)
      g.sleep(5)
    end)
    local err = errof(th.join, th)
    assert_goerror(err, nil, "goroutine of a thread")
    local _, n = err:gsub("stack traceback:", "")
    assert.equal(2, n, err)
  end)

  it("while the thread is blocked on a shared channel leaves no waiter on it", function()
    local sh = go.chan()
    local th = go.thread(function(c)
      local g = require "gochan"
      g(function() error("fails while main of the thread waits") end)
      c:recv()
    end, sh)
    local err = errof(th.join, th)
    assert.is_truthy(has(err, "fails while main of the thread waits"), err)
    assert_nobody(sh)
    assert_works(sh)
  end)

  it("in a select handler, a once:call's f or a __close of the thread goes to join", function()
    local cases = {
      function(g) local c = g.chan(1); c:send(1); g.select { go.recv(c, function() error("handler") end) } end,
      function(g) g.once():call(function() error("once f") end) end,
      function(g)
        local c <close> = g.chan()
        local _ <close> = setmetatable({}, { __close = function() error("__close") end })
        return c
      end,
    }
    for i, what in ipairs { "handler", "once f", "__close" } do
      local th = go.thread(function(f) return f(require "gochan") end, cases[i])
      local err = errof(th.join, th)
      assert.is_truthy(has(err, what), err)
    end
  end)

  it("that is not a string is converted with tostring in the thread", function()
    local th = go.thread(function()
      error(setmetatable({}, { __tostring = function() return "thread error object" end }))
    end)
    assert.is_truthy(has(errof(th.join, th), "thread error object"))
  end)
end)
