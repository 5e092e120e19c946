-- sync_races: sync objects when a wait ends in an unusual way: a waiting
-- goroutine abandoned by user code (its coroutine closed while it is
-- parked), c:wait() interrupted by a goroutine error or a deadlock, and a
-- Cond on a Mutex that another thread locks. Local objects for the
-- abandoned-goroutine cases; ordering by event logs, never by time;
-- deadlocks run in a fresh process.
local go = require "gochan"
local support = require "spec.support"

local settle = support.settle

local logger = support.logger

local has = support.has

-- assert_goerror: 'err' is goroutine 'id''s error, with 'text' in it.
local function assert_goerror(err, id, text)
  err = tostring(err)
  assert.is_true(has(err, "goroutine " .. id .. ": "), err)
  assert.is_true(has(err, text), err)
end

-- in_fresh_process: run 'src' in a fresh process (a deadlock must not
-- depend on this process's other goroutines, timers and threads); returns
-- its output, which must end with "done".
local function in_fresh_process(src)
  local out, code = support.run_lua("local go = require 'gochan'\n" .. src ..
                                    "\nprint('done')\n")
  assert.equal(0, code, out)
  assert.is_true(has(out, "done\n"), out)
  return out
end


describe("gochan sync races", function()
  local before, after = support.leakcheck({ "goroutines", "threads", "shared" })
  before_each(before)
  after_each(after)

  describe("go.rwmutex() with an abandoned writer", function()
    it("admits the readers queued behind it once the last reader leaves", function()
      local rw = go.rwmutex()
      local log, add = logger()
      local wco
      rw:rlock()  -- main reads
      go(function()
        wco = coroutine.running()
        rw:lock()
        add("writer")
      end)
      settle()  -- the writer waits, and keeps new readers out
      assert.is_true(coroutine.close(wco))  -- user code abandons it
      go(function()
        rw:rlock()
        add("reader")
        rw:runlock()
      end)
      settle()
      assert.same({}, log)  -- queued behind the abandoned writer
      rw:runlock()  -- no reader left, no live writer: the reader's turn
      settle()
      assert.same({ "reader" }, log)
      rw:lock()  -- free again
      rw:unlock()
    end)

    it("lets a live writer queued behind it in before the queued readers", function()
      local rw = go.rwmutex()
      local log, add = logger()
      local wco
      rw:rlock()
      go(function()
        wco = coroutine.running()
        rw:lock()
        add("abandoned writer")
      end)
      settle()
      go(function()
        rw:lock()
        add("writer")
        rw:unlock()
      end)
      settle()
      assert.is_true(coroutine.close(wco))
      go(function()
        rw:rlock()
        add("reader")
        rw:runlock()
      end)
      settle()
      rw:runlock()
      settle()
      assert.same({ "writer", "reader" }, log)
    end)
  end)

  describe("go.cond(mu):wait() interrupted by a goroutine error", function()
    it("holds the mutex again before raising, while another goroutine held it", function()
      local mu = go.mutex()
      local c = go.cond(mu)
      local wg = go.waitgroup()
      local aholds, id = false, nil
      wg:add(1)
      local ok, err = pcall(function()
        local _ <close> = mu:lock()
        go(function()  -- takes the mutex wait released; fails a goroutine meanwhile
          mu:lock()
          aholds = true
          id = go(function() error("failure while main waits") end)
          settle(3)
          aholds = false
          mu:unlock()
          wg:done()
        end)
        c:wait()
      end)
      assert.is_false(ok)
      assert.is_false(aholds)  -- it did not raise while the other held the mutex
      assert_goerror(err, id, "failure while main waits")
      wg:wait()  -- the other's unlock succeeded: no error pending
      assert.is_true(mu:try_lock())  -- and the guard released what wait took
      mu:unlock()
    end)

    it("holds the mutex again before raising an error that came while it waited for the mutex", function()
      local mu = go.mutex()
      local c = go.cond(mu)
      local aholds, id = false, nil
      local ok, err = pcall(function()
        local _ <close> = mu:lock()
        go(function()
          mu:lock()
          aholds = true
          c:signal()  -- main now waits for the mutex
          id = go(function() error("failure while main waits for the mutex") end)
          settle(3)
          aholds = false
          mu:unlock()
        end)
        c:wait()
      end)
      assert.is_false(ok, "wait returned without the error")
      assert.is_false(aholds)
      assert_goerror(err, id, "failure while main waits for the mutex")
      settle()
      assert.is_true(mu:try_lock())
      mu:unlock()
    end)

    it("raises the errors that came while it waited for the mutex one at a time, oldest first", function()
      local mu = go.mutex()
      local c = go.cond(mu)
      local aholds, id1, id2 = false, nil, nil
      local ok, err = pcall(function()
        local _ <close> = mu:lock()
        go(function()
          mu:lock()
          aholds = true
          id1 = go(function() error("first failure") end)
          settle(2)  -- main waits for the mutex now
          id2 = go(function() error("second failure") end)
          settle(3)
          aholds = false
          mu:unlock()
        end)
        c:wait()
      end)
      assert.is_false(ok)
      assert.is_false(aholds)
      assert_goerror(err, id1, "first failure")
      local ok2, err2 = pcall(go.yield)  -- the next blocking call: the second
      assert.is_false(ok2)
      assert_goerror(err2, id2, "second failure")
      assert.is_true(pcall(go.yield))  -- no more
      assert.is_true(mu:try_lock())
      mu:unlock()
    end)
  end)

  describe("go.cond(mu):wait() ended by a deadlock while another goroutine holds the mutex", function()
    it("leaves the holder's lock alone when its <close> guard closes", function()
      local out = in_fresh_process [[
        local mu = go.mutex()
        local c = go.cond(mu)
        local release, finished = go.chan(), go.chan(1)
        local ok, err = pcall(function()
          local _ <close> = mu:lock()
          go(function()  -- takes the mutex, then blocks for ever
            mu:lock()
            release:recv()
            mu:unlock()
            finished:send(true)
          end)
          c:wait()
        end)
        print("ok=" .. tostring(ok))
        local text = "all goroutines are asleep - deadlock!"
        print("deadlock=" .. tostring(string.find(tostring(err), text, 1, true) ~= nil))
        print("held=" .. tostring(not mu:try_lock()))
        release:send(true)
        print("finished=" .. tostring(finished:recv()))
        print("free=" .. tostring(mu:try_lock()))
      ]]
      assert.is_true(has(out, "ok=false\n"), out)
      assert.is_true(has(out, "deadlock=true\n"), out)
      assert.is_true(has(out, "held=true\n"), out)  -- the guard did not unlock it
      assert.is_true(has(out, "finished=true\n"), out)  -- its holder's unlock did
      assert.is_true(has(out, "free=true\n"), out)
    end)

    it("leaves the holder's lock alone when the waiter calls unlock", function()
      local out = in_fresh_process [[
        local mu = go.mutex()
        local c = go.cond(mu)
        local release = go.chan()
        mu:lock()
        go(function()
          mu:lock()
          release:recv()
          mu:unlock()
        end)
        print("ok=" .. tostring(pcall(c.wait, c)))
        mu:unlock()  -- matches main's lock, which wait could not take back
        print("held=" .. tostring(not mu:try_lock()))
        release:send(true)
        go.yield()
        print("free=" .. tostring(mu:try_lock()))
        mu:unlock()
        mu:lock()  -- main's own lock and unlock work as before
        mu:unlock()
        print("unlocked=" .. tostring(mu:try_lock()))
      ]]
      assert.is_true(has(out, "ok=false\n"), out)
      assert.is_true(has(out, "held=true\n"), out)
      assert.is_true(has(out, "free=true\n"), out)
      assert.is_true(has(out, "unlocked=true\n"), out)
    end)
  end)

  describe("a goroutine started after a c:wait() ended by a deadlock", function()
    it("unlocks the mutex another goroutine holds (its record may be the waiter's)", function()
      -- the skipped unlock was recorded by goroutine record, and records are
      -- reused: a later goroutine's unlock was skipped too
      local out = in_fresh_process [[
        local mu = go.mutex()
        local c = go.cond(mu)
        local relB, done = go.chan(), go.chan()
        go(function()
          mu:lock()
          pcall(coroutine.wrap(function() c:wait() end))  -- the deadlock error
          done:close()
        end)
        go(function() mu:lock(); relB:recv() end)
        done:recv()
        go.yield()  -- the waiter's record goes back to the pool
        local unlocked = go.chan()
        go(function() mu:unlock(); unlocked:close() end)  -- reuses it
        unlocked:recv()
        print("try_lock", mu:try_lock())
      ]]
      assert.equal("try_lock\ttrue\ndone\n", out)
    end)
  end)

  describe("go.cond(mu) on a Mutex shared with another thread", function()
    -- checked for races under TSan (make tsan): wait read the mutex's state
    -- without its lock while the other thread's try_lock wrote it
    it("waits and is signalled while the other thread tries the mutex #thread", function()
      local mu = go.mutex()
      local c = go.cond(mu)
      local stop = go.chan(1)
      local th = go.thread(function(mu2, c2, stop2)
        local go2 = require "gochan"
        local signals = 0
        while go2.select { go2.recv(stop2), default = true } == 0 do
          if mu2:try_lock() then  -- only while main waits: it holds it otherwise
            c2:signal()
            signals = signals + 1
            mu2:unlock()
          end
        end
        return signals
      end, mu, c, stop)
      for _ = 1, 200 do
        mu:lock()
        c:wait()
        mu:unlock()
      end
      stop:send(true)
      assert.is_true(th:join() >= 200)
    end)
  end)

  describe("a Mutex handed over to a goroutine that is then abandoned", function()
    -- the hand-off completes the wait; nothing of sync.c runs for it again
    -- once user code closes its coroutine: the scheduler passes a completed,
    -- unconsumed hand-off on when it drops the goroutine (gch_Kind.abandon)
    it("is unlocked again", function()
      local mu = go.mutex()
      local co
      mu:lock()
      go(function()
        co = coroutine.running()
        mu:lock()
        mu:unlock()
      end)
      settle()
      mu:unlock()  -- handed to the goroutine, now in the run queue
      assert.is_true(coroutine.close(co))  -- abandoned before it runs
      settle()
      assert.is_true(mu:try_lock())
      mu:unlock()
    end)

    it("is unlocked again for an RWMutex's writer and readers", function()
      for _, role in ipairs({ "writer", "reader" }) do
        local rw = go.rwmutex()
        local co
        if role == "writer" then rw:rlock() else rw:lock() end
        go(function()
          co = coroutine.running()
          if role == "writer" then rw:lock(); rw:unlock() else rw:rlock(); rw:runlock() end
        end)
        settle()
        if role == "writer" then rw:runlock() else rw:unlock() end  -- handed over
        assert.is_true(coroutine.close(co))  -- abandoned before it runs
        settle()
        local got = go.chan(1)
        go(function() rw:lock(); got:send(true); rw:unlock() end)
        assert.same({ 2, true, true }, { go.select({ go.recv(go.after(2)), go.recv(got) }) })
      end
    end)

    it("is unlocked again when the goroutine waited on another thread #thread", function()
      local mu = go.mutex()
      local closed = go.chan()
      mu:lock()
      local th = go.thread(function(mu2, closed2)
        local go2 = require "gochan"
        local co
        go2(function()
          co = coroutine.running()
          mu2:lock()
          mu2:unlock()
        end)
        go2.yield()  -- it waits for main's lock
        assert(coroutine.close(co))
        closed2:send(true)
      end, mu, closed)
      closed:recv()
      mu:unlock()  -- handed to the abandoned goroutine: never released
      th:join()
      assert.is_true(mu:try_lock())
      mu:unlock()
    end)
  end)
end)
