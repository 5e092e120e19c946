-- sync: every promise of API.md "sync" (WaitGroup, Mutex, RWMutex, Once,
-- Cond, <close> guards) and the sync wait reasons of "Deadlock", black-box
-- through the public module. Ordering is checked with event logs, never
-- with wall-clock time; deadlocks run in a fresh process.
local go = require "gochan"
local support = require "spec.support"

local run = support.run

local settle = support.settle

local logger = support.logger

local has = support.has

-- deadlock_report: run 'src' (which must end by blocking main forever) in
-- a fresh process with pcall around it; returns the error text. The
-- script may set the global LINE to the line of the call expected in
-- the report.
local function deadlock_report(src)
  local out, code = support.run_lua(
    "local go = require 'gochan'\n" ..
    "local ok, err = pcall(function()\n" .. src .. "\nend)\n" ..
    "print(ok)\nprint(err)\nprint('LINE=' .. tostring(LINE))\n")
  assert.equal(0, code, out)
  assert.equal("false", out:match("^[^\n]*"), out)
  assert.is_true(has(out, "all goroutines are asleep - deadlock!"), out)
  return out, out:match("LINE=(%d+)")
end

-- reported: true if 'out' has a report line for a goroutine blocked with
-- 'reason' at line 'line' of the script.
local function reported(out, reason, line)
  for l in out:gmatch("[^\n]+") do
    if has(l, "[" .. reason .. "]: ") and l:match(":(%d+)$") == line then
      return true
    end
  end
  return false
end


