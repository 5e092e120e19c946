-- 19_channel_basics.lua: a channel: make, send, receive, v, ok.
--
-- "Do not communicate by sharing memory; share memory by communicating."
-- A channel is a pipe between goroutines: one goroutine sends a value into
-- it, another receives the value from it.
--
--   ch := make(chan int)   // make a channel (unbuffered)
--   ch <- 100              // send: blocks until a receiver takes it
--   data := <-ch           // receive: blocks until a sender gives one
--   data, ok := <-ch       // ok is false once ch is closed and drained
--
-- On an unbuffered channel, send and receive meet: whichever comes first
-- waits for the other. That is why a channel also synchronizes goroutines:
-- when `ch <- 100` returns, the receiver has the value.
--
-- A channel is a reference value: passed to a function or a goroutine, or
-- returned from one, it is the same channel. A table sent on a channel is
-- the same table when it is received (like a pointer in Go).
--
-- In gochan: go.chan(), ch:send(v), local v, ok = ch:recv(), ch:close().
--
-- The Go program this mirrors:
--
--   func main() {
--       ch1 := make(chan int)
--       done := make(chan bool)
--       go func() {
--           fmt.Println("child: waiting for data")
--           data := <-ch1                    // blocks until main sends
--           fmt.Println("child: got", data)
--           done <- true
--       }()
--       fmt.Println("main: sending 100")
--       ch1 <- 100                           // blocks until the child takes it
--       fmt.Println("main: 100 was taken")
--       <-done                               // wait for the child to finish
--       fmt.Println("main: the child is done")
--
--       ch2 := make(chan string)
--       go func() {
--           ch2 <- "hello"
--           close(ch2)                       // no more values
--       }()
--       v, ok := <-ch2
--       fmt.Printf("%q %v\n", v, ok)         // "hello" true
--       v, ok = <-ch2
--       fmt.Printf("%q %v\n", v, ok)         // "" false: closed
--   }

local go = require "gochan"

print("Part 1: send and receive meet")
local ch1 = go.chan()                       -- ch1 := make(chan int)
local done = go.chan()                      -- done := make(chan bool)
go(function()
  print("  child: waiting for data")
  local data = ch1:recv()                   -- data := <-ch1
  print("  child: got", data)
  done:send(true)                           -- done <- true
end)
print("  main: sending 100")
ch1:send(100)                               -- ch1 <- 100: main waits here
print("  main: 100 was taken")
done:recv()                                 -- <-done
print("  main: the child is done")

print()
print("Part 2: v, ok")
local ch2 = go.chan()
go(function()
  ch2:send("hello")
  ch2:close()                               -- close(ch2): no more values
end)
local v, ok = ch2:recv()                    -- v, ok := <-ch2
print(("  %q %s"):format(v, ok))            -- "hello" true
v, ok = ch2:recv()
print(("  %s %s   (closed: Lua has no zero value, so v is nil)"):format(v, ok))

print()
print("Part 3: a channel is a reference; values are passed as they are")
-- A function that makes a channel, starts a goroutine that sends on it,
-- and returns it: the caller receives from the very same channel.
local function stream_of(words)
  local out = go.chan()
  go(function()
    for _, w in ipairs(words) do out:send(w) end
    out:close()
  end)
  return out
end
local words = stream_of { "share", "memory", "by", "communicating" }
local got = {}
for w in words:range() do got[#got + 1] = w end
print("  " .. table.concat(got, " "))

-- Within one Lua state nothing is copied: the receiver gets the same table.
local box = go.chan(1)
local order = { item = "book", qty = 1 }
box:send(order)
local received = box:recv()
received.qty = 2
print(("  same table: %s; the sender sees qty = %d"):format(received == order, order.qty))

-- A channel carries any Lua value, nil included (ok tells nil from closed).
box:send(nil)
print("  a nil value:", box:recv())         -- nil  true
