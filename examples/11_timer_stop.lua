-- 11_timer_stop.lua: time.Timer: fire, Stop, Reset.
--
-- time.After(d) is a timer you cannot cancel. time.NewTimer(d) gives a Timer
-- t whose channel t.C receives the current time once, after d, and which can
-- be changed before that:
--
--   * t.Stop() cancels it. It returns true if the timer was still active
--     (its value had not been received yet): then the value never comes.
--   * t.Reset(d) starts it again, to fire d from now. It returns true if the
--     timer was still active.
--
-- gochan follows Go 1.23 and later: a timer whose value has not been received
-- is still active, and once Stop or Reset has returned, no value from before
-- the call can be received from t.C. (Older Go made you drain t.C after a
-- Stop that returned false; that is never needed here.)
--
-- In gochan: local t = go.timer(d), t.C, t:stop(), t:reset(d), and
-- go.after_func(d, f) for time.AfterFunc.
--
-- The Go program this mirrors (parts 1 to 3):
--
--   t := time.NewTimer(20 * time.Millisecond)    // 1: a timer fires
--   <-t.C
--   fmt.Println(t.Stop())                        // false: already fired
--
--   t = time.NewTimer(20 * time.Millisecond)     // 2: stopped in time
--   fmt.Println(t.Stop())                        // true
--   select {
--   case <-t.C:
--       fmt.Println("fired anyway?!")
--   case <-time.After(50 * time.Millisecond):
--       fmt.Println("nothing received")
--   }
--
--   t = time.NewTimer(time.Hour)                 // 3: reset
--   fmt.Println(t.Reset(10 * time.Millisecond))  // true: it was active
--   <-t.C                                        // after 10 ms, not an hour
--
-- Only facts that hold however busy the machine is are printed: what stop and
-- reset return, what was received, and lower bounds on the time waited.

local go = require "gochan"

local ms = go.millisecond

-- Receives from ch if a value comes within `within`; returns what happened.
local function try_recv(ch, within)
  return go.select {
    go.recv(ch, function() return "received a value" end),
    go.recv(go.after(within), function() return "nothing received" end),
  }
end

print("Part 1: a timer fires")
do
  local start = go.now()
  local t = go.timer(20 * ms)               -- time.NewTimer(20ms)
  local fired_at = t.C:recv()               -- <-t.C: it receives the time
  print(("  received from t.C after >= 20 ms: %s"):format(fired_at - start >= 20 * ms))
  print("  t:stop() after it fired ->     " .. tostring(t:stop()))
end

print()
print("Part 2: a timer stopped before it fires")
do
  local t = go.timer(20 * ms)
  print("  t:stop() before it fired ->    " .. tostring(t:stop()))  -- true
  -- Wait well past the 20 ms it was set for: no value ever comes.
  print("  waiting 50 ms on t.C:          " .. try_recv(t.C, 50 * ms))
  print("  t:stop() again ->              " .. tostring(t:stop()))  -- false
end

print()
print("Part 3: stopped after it expired, but before anyone received")
-- The timer's 10 ms are over while main sleeps, but nobody has received its
-- value yet, so it is still active: stop returns true and the value is gone.
-- There is no stale value left in t.C to drain.
do
  local t = go.timer(10 * ms)
  go.sleep(30 * ms)                         -- the timer expires meanwhile
  print("  t:stop() ->                    " .. tostring(t:stop()))  -- true
  print("  waiting 30 ms on t.C:          " .. try_recv(t.C, 30 * ms))
end

print()
print("Part 4: reset")
do
  local start = go.now()
  local t = go.timer(go.hour)               -- would fire in an hour
  print("  t:reset(10 ms) on an active timer ->  " .. tostring(t:reset(10 * ms)))
  local fired_at = t.C:recv()
  print(("  fired after >= 10 ms, not an hour: %s")
    :format(fired_at - start >= 10 * ms and go.now() - start < 60))

  -- Reset also rearms a timer that already fired (and was received), or
  -- one that was stopped: then it returns false, and fires again.
  start = go.now()
  print("  t:reset(10 ms) after it fired ->      " .. tostring(t:reset(10 * ms)))
  fired_at = t.C:recv()
  print(("  fired again, after >= 10 ms: %s"):format(fired_at - start >= 10 * ms))

  -- Reset before it fires pushes the deadline back: a watchdog. Each
  -- "sign of life" resets it to 30 ms from now; it fires only once the
  -- signs stop coming.
  start = go.now()
  local watchdog = go.timer(30 * ms)
  for _ = 1, 4 do
    go.sleep(10 * ms)                       -- a sign of life every 10 ms...
    assert(watchdog:reset(30 * ms))         -- ...so it never gets to fire
  end
  local barked = watchdog.C:recv()          -- no more signs: it fires
  print(("  watchdog reset 4 times, fired >= 70 ms after it was made: %s")
    :format(barked - start >= 70 * ms))
end

print()
print("Part 5: time.AfterFunc, cancelled")
-- go.after_func(d, f) runs f in its own goroutine after d, and returns a
-- Timer: stopping it in time means f never runs.
do
  local ran = {}
  local done = go.chan(1)
  local keep = go.after_func(10 * ms, function()
    ran[#ran + 1] = "keep"
    done:send(true)
  end)
  local cancel = go.after_func(10 * ms, function() ran[#ran + 1] = "cancel" end)
  print("  cancel:stop() ->               " .. tostring(cancel:stop()))  -- true
  done:recv()                               -- keep's function has run
  go.sleep(20 * ms)                         -- and cancel's had the time to
  print("  functions that ran:            " .. table.concat(ran, ", "))
  print("  keep:stop() after it ran ->    " .. tostring(keep:stop()))    -- false
end