describe("gochan sync", function()

  describe("go.waitgroup()", function()
    it("returns from wait at once when the counter is zero", function()
      run(function()
        local wg = go.waitgroup()
        wg:wait()
        wg:wait()
      end)
      go.waitgroup():wait()  -- from main too: no deadlock, no block
    end)

    it("waits until two workers have called done", function()
      run(function()
        local wg = go.waitgroup()
        local log, add = logger()
        wg:add(2)
        for i = 1, 2 do
          go(function()
            settle(i * 3)
            add("done " .. i)
            wg:done()
          end)
        end
        wg:wait()
        add("waited")
        assert.same({ "done 1", "done 2", "waited" }, log)
      end)
    end)

    it("releases several waiters at once when the counter reaches zero", function()
      run(function()
        local wg, all = go.waitgroup(), go.waitgroup()
        local log, add = logger()
        wg:add(1)
        all:add(3)
        for i = 1, 3 do
          go(function()
            wg:wait()
            add("released " .. i)
            all:done()
          end)
        end
        settle()
        assert.same({}, log)  -- all three still waiting
        wg:done()
        all:wait()
        table.sort(log)
        assert.same({ "released 1", "released 2", "released 3" }, log)
      end)
    end)

    it("can be reused after the counter reached zero", function()
      run(function()
        local wg = go.waitgroup()
        for round = 1, 3 do
          local n = 0
          wg:add(2)
          for _ = 1, 2 do
            go(function() go.yield(); n = n + 1; wg:done() end)
          end
          wg:wait()
          assert.equal(2, n, "round " .. round)
        end
      end)
    end)

    it("counts add(n) with n > 1 as n pending done calls", function()
      run(function()
        local wg = go.waitgroup()
        local log, add = logger()
        wg:add(3)
        go(function() wg:wait(); add("waited") end)
        wg:done()
        wg:done()
        settle()
        assert.same({}, log)  -- one still pending
        wg:done()
        settle()
        assert.same({ "waited" }, log)
      end)
    end)

    it("accepts a float with an exact integer value (2.0)", function()
      local wg = go.waitgroup()
      wg:add(2.0)
      wg:done()
      wg:done()
      wg:wait()
    end)

    it("raises 'sync: negative WaitGroup counter' from done() at zero", function()
      local wg = go.waitgroup()
      assert.error_matches(function() wg:done() end,
                           "sync: negative WaitGroup counter", 1, true)
      wg:wait()  -- the counter is still zero
    end)

    it("raises 'sync: negative WaitGroup counter' from add(-5) and leaves the counter unchanged", function()
      run(function()
        local wg = go.waitgroup()
        local log, add = logger()
        wg:add(2)
        assert.error_matches(function() wg:add(-5) end,
                             "sync: negative WaitGroup counter", 1, true)
        go(function() wg:wait(); add("waited") end)
        wg:done()
        settle()
        assert.same({}, log)  -- still 1, not 0 and not -3
        wg:done()
        settle()
        assert.same({ "waited" }, log)
        assert.error_matches(function() wg:done() end,
                             "sync: negative WaitGroup counter", 1, true)
      end)
    end)

    it("waits for 10,000 goroutines", function()
      local wg = go.waitgroup()
      local n = 0
      wg:add(10000)
      for _ = 1, 10000 do
        go(function()
          go.yield()
          n = n + 1
          wg:done()
        end)
      end
      wg:wait()
      assert.equal(10000, n)
    end)

    it("raises a luaL argument error for add('x')", function()
      local wg = go.waitgroup()
      assert.error_matches(function() wg:add("x") end,
        "bad argument #1 to 'add' (number expected, got string)", 1, true)
    end)

    it("raises a luaL argument error for add(1.5)", function()
      local wg = go.waitgroup()
      assert.error_matches(function() wg:add(1.5) end,
        "bad argument #1 to 'add' (number has no integer representation)",
        1, true)
      wg:wait()  -- unchanged: still zero
    end)

    it("raises 'calling 'add' on bad self' when a method gets another object", function()
      local wg = go.waitgroup()
      local fake = { add = wg.add, wait = wg.wait }
      assert.error_matches(function() fake:add(1) end,
        "calling 'add' on bad self (gochan.waitgroup expected, got table)",
        1, true)
      assert.error_matches(function() fake:wait() end,
        "calling 'wait' on bad self (gochan.waitgroup expected, got table)",
        1, true)
      assert.error_matches(function() wg.add(go.mutex(), 1) end,
        "bad argument #1 to 'add' (gochan.waitgroup expected, got gochan.mutex)",
        1, true)
    end)

    it("is named sync.WaitGroup.Wait in a deadlock report", function()
      local out, line = deadlock_report [[
        local wg = go.waitgroup()
        wg:add(1)
        go(function()
          LINE = debug.getinfo(1, "l").currentline + 1
          wg:wait()
        end)
        go.chan():recv()
      ]]
      assert.is_true(reported(out, "sync.WaitGroup.Wait", line), out)
    end)
  end)


  describe("go.mutex()", function()
    it("keeps a counter exact when 100 goroutines yield inside the critical section", function()
      local mu, wg = go.mutex(), go.waitgroup()
      local counter = 0
      wg:add(100)
      for _ = 1, 100 do
        go(function()
          mu:lock()
          local v = counter
          go.yield()
          counter = v + 1
          mu:unlock()
          wg:done()
        end)
      end
      wg:wait()
      assert.equal(100, counter)
    end)

    it("loses updates without the mutex (so the spec above can fail)", function()
      local wg = go.waitgroup()
      local counter = 0
      wg:add(100)
      for _ = 1, 100 do
        go(function()
          local v = counter
          go.yield()
          counter = v + 1
          wg:done()
        end)
      end
      wg:wait()
      assert.is_true(counter < 100, "counter = " .. counter)
    end)

    it("hands the mutex to waiters in the order they blocked", function()
      run(function()
        local mu, wg = go.mutex(), go.waitgroup()
        local log, add = logger()
        mu:lock()
        wg:add(5)
        for i = 1, 5 do
          go(function()
            mu:lock()
            add(i)
            go.yield()
            mu:unlock()
            wg:done()
          end)
          settle(3)  -- i blocks before i + 1 starts
        end
        mu:unlock()
        wg:wait()
        assert.same({ 1, 2, 3, 4, 5 }, log)
      end)
    end)

    it("hands the mutex over on unlock so a newcomer cannot barge in", function()
      run(function()
        local mu = go.mutex()
        local log, add = logger()
        mu:lock()
        go(function() mu:lock(); add("waiter"); mu:unlock() end)
        settle()
        mu:unlock()
        -- the waiter owns it now, although it has not run yet
        assert.is_false(mu:try_lock())
        settle()
        assert.same({ "waiter" }, log)
        assert.is_true(mu:try_lock())
        mu:unlock()
      end)
    end)

    it("returns true from try_lock on an unlocked mutex and locks it", function()
      local mu = go.mutex()
      assert.is_true(mu:try_lock())
      assert.is_false(mu:try_lock())  -- now locked
      mu:unlock()
      assert.is_true(mu:try_lock())
      mu:unlock()
    end)

    it("returns false from try_lock on a locked mutex without blocking", function()
      run(function()
        local mu = go.mutex()
        mu:lock()
        local got
        go(function() got = mu:try_lock() end)
        settle()
        assert.is_false(got)
        mu:unlock()  -- the failed try_lock did not lock it
        assert.error_matches(function() mu:unlock() end,
                             "sync: unlock of unlocked mutex", 1, true)
      end)
    end)

    it("raises 'sync: unlock of unlocked mutex'", function()
      local mu = go.mutex()
      assert.error_matches(function() mu:unlock() end,
                           "sync: unlock of unlocked mutex", 1, true)
      mu:lock()
      mu:unlock()
      assert.error_matches(function() mu:unlock() end,
                           "sync: unlock of unlocked mutex", 1, true)
    end)

    it("unlocks at scope end with local _ <close> = mu:lock()", function()
      local mu = go.mutex()
      do
        local _ <close> = mu:lock()
        assert.is_false(mu:try_lock())
      end
      assert.is_true(mu:try_lock())
      mu:unlock()
    end)

    it("unlocks a <close> guard when the scope is left by an error", function()
      run(function()
        local mu = go.mutex()
        local ok, err = pcall(function()
          local _ <close> = mu:lock()
          error("inside")
        end)
        assert.is_false(ok)
        assert.is_true(has(err, "inside"))
        local _ <close> = mu:lock()  -- does not block: it was unlocked
      end)
    end)

    it("blocks only the goroutine that waits in lock", function()
      run(function()
        local mu = go.mutex()
        local log, add = logger()
        mu:lock()
        go(function() mu:lock(); add("locked"); mu:unlock() end)
        go(function() for i = 1, 3 do add("tick " .. i); go.yield() end end)
        settle()
        assert.same({ "tick 1", "tick 2", "tick 3" }, log)
        mu:unlock()
        settle()
        assert.same({ "tick 1", "tick 2", "tick 3", "locked" }, log)
      end)
    end)

    it("can be locked and unlocked by the main goroutine while goroutines wait", function()
      local mu, wg = go.mutex(), go.waitgroup()
      local n = 0
      mu:lock()
      wg:add(3)
      for _ = 1, 3 do
        go(function() mu:lock(); n = n + 1; mu:unlock(); wg:done() end)
      end
      mu:unlock()
      wg:wait()
      assert.equal(3, n)
    end)

    it("raises 'calling 'lock' on bad self' for another object", function()
      local mu = go.mutex()
      local fake = { lock = mu.lock }
      assert.error_matches(function() fake:lock() end,
        "calling 'lock' on bad self (gochan.mutex expected, got table)", 1, true)
    end)

    it("is named sync.Mutex.Lock in a deadlock report", function()
      local out, line = deadlock_report [[
        local mu = go.mutex()
        mu:lock()
        go(function()
          LINE = debug.getinfo(1, "l").currentline + 1
          mu:lock()
        end)
        go.chan():recv()
      ]]
      assert.is_true(reported(out, "sync.Mutex.Lock", line), out)
    end)

    it("is named sync.Mutex.Lock when main itself blocks on it", function()
      local out, line = deadlock_report [[
        local mu = go.mutex()
        mu:lock()
        LINE = debug.getinfo(1, "l").currentline + 1
        mu:lock()
      ]]
      assert.is_true(has(out, "goroutine 1 [sync.Mutex.Lock]: "), out)
      assert.is_true(reported(out, "sync.Mutex.Lock", line), out)
    end)
  end)


  describe("go.rwmutex()", function()
    it("lets many readers hold it at once", function()
      run(function()
        local rw, wg = go.rwmutex(), go.waitgroup()
        local active, max = 0, 0
        wg:add(5)
        for _ = 1, 5 do
          go(function()
            rw:rlock()
            active = active + 1
            if active > max then max = active end
            settle(5)
            active = active - 1
            rw:runlock()
            wg:done()
          end)
        end
        wg:wait()
        assert.is_true(max > 1, "max concurrent readers = " .. max)
        assert.equal(5, max)
      end)
    end)

    it("excludes readers and other writers while a writer holds it", function()
      run(function()
        local rw, wg = go.rwmutex(), go.waitgroup()
        local readers, writers, bad = 0, 0, {}
        wg:add(12)
        for i = 1, 12 do
          if i % 3 == 0 then
            go(function()
              rw:lock()
              writers = writers + 1
              for _ = 1, 4 do
                if readers ~= 0 or writers ~= 1 then bad[#bad + 1] = "writer " .. i end
                go.yield()
              end
              writers = writers - 1
              rw:unlock()
              wg:done()
            end)
          else
            go(function()
              rw:rlock()
              readers = readers + 1
              for _ = 1, 4 do
                if writers ~= 0 then bad[#bad + 1] = "reader " .. i end
                go.yield()
              end
              readers = readers - 1
              rw:runlock()
              wg:done()
            end)
          end
        end
        wg:wait()
        assert.same({}, bad)
      end)
    end)

    it("keeps new readers out while a writer waits", function()
      run(function()
        local rw, wg = go.rwmutex(), go.waitgroup()
        local log, add = logger()
        rw:rlock()  -- reader 1: this goroutine
        wg:add(2)
        go(function() rw:lock(); add("writer"); rw:unlock(); wg:done() end)
        settle()
        go(function() rw:rlock(); add("reader 2"); rw:runlock(); wg:done() end)
        settle()
        assert.same({}, log)  -- reader 2 waits behind the waiting writer
        rw:runlock()
        wg:wait()
        assert.same({ "writer", "reader 2" }, log)
      end)
    end)

    it("lets a writer in despite a continuous stream of readers", function()
      run(function()
        local rw, wg = go.rwmutex(), go.waitgroup()
        local reads, at = 0, nil
        local ROUNDS = 50
        wg:add(5)
        for _ = 1, 4 do
          go(function()
            for _ = 1, ROUNDS do
              rw:rlock()   -- straight after runlock: readers overlap
              go.yield()
              reads = reads + 1
              rw:runlock()
            end
            wg:done()
          end)
          go.yield()  -- staggered
        end
        settle(5)
        go(function()
          rw:lock()
          at = reads
          rw:unlock()
          wg:done()
        end)
        wg:wait()
        assert.is_not_nil(at)
        assert.is_true(at < 4 * ROUNDS / 2, "writer got in after " .. at .. " reads")
      end)
    end)

    it("admits waiting readers when a waiting writer's lock is interrupted by a goroutine error", function()
      local rw = go.rwmutex()
      local release = go.chan()
      local log, add = logger()
      go(function() rw:rlock(); release:recv(); rw:runlock(); add("r1 done") end)
      go.yield()  -- r1 holds a read lock
      go(function() go.yield(); rw:rlock(); add("r2 got"); rw:runlock() end)
      local id = go(function() settle(5); error("failure while main waits") end)
      -- main waits in lock; r2 queues behind it; then the error interrupts main
      local ok, err = pcall(rw.lock, rw)
      assert.is_false(ok)
      assert.is_true(has(tostring(err), "goroutine " .. id .. ": "), tostring(err))
      release:send(true)
      settle()
      table.sort(log)
      -- no writer holds or waits any more: r2 must get its read lock
      assert.same({ "r1 done", "r2 got" }, log)
    end)

    it("raises 'sync: RUnlock of unlocked RWMutex'", function()
      local rw = go.rwmutex()
      assert.error_matches(function() rw:runlock() end,
                           "sync: RUnlock of unlocked RWMutex", 1, true)
      rw:rlock()
      rw:runlock()
      assert.error_matches(function() rw:runlock() end,
                           "sync: RUnlock of unlocked RWMutex", 1, true)
    end)

    it("raises 'sync: RUnlock of unlocked RWMutex' while only a writer holds it", function()
      local rw = go.rwmutex()
      rw:lock()
      assert.error_matches(function() rw:runlock() end,
                           "sync: RUnlock of unlocked RWMutex", 1, true)
      rw:unlock()
    end)

    it("raises 'sync: Unlock of unlocked RWMutex'", function()
      local rw = go.rwmutex()
      assert.error_matches(function() rw:unlock() end,
                           "sync: Unlock of unlocked RWMutex", 1, true)
      rw:lock()
      rw:unlock()
      assert.error_matches(function() rw:unlock() end,
                           "sync: Unlock of unlocked RWMutex", 1, true)
    end)

    it("raises 'sync: Unlock of unlocked RWMutex' while only readers hold it", function()
      local rw = go.rwmutex()
      rw:rlock()
      assert.error_matches(function() rw:unlock() end,
                           "sync: Unlock of unlocked RWMutex", 1, true)
      rw:runlock()
    end)

    it("read-unlocks at scope end with local _ <close> = rw:rlock()", function()
      local rw = go.rwmutex()
      do
        local _ <close> = rw:rlock()
        local _ <close> = rw:rlock()  -- a second reader
      end
      assert.error_matches(function() rw:runlock() end,
                           "sync: RUnlock of unlocked RWMutex", 1, true)
      local _ <close> = rw:lock()  -- free for a writer
    end)

    it("unlocks at scope end with local _ <close> = rw:lock()", function()
      local rw = go.rwmutex()
      do
        local _ <close> = rw:lock()
      end
      assert.error_matches(function() rw:unlock() end,
                           "sync: Unlock of unlocked RWMutex", 1, true)
      local _ <close> = rw:rlock()  -- free for a reader
    end)

    it("releases both kinds of guard when the scope is left by an error", function()
      run(function()
        local rw = go.rwmutex()
        assert.is_false(pcall(function()
          local _ <close> = rw:lock()
          error("in writer")
        end))
        assert.is_false(pcall(function()
          local _ <close> = rw:rlock()
          error("in reader")
        end))
        local _ <close> = rw:lock()  -- does not block: both were released
      end)
    end)

    it("is named sync.RWMutex.RLock in a deadlock report", function()
      local out, line = deadlock_report [[
        local rw = go.rwmutex()
        rw:lock()
        go(function()
          LINE = debug.getinfo(1, "l").currentline + 1
          rw:rlock()
        end)
        go.chan():recv()
      ]]
      assert.is_true(reported(out, "sync.RWMutex.RLock", line), out)
    end)

    it("is named sync.RWMutex.Lock in a deadlock report", function()
      local out, line = deadlock_report [[
        local rw = go.rwmutex()
        rw:rlock()
        go(function()
          LINE = debug.getinfo(1, "l").currentline + 1
          rw:lock()
        end)
        go.chan():recv()
      ]]
      assert.is_true(reported(out, "sync.RWMutex.Lock", line), out)
    end)
  end)


  describe("go.once()", function()
    it("runs f once when 10 goroutines call it, and every caller returns after f finished", function()
      run(function()
        local once, wg = go.once(), go.waitgroup()
        local calls, finished = 0, false
        local seen = {}
        local function f()
          calls = calls + 1
          settle(5)
          go.sleep(0.005)
          finished = true
        end
        wg:add(10)
        for i = 1, 10 do
          go(function()
            once:call(f)
            seen[i] = finished
            wg:done()
          end)
        end
        wg:wait()
        assert.equal(1, calls)
        for i = 1, 10 do assert.is_true(seen[i], "caller " .. i) end
      end)
    end)

    it("does not run f again on a second call", function()
      local once = go.once()
      local calls = 0
      once:call(function() calls = calls + 1 end)
      once:call(function() calls = calls + 1 end)
      assert.equal(1, calls)
    end)

    it("propagates an error of f and never calls f again", function()
      local once = go.once()
      local calls = 0
      local function f()
        calls = calls + 1
        error("boom in f")
      end
      assert.error_matches(function() once:call(f) end, "boom in f", 1, true)
      once:call(f)  -- returns without calling f
      once:call(function() calls = calls + 100 end)
      assert.equal(1, calls)
    end)

    it("releases callers waiting on a first call whose f raises", function()
      run(function()
        local once, wg = go.once(), go.waitgroup()
        local calls, err = 0, nil
        go(function()
          local ok, e = pcall(once.call, once, function()
            calls = calls + 1
            settle(5)
            error("raised in f")
          end)
          assert(not ok)
          err = e
        end)
        go.yield()
        wg:add(3)
        for _ = 1, 3 do
          go(function()
            once:call(function() calls = calls + 1 end)
            wg:done()
          end)
        end
        wg:wait()
        settle()
        assert.equal(1, calls)
        assert.is_true(has(tostring(err), "raised in f"), tostring(err))
      end)
    end)

    it("accepts a callable table as f", function()
      local once = go.once()
      local calls = 0
      once:call(setmetatable({}, { __call = function() calls = calls + 1 end }))
      assert.equal(1, calls)
    end)

    it("raises a luaL argument error for a non-callable f", function()
      local once = go.once()
      assert.error_matches(function() once:call(42) end,
        "bad argument #1 to 'call' (function expected, got number)", 1, true)
      assert.error_matches(function() once:call() end,
        "bad argument #1 to 'call' (function expected, got no value)", 1, true)
      local calls = 0
      once:call(function() calls = calls + 1 end)  -- the bad calls used nothing up
      assert.equal(1, calls)
    end)

    it("is named sync.Once.Do in a deadlock report", function()
      local out, line = deadlock_report [[
        local once = go.once()
        local c = go.chan()
        go(function() once:call(function() c:recv() end) end)
        go(function()
          LINE = debug.getinfo(1, "l").currentline + 1
          once:call(print)
        end)
        go.chan():recv()
      ]]
      assert.is_true(reported(out, "sync.Once.Do", line), out)
    end)
  end)


  describe("go.cond(mu)", function()
    it("locks the mutex again before wait returns", function()
      run(function()
        local mu = go.mutex()
        local c = go.cond(mu)
        local log, add = logger()
        local relocked
        go(function()
          mu:lock()
          add("wait")
          c:wait()
          relocked = not mu:try_lock()
          add("woken")
          mu:unlock()
        end)
        settle()
        mu:lock()  -- wait released it
        add("signal")
        c:signal()
        mu:unlock()
        settle()
        assert.same({ "wait", "signal", "woken" }, log)
        assert.is_true(relocked)
      end)
    end)

    it("does not return from wait while the signaller still holds the mutex", function()
      run(function()
        local mu = go.mutex()
        local c = go.cond(mu)
        local log, add = logger()
        go(function()
          mu:lock()
          c:wait()
          add("woken")
          mu:unlock()
        end)
        settle()
        mu:lock()
        c:signal()
        settle()
        assert.same({}, log)  -- woken, but waiting for the mutex
        add("unlock")
        mu:unlock()
        settle()
        assert.same({ "unlock", "woken" }, log)
      end)
    end)

    it("wakes one waiter per signal, in the order they waited", function()
      run(function()
        local mu = go.mutex()
        local c = go.cond(mu)
        local log, add = logger()
        for i = 1, 3 do
          go(function()
            mu:lock()
            c:wait()
            add(i)
            mu:unlock()
          end)
          settle(3)
        end
        settle()
        c:signal()
        settle()
        assert.same({ 1 }, log)
        c:signal()
        settle()
        assert.same({ 1, 2 }, log)
        c:signal()
        settle()
        assert.same({ 1, 2, 3 }, log)
      end)
    end)

    it("does nothing on signal or broadcast with no waiters", function()
      local c = go.cond(go.mutex())
      c:signal()
      c:broadcast()
    end)

    it("wakes every waiter on broadcast", function()
      run(function()
        local mu = go.mutex()
        local c = go.cond(mu)
        local log, add = logger()
        for i = 1, 4 do
          go(function()
            mu:lock()
            c:wait()
            add(i)
            mu:unlock()
          end)
        end
        settle()
        assert.same({}, log)
        mu:lock()
        c:broadcast()
        mu:unlock()
        settle()
        table.sort(log)
        assert.same({ 1, 2, 3, 4 }, log)
      end)
    end)

    it("supports waiting in a loop on a predicate while a producer fills a queue", function()
      run(function()
        local mu = go.mutex()
        local c = go.cond(mu)
        local queue, got = {}, {}
        local wg = go.waitgroup()
        wg:add(2)
        for _ = 1, 2 do
          go(function()
            while true do
              mu:lock()
              while #queue == 0 do c:wait() end
              local v = table.remove(queue, 1)
              mu:unlock()
              if v == "stop" then break end
              got[#got + 1] = v
            end
            wg:done()
          end)
        end
        go(function()
          for i = 1, 20 do
            mu:lock()
            queue[#queue + 1] = i
            c:signal()
            mu:unlock()
            if i % 3 == 0 then go.yield() end
          end
          mu:lock()
          queue[#queue + 1] = "stop"
          queue[#queue + 1] = "stop"
          c:broadcast()
          mu:unlock()
        end)
        wg:wait()
        table.sort(got)
        local want = {}
        for i = 1, 20 do want[i] = i end
        assert.same(want, got)
      end)
    end)

    it("keeps a goroutine's error when it interrupts wait inside a <close> guard's scope", function()
      local mu = go.mutex()
      local c = go.cond(mu)
      local id = go(function() error("failure while main waits") end)
      local ok, err = pcall(function()
        local _ <close> = mu:lock()
        c:wait()
      end)
      assert.is_false(ok)
      err = tostring(err)
      assert.is_true(has(err, "goroutine " .. id .. ": "), err)
      assert.is_true(has(err, "failure while main waits"), err)
      assert.is_true(mu:try_lock())  -- the guard left it unlocked
      mu:unlock()
    end)

    it("raises 'sync: unlock of unlocked mutex' from wait without the lock held", function()
      local c = go.cond(go.mutex())
      assert.error_matches(function() c:wait() end,
                           "sync: unlock of unlocked mutex", 1, true)
    end)

    it("raises a luaL argument error for go.cond(42)", function()
      assert.error_matches(function() go.cond(42) end,
        "bad argument #1 to 'cond' (gochan.mutex expected, got number)", 1, true)
    end)

    it("raises a luaL argument error for a cond on an RWMutex", function()
      assert.error_matches(function() go.cond(go.rwmutex()) end,
        "bad argument #1 to 'cond' (gochan.mutex expected, got gochan.rwmutex)",
        1, true)
    end)

    it("is named sync.Cond.Wait in a deadlock report", function()
      local out, line = deadlock_report [[
        local mu = go.mutex()
        local c = go.cond(mu)
        go(function()
          mu:lock()
          LINE = debug.getinfo(1, "l").currentline + 1
          c:wait()
        end)
        go.chan():recv()
      ]]
      assert.is_true(reported(out, "sync.Cond.Wait", line), out)
    end)
  end)
end)
