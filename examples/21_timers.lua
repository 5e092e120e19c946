-- 21_timers.lua: the time package's channels: After, Timer, Ticker, AfterFunc.
--
-- Go's time package gives channels that a timer sends on:
--
--   * time.After(d): a channel that receives the current time once, after d;
--   * time.NewTimer(d): the same, plus t.Stop() (cancel it) and t.Reset(d)
--     (start it again); its channel is t.C;
--   * time.NewTicker(d): a channel tk.C that receives every d until
--     tk.Stop();
--   * time.AfterFunc(d, f): runs f in its own goroutine after d.
--
-- In gochan durations are seconds (go.millisecond is 0.001) and the time
-- received is go.now(), a monotonic clock in seconds. Timers follow Go 1.23:
-- once Stop or Reset has returned, no old value can be received from t.C.
--
-- The Go program this mirrors:
--
--   func main() {
--       start := time.Now()
--       <-time.After(30 * time.Millisecond)
--       fmt.Println("After: waited at least 30ms:", time.Since(start) >= 30*time.Millisecond)
--
--       t := time.NewTimer(30 * time.Millisecond)
--       fmt.Println("Stop before it fired:", t.Stop())     // true
--       fmt.Println("Reset after Stop:", t.Reset(10*time.Millisecond)) // false
--       <-t.C
--       fmt.Println("the timer fired after the reset")
--
--       tk := time.NewTicker(10 * time.Millisecond)
--       for i := 1; i <= 3; i++ {
--           <-tk.C
--           fmt.Println("tick", i)
--       }
--       tk.Stop()
--
--       done := make(chan string)
--       time.AfterFunc(10*time.Millisecond, func() { done <- "AfterFunc ran f" })
--       fmt.Println(<-done)
--   }
--
-- More in 10_select_timeout.lua, 11_timer_stop.lua, 12_ticker_heartbeat.lua.

local go = require "gochan"

local ms = go.millisecond

local start = go.now()
go.after(30 * ms):recv()                    -- <-time.After(30 * time.Millisecond)
print("After: waited at least 30 ms:", go.now() - start >= 30 * ms)

local t = go.timer(30 * ms)                 -- t := time.NewTimer(30 * time.Millisecond)
print("Stop before it fired:", t:stop())    -- true: its value will never come
print("Reset after Stop:", t:reset(10 * ms))  -- false: it was not active
t.C:recv()                                  -- <-t.C
print("the timer fired after the reset")

local tk = go.ticker(10 * ms)               -- tk := time.NewTicker(10 * time.Millisecond)
for i = 1, 3 do
  tk.C:recv()                               -- <-tk.C
  print("tick", i)
end
tk:stop()                                   -- tk.Stop()

local done = go.chan()
go.after_func(10 * ms, function() done:send("AfterFunc ran f") end)
local msg = done:recv()                     -- recv returns msg, true
print(msg)
