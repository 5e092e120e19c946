-- 10_select_timeout.lua: a timeout with select and time.After.
--
-- time.After(d) returns a channel that receives the current time once, after
-- d. Put it in a select next to the channel you are waiting on, and whichever
-- is ready first wins: the result, or the timeout.
--
-- In gochan, go.after(d) is time.After(d) (d in seconds; go.millisecond makes
-- it read like Go) and it receives go.now(), the monotonic clock.
--
-- The Go program this mirrors:
--
--   func worker(name string, d time.Duration, out chan<- string) {
--       time.Sleep(d)                          // the work takes d
--       out <- name + "'s result"
--   }
--
--   func fetch(name string, d time.Duration) {
--       out := make(chan string, 1)            // room for a late result
--       go worker(name, d, out)
--       select {
--       case r := <-out:
--           fmt.Println("got", r)
--       case <-time.After(50 * time.Millisecond):
--           fmt.Println("timeout: gave up on", name)
--       }
--   }
--
--   func main() {
--       fetch("slow", 200*time.Millisecond)    // loses to the timeout
--       fetch("fast", 5*time.Millisecond)      // wins
--   }
--
-- Timing decides who wins here, so the margins are wide (5 ms against 50 ms
-- against 200 ms) and the script prints only what the program guarantees:
-- who won, and facts about the clock that hold however busy the machine is.

local go = require "gochan"

local ms = go.millisecond
local TIMEOUT = 50 * ms

local function worker(name, d, out)
  go.sleep(d)                               -- time.Sleep(d): the work
  out:send(name .. "'s result")             -- out <- ...
end

-- Starts a worker and waits for its result, at most TIMEOUT.
-- Returns the result channel, so that part 2 can look at it afterwards.
local function fetch(name, d)
  local out = go.chan(1)                    -- make(chan string, 1)
  go(worker, name, d, out:send_only())
  local start = go.now()
  local msg = go.select {
    go.recv(out, function(r)                -- case r := <-out:
      return "got " .. r
    end),
    go.recv(go.after(TIMEOUT), function(t)  -- case t := <-time.After(...):
      -- the value received is the time the timer fired
      assert(t - start >= TIMEOUT)
      return "timeout: gave up on " .. name
    end),
  }
  print(("  %s worker (%d ms, timeout %d ms): %s")
    :format(name, d / ms, TIMEOUT / ms, msg))
  return out
end

print("Part 1: a slow worker loses, a fast one wins")
local slow_out = fetch("slow", 200 * ms)
fetch("fast", 5 * ms)

print()
print("Part 2: why the result channel has a buffer")
-- The slow worker is still sleeping: nobody will ever receive its result.
-- With an unbuffered channel its send would block forever (in Go, a leaked
-- goroutine; here, a goroutine stuck until the program ends). With room for
-- one value, it drops its result into the buffer and finishes.
go.sleep(200 * ms)                          -- long enough for it to finish
print("  200 ms later, slow's channel: " .. tostring(slow_out))
print("  the late result was waiting there: " .. slow_out:recv())

print()
print("Part 3: a timeout per receive, in a loop")
-- A producer sends five values, 10 ms apart, then goes quiet without closing
-- its channel. The consumer waits at most 50 ms for each value: a fresh
-- go.after for every round, so the timeout means "nothing for 50 ms".
local values = go.chan()
go(function()
  for i = 1, 5 do
    go.sleep(10 * ms)
    values:send(i)
  end
  -- forgets to close: the timeout is what ends the loop
end)

local got = {}
local waiting = true
while waiting do
  go.select {
    go.recv(values, function(v) got[#got + 1] = v end),
    go.recv(go.after(50 * ms), function()
      waiting = false
    end),
  }
end
print("  received: " .. table.concat(got, " "))
print("  then nothing for 50 ms: timeout, loop ended")

print()
print("Part 4: a timeout for the whole loop")
-- One go.after made before the loop is a deadline for all of it. A ticker-ish
-- producer sends forever, every 10 ms; the consumer stops at the deadline.
local start = go.now()
local deadline = go.after(100 * ms)
local stream = go.chan()
go(function()
  local i = 0
  while true do
    go.sleep(10 * ms)
    i = i + 1
    stream:send(i)
  end
end)
local count, last = 0, 0
local running = true
while running do
  go.select {
    go.recv(stream, function(v) count = count + 1; last = v end),
    go.recv(deadline, function() running = false end),
  }
end
-- How many values arrived in 100 ms depends on the machine; these facts do not:
print(("  stopped at the deadline, after at least 100 ms: %s")
  :format(go.now() - start >= 100 * ms))
print(("  at most 10 values received (one per 10 ms): %s"):format(count <= 10))
print(("  values came in order, none lost: %s"):format(last == count))
