-- 04_buffered.lua: buffered channels.
--
-- make(chan T) is unbuffered: every send waits for a receiver. make(chan T, n)
-- has a buffer of n places: a send blocks only when the buffer is full, and a
-- receive only when it is empty. len(ch) is how many values wait in the
-- buffer, cap(ch) its size.
--
-- In gochan: go.chan(n), ch:len() (or #ch) and ch:cap().
--
-- The Go program this mirrors:
--
--   func main() {
--       ch := make(chan int, 3)
--       ch <- 100                        // does not block: there is room
--       ch <- 200
--       fmt.Println(len(ch), cap(ch))    // 2 3
--       fmt.Println(<-ch, <-ch)          // 100 200: first in, first out
--
--       done := make(chan bool)
--       go func() {
--           for i := 1; i <= 5; i++ {
--               ch <- i                  // blocks while ch holds 3 values
--               fmt.Println("sent", i, "len", len(ch))
--           }
--           close(ch)
--           done <- true
--       }()
--       for v := range ch {
--           fmt.Println("received", v)
--           runtime.Gosched()            // a slow receiver
--       }
--       <-done
--   }

local go = require "gochan"

print("Part 1: sends do not block while there is room")
local ch = go.chan(3)                      -- make(chan int, 3)
print(("  new:           %-12s len=%d cap=%d")
  :format(tostring(ch), ch:len(), ch:cap()))
ch:send(100)                      -- returns at once: no receiver needed
ch:send(200)
print(("  after 2 sends: %-12s len=%d cap=%d (#ch=%d)")
  :format(tostring(ch), ch:len(), ch:cap(), #ch))
local a, b = ch:recv(), ch:recv()          -- first in, first out
print(("  received %d then %d; len is %d again"):format(a, b, #ch))

-- An unbuffered channel has cap 0 and len 0: a send from main would wait
-- forever for a receiver (that is example 07's deadlock).
local unbuffered = go.chan()               -- make(chan int)
print(("  unbuffered:    %-12s len=%d cap=%d")
  :format(tostring(unbuffered), #unbuffered, unbuffered:cap()))

print()
print("Part 2: the sender blocks when the buffer is full")
-- A quick sender puts 5 values into a buffer of 3; main receives slowly.
-- Watch the sender's log: the first 3 sends complete at once, then each
-- send completes only after main has taken a value out. (When main takes a
-- value while the sender is blocked, the sender's value moves into the freed
-- place at once, as in Go: that is why main still sees chan(3/3).)
local done = go.chan()
go(function()
  for i = 1, 5 do
    print(("  sender:   sending %d..."):format(i))
    ch:send(i)                             -- blocks while ch is full
    print(("  sender:   sent %d      %s"):format(i, tostring(ch)))
  end
  ch:close()
  print("  sender:   all sent, channel closed")
  done:send(true)
end)

-- Let the sender run first: it fills the buffer and blocks on the 4th send.
go.yield()
print(("  main:     the buffer is full: %s"):format(tostring(ch)))

for v in ch:range() do
  print(("  main:     received %d      %s"):format(v, tostring(ch)))
  go.yield()                               -- a slow receiver
end
done:recv()
print("  main:     done")
