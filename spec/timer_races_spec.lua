-- time, racing: stop and reset that meet a timer while it fires (in the
-- timer thread, or in a finalizer run by the firing), and tickers whose
-- period is below the clock's resolution. Each case once failed.
--
-- The races cannot be forced from Lua, so a case repeats the racing
-- operations many times (each run hit the window dozens of times before
-- the fix) and asserts outcomes only, never timing. A case that once hung
-- runs in a fresh process killed after HANG seconds.
local go = require "gochan"
local support = require "spec.support"

local HANG = 30       -- seconds before a fresh process counts as hung

local has = support.has

-- PIN: a command prefix that keeps a process on one CPU, if this system
-- has one. Some races need a thread preempted at the wrong moment, which
-- happens at once on one CPU but only now and then on several.
local PIN = os.execute("taskset -c 0 true >/dev/null 2>&1") and "taskset -c 0 " or ""

-- run_lua: support.run_lua, but the process is killed after HANG seconds
-- (its exit code is then 124, timeout's), and run on one CPU if 'pin'.
local function run_lua(src, pin)
  return support.run_lua(src, "timeout " .. HANG .. " " .. (pin and PIN or ""))
end

-- share: hand 'ch' to another state, so that from now on the timer thread
-- fires the timer behind it.
local function share(ch)
  go.thread(function(c) return tostring(c) end, ch):join()
end

-- popped: wait until the timer thread has taken 't' off its heap to fire
-- it (tostring says "stopped" then), and a little more ('spin' empty
-- loops), so that the caller's next call lands in or near the firing.
-- A plain comparison: polling with string.find is slow enough to miss it.
local function popped(t, spin)
  local k = 0
  while tostring(t) == "gochan.timer (active)" and k < 1e6 do k = k + 1 end
  for _ = 1, spin do end
end

-- ready: true if 'ch' has a value to receive at once.
local function ready(ch)
  return (go.select { go.recv(ch), default = true }) ~= 0
end


describe("gochan timers racing with their firing", function()
  local before, after = support.leakcheck({ "goroutines", "threads", "timers" })
  before_each(before)
  after_each(after)

  describe("a shared timer reset while the timer thread fires it", function()
    it("still lets deadlock detection report a deadlock once it is stopped #thread", function()
      local out, code = run_lua([[
        local go = require "gochan"
        local t = go.timer(3600)
        go.thread(function(c) return tostring(c) end, t.C):join()
        for _ = 1, 5000 do
          t:reset(0)   -- due at once: the timer thread fires it and wakes main,
          t.C:recv()   -- whose next reset may come before that thread is done with t
        end
        t:stop()
        local ok, err = pcall(function() go.chan():recv() end)
        print(ok, err)
      ]], true)
      assert.equal(0, code, out)
      assert.is_true(has(out, "false\t"), out)
      assert.is_true(has(out, "all goroutines are asleep - deadlock!"), out)
    end)
  end)


  -- A finalizer runs while the timer fires (the calls that start its
  -- function allocate) and stops or resets the timer being fired.
  describe("an after_func stopped or reset by a finalizer while it fires", function()
    local script = [[
      local go = require "gochan"
      local mode = %q
      collectgarbage("incremental")
      collectgarbage("setpause", 200)
      collectgarbage("setstepmul", 50)
      local cur, currec
      local mt = { __gc = function()
        if cur then
          local t = cur
          cur = nil
          if mode == "stop" then currec.res = t:stop() else currec.res = t:reset(3600) end
        end
      end }
      local recs, boxes = {}, setmetatable({}, { __mode = "v" })
      for i = 1, 20000 do
        for _ = 1, i %% 40 + 1 do setmetatable({}, mt) end  -- garbage to finalize
        cur = nil
        local rec = { ran = 0 }
        recs[i] = rec
        local t = go.after_func(0, function() rec.ran = rec.ran + 1 end)
        boxes[i] = t
        cur, currec = t, rec
        go.sleep(1e-9)              -- fires t
      end
      cur = nil
      for _ = 1, 5 do go.sleep(0.001) end  -- the functions started run
      collectgarbage()
      collectgarbage()
      local bad = {}
      for i, rec in ipairs(recs) do
        local want = rec.res == true and 0 or 1  -- true: stopped, or re-armed for an hour
        if rec.ran ~= want then
          bad[#bad + 1] = ("%%d: %%s, ran %%d"):format(i, tostring(rec.res), rec.ran)
        elseif mode == "reset" and rec.res ~= nil and boxes[i] == nil then
          bad[#bad + 1] = ("%%d: collected while armed"):format(i)
        end
      end
      print("bad " .. #bad, table.concat(bad, "; ", 1, math.min(#bad, 5)))
    ]]

    it("starts nothing once stop returned true, and its function otherwise", function()
      local out, code = run_lua(script:format("stop"))
      assert.equal(0, code, out)
      assert.is_true(has(out, "bad 0\t"), out)
    end)

    it("stays anchored when reset re-arms it, and runs only if reset returned false", function()
      local out, code = run_lua(script:format("reset"))
      assert.equal(0, code, out)
      assert.is_true(has(out, "bad 0\t"), out)
    end)
  end)


  -- As Go 1.23's isSending: a timer the timer thread took off its heap and
  -- has not sent yet is still active.
  describe("stop and reset of a shared one-shot timer while it fires", function()
    for _, case in ipairs {
      { title = "stop returns true and no value is received #thread", name = "stop",
        call = function(t) return t:stop() end },
      { title = "reset returns true and no value from before it is received #thread",
        name = "reset", call = function(t) return t:reset(3600) end, rearms = true },
    } do
      it(case.title, function()
        local t = go.timer(3600)
        share(t.C)
        local falses, late = 0, 0
        for i = 1, 10000 do
          t:reset(0)
          popped(t, i % 8)
          if not case.call(t) then falses = falses + 1 end
          if ready(t.C) then late = late + 1 end
        end
        if case.rearms then assert.is_true(t:stop()) end
        assert.equal(0, falses, case.name .. "() returned false though nobody received")
        assert.equal(0, late, "a value arrived after " .. case.name .. "()")
      end)
    end
  end)


  -- The sum of the last deadline and the period rounds back to now (or,
  -- for a subnormal period, the catch-up overflows to inf).
  describe("a ticker with a period below the clock's resolution", function()
    -- tiny(shared): a script that ticks and stops tickers of tiny periods,
    -- each shared first (fired by the timer thread) if 'shared'
    local function tiny(shared)
      return ([[
        local go = require "gochan"
        for _, d in ipairs { 1e-13, 1e-300, 4.9406564584124654e-324 } do
          local tk = go.ticker(d)
          %s
          local a, b = tk.C:recv(), tk.C:recv()
          tk:stop()
          print(d > 0, math.type(a), b >= a)
        end
      ]]):format(shared and "go.thread(function(c) return tostring(c) end, tk.C):join()" or "")
    end

    it("ticks and stops (1e-13, 1e-300, the smallest subnormal)", function()
      local out, code = run_lua(tiny(false))
      assert.equal(0, code, out)
      assert.equal(("true\tfloat\ttrue\n"):rep(3), out)
    end)

    it("ticks and stops when the timer thread fires it #thread", function()
      local out, code = run_lua(tiny(true))
      assert.equal(0, code, out)
      assert.equal(("true\tfloat\ttrue\n"):rep(3), out)
    end)
  end)


  -- The race itself is seen by TSan only (`make test-tsan`); the plain
  -- build checks that the ticker still works.
  describe("reset of a ticker fired by the timer thread", function()
    it("sets the new period under the timer thread's lock #thread", function()
      local tk = go.ticker(1e-9)
      share(tk.C)
      for i = 1, 20000 do
        tk:reset(1e-9 * (1 + i % 3))  -- fires at once: the thread reads period
      end
      tk:reset(0.001)
      assert.equal("float", math.type((tk.C:recv())))
      tk:stop()
    end)
  end)
end)
