-- 03_close_range.lua: closing a channel, `v, ok` and `for v in ch:range()`.
--
-- In Go the sender closes a channel to tell the receivers "no more values are
-- coming": close(ch). After that:
--
--   * values already sent can still be received;
--   * once the channel is drained, a receive does not block any more: it
--     returns at once with the zero value and ok == false (`v, ok := <-ch`);
--   * `for v := range ch` receives until the channel is closed and drained;
--   * sending on a closed channel, or closing it twice, panics.
--
-- In gochan, `local v, ok = ch:recv()` gives `v, true` for a value that was
-- sent and `nil, false` once the channel is closed and drained, and
-- `for v in ch:range() do ... end` is Go's range loop. The panics are Lua
-- errors, which pcall catches.
--
-- The Go program this mirrors:
--
--   func numbers(ch chan<- int, n int) {
--       for i := 1; i <= n; i++ {
--           ch <- i
--       }
--       close(ch)                      // done: tell the receiver
--   }
--
--   func main() {
--       // A: the long way, with v, ok
--       ch := make(chan int)
--       go numbers(ch, 3)
--       for {
--           v, ok := <-ch
--           if !ok {
--               fmt.Println("closed:", v, ok)   // 0 false
--               break
--           }
--           fmt.Println("received", v, ok)
--       }
--
--       // B: the short way, with range
--       ch2 := make(chan int)
--       go numbers(ch2, 4)
--       sum := 0
--       for v := range ch2 {
--           sum += v
--       }
--       fmt.Println("sum:", sum)
--
--       // C: a closed channel keeps giving zero values, and panics on misuse
--       v, ok := <-ch2                    // 0 false, at once
--       ch2 <- 5                          // panic: send on closed channel
--       close(ch2)                        // panic: close of closed channel
--   }
--
-- Part D below has no Go counterpart: Go's channels are typed and range never
-- stops early, while Lua's `for` stops at a nil value.

local go = require "gochan"

-- The producer: sends 1..n, then closes. Only the sender closes.
local function numbers(ch, n)
  for i = 1, n do
    ch:send(i)                        -- ch <- i
  end
  ch:close()                          -- close(ch)
end

print("A: receiving with v, ok")
local ch = go.chan()
go(numbers, ch, 3)
while true do
  local v, ok = ch:recv()             -- v, ok := <-ch
  if not ok then
    print("  closed and drained:", v, ok)
    break
  end
  print("  received", v, ok)
end

print("B: receiving with for ... in ch:range()")
local ch2 = go.chan()
go(numbers, ch2, 4)
local sum = 0
for v in ch2:range() do               -- for v := range ch2
  print("  range got", v)
  sum = sum + v
end
print("  the loop ended because ch2 was closed; sum =", sum)

print("C: a closed channel")
-- Values sent before close are still delivered, even from a buffer.
local ch3 = go.chan(3)
ch3:send("x")
ch3:send("y")
ch3:close()
print("  " .. tostring(ch3))          -- chan(2/3, closed)
print("  recv:", ch3:recv())          -- x  true
print("  recv:", ch3:recv())          -- y  true
print("  recv:", ch3:recv())          -- nil false: drained, never blocks
print("  recv:", ch3:recv())          -- nil false, again and again

-- Misuse is an error (a panic in Go).
local ok, err = pcall(ch3.send, ch3, "z")
print("  send after close ->", ok, err)
ok, err = pcall(ch3.close, ch3)
print("  close twice      ->", ok, err)

print("D: a nil message")
-- A channel can carry nil, and recv tells nil-the-value from closed by its ok.
-- But Lua's generic for stops at the first nil value, so ch:range() also
-- ends at a nil message: use recv on channels that may carry nil.
local ch4 = go.chan(3)
ch4:send(1)
ch4:send(nil)
ch4:send(3)
ch4:close()
for v in ch4:range() do
  print("  range got", v)
end
print("  range stopped at the nil; the rest is still there:", ch4:recv())
print("  then:", ch4:recv())
