-- 07_deadlock.lua: what happens when nobody can ever make progress.
--
-- If the main goroutine blocks and no other goroutine can ever wake it (every
-- goroutine is blocked on a channel that nobody will use), the program can
-- never continue. Go detects this and crashes with
--
--   fatal error: all goroutines are asleep - deadlock!
--
-- followed by a dump of the blocked goroutines.
--
-- gochan detects the same situation and raises an ordinary Lua error from the
-- blocking call. Its first line is `all goroutines are asleep - deadlock!`;
-- then comes one line per blocked
-- goroutine: its id, what it waits on (`chan receive`, `chan send`, `select`,
-- ...) and the file:line of the Lua line that made the blocking call. Like
-- any Lua error, the message starts with the file:line where it was raised
-- (here: the blocking call in main).
-- Unlike Go's fatal error, pcall can catch it, so this script survives all
-- three deadlocks and explains each one.
--
-- The Go programs this mirrors (each one, alone, crashes with the deadlock):
--
--   // 1: a send on an unbuffered channel with no receiver
--   func main() {
--       ch := make(chan int)
--       ch <- 1                          // nobody will ever receive
--   }
--
--   // 2: two goroutines waiting for each other, and main waiting for both
--   func main() {
--       ping, pong, done := make(chan int), make(chan int), make(chan int)
--       go func() { <-ping; pong <- 1 }() // waits for ping first
--       go func() { <-pong; ping <- 1 }() // waits for pong first
--       <-done                           // nobody sends on done
--   }
--
--   // 3: a range over a channel that is never closed
--   func main() {
--       ch := make(chan int)
--       go func() { ch <- 1; ch <- 2 }() // forgets close(ch)
--       for v := range ch { fmt.Println(v) }
--   }

local go = require "gochan"

-- Runs f, which must deadlock, and prints the error it raised.
local function show(title, f)
  print(title)
  local ok, err = pcall(f)
  assert(not ok, "expected a deadlock")
  for line in (tostring(err) .. "\n"):gmatch("(.-)\n") do
    print((("  | " .. line):gsub("%s+$", "")))
  end
  print()
end

show("1: a send with no receiver", function()
  local ch = go.chan()
  ch:send(1)                       -- main blocks forever: nobody receives
end)
-- Only the main goroutine is blocked: the report names it (goroutine 1,
-- "chan send") and the line above. Main is the only goroutine there is, so
-- no one could ever receive.

show("2: goroutines waiting for each other", function()
  local ping, pong, done = go.chan(), go.chan(), go.chan()
  go(function() ping:recv(); pong:send(1) end)
  go(function() pong:recv(); ping:send(1) end)
  done:recv()                      -- nobody sends on done
end)
-- Three goroutines, each in "chan receive": main on done, the two others on
-- ping and pong. Each waits for something only another blocked one can do.

show("3: range over a channel that is never closed", function()
  local ch = go.chan()
  go(function() ch:send(1); ch:send(2) end)  -- forgets ch:close()
  for v in ch:range() do
    print("  got", v)
  end
end)
-- Both values arrive, then range waits for a third value or a close that
-- never come: the sender has finished, and main is blocked in the range with
-- nobody left to wake it. The fix is to close the channel when the sender is
-- done.
--
-- The report lists goroutines 2 and 3 again: they are the two from part 2,
-- still blocked on ping and pong. pcall caught the error, but nothing can ever
-- wake those two, so they stay blocked for the rest of the program. In Go
-- this is a goroutine leak; here it is the same.

print("All three deadlocks were caught; the script ends normally.")
