-- 22_select.lua: select with default, with a timeout, and in a loop.
--
-- select waits on several channel operations and runs the one that can
-- proceed (a random one if several can). With a default it never waits: if
-- no case is ready, the default runs. A case on time.After(d) turns a wait
-- into a wait with a timeout. And `for { select { ... } }` is how a
-- goroutine serves several channels until told to stop.
--
-- In gochan:
--
--   go.select {
--     go.recv(ch, function(v, ok) ... end),   -- case v, ok := <-ch:
--     go.send(ch, v, function() ... end),     -- case ch <- v:
--     default = function() ... end,           -- default:
--   }
--
-- select returns what the chosen handler returns; a case without handler
-- makes it return the case's index (0 for the default), then v, ok.
--
-- The Go program this mirrors:
--
--   func fibonacci(c chan<- int, quit <-chan bool) {
--       x, y := 0, 1
--       for {
--           select {
--           case c <- x:                  // the receiver took x
--               x, y = y, x+y
--           case <-quit:
--               fmt.Println("fibonacci: quit")
--               return
--           }
--       }
--   }
--
--   func main() {
--       messages := make(chan string, 1)
--       for i := 0; i < 2; i++ {          // 1: default: a receive that never waits
--           select {
--           case m := <-messages:
--               fmt.Println("received", m)
--           default:
--               fmt.Println("no message")
--           }
--           messages <- "hi"
--       }
--
--       result := make(chan string, 1)    // 2: a timeout
--       go func() { time.Sleep(200 * time.Millisecond); result <- "done" }()
--       select {
--       case r := <-result:
--           fmt.Println(r)
--       case <-time.After(50 * time.Millisecond):
--           fmt.Println("timeout after 50ms")
--       }
--
--       c := make(chan int)               // 3: select in a loop
--       quit := make(chan bool)
--       go func() {
--           for i := 0; i < 8; i++ {
--               fmt.Print(<-c, " ")
--           }
--           fmt.Println()
--           quit <- true
--       }()
--       fibonacci(c, quit)
--   }

local go = require "gochan"

local ms = go.millisecond

local function fibonacci(c, quit)
  local x, y = 0, 1
  while true do
    local stop = go.select {
      go.send(c, x, function()               -- case c <- x:
        x, y = y, x + y
      end),
      go.recv(quit, function()               -- case <-quit:
        print("fibonacci: quit")
        return true
      end),
    }
    if stop then return end
  end
end

local messages = go.chan(1)
for _ = 1, 2 do                              -- 1: default: a receive that never waits
  go.select {
    go.recv(messages, function(m) print("received " .. m) end),
    default = function() print("no message") end,
  }
  messages:send("hi")
end

local result = go.chan(1)                    -- 2: a timeout
go(function() go.sleep(200 * ms); result:send("done") end)
go.select {
  go.recv(result, function(r) print(r) end),
  go.recv(go.after(50 * ms), function() print("timeout after 50 ms") end),
}

local c = go.chan()                          -- 3: select in a loop
local quit = go.chan()
go(function()
  local got = {}
  for _ = 1, 8 do got[#got + 1] = c:recv() end
  print(table.concat(got, " "))
  quit:send(true)
end)
fibonacci(c, quit)
