-- 05_directional.lua: directional (one-way) channels.
--
-- A Go channel made with make(chan T) can be used both ways. As a function
-- parameter it can be narrowed to one direction:
--
--   chan<- T   send-only: the function may only send (and close)
--   <-chan T   receive-only: the function may only receive
--
-- The narrowing documents the function's role, and the compiler rejects the
-- wrong use. Lua has no compiler checks, so gochan checks at run time: a view
-- made with ch:send_only() or ch:recv_only() is the same channel (it is == to
-- it), but using it the wrong way raises an error.
--
-- The Go program this mirrors:
--
--   func producer(out chan<- string) {   // may only send
--       for _, w := range []string{"alpha", "beta", "gamma"} {
--           out <- w
--       }
--       close(out)
--   }
--
--   func consumer(in <-chan string, done chan<- int) {   // may only receive
--       n := 0
--       for w := range in {
--           fmt.Println("consumer got", w)
--           n++
--       }
--       done <- n
--   }
--
--   func main() {
--       ch := make(chan string)
--       done := make(chan int)
--       go producer(ch)          // chan string converts to chan<- string
--       go consumer(ch, done)    // ... and to <-chan string
--       fmt.Println("consumed", <-done)
--
--       // These do not compile in Go:
--       //   var r <-chan string = ch;  r <- "x"    // send to receive-only
--       //   var s chan<- string = ch;  <-s         // receive from send-only
--       //   close(r)                               // close of receive-only
--   }

local go = require "gochan"

local function producer(out)              -- out is chan<- string
  for _, w in ipairs { "alpha", "beta", "gamma" } do
    out:send(w)
  end
  out:close()                             -- a sender may close
end

local function consumer(input, done)      -- input is <-chan string
  local n = 0
  for w in input:range() do
    print("  consumer got", w)
    n = n + 1
  end
  done:send(n)
end

local ch = go.chan()
local done = go.chan()
go(producer, ch:send_only())
go(consumer, ch:recv_only(), done:send_only())
print("  consumed", done:recv(), "words")

print()
print("Views are the same channel:")
local c = go.chan(4)
local s, r = c:send_only(), c:recv_only()
print("  " .. tostring(c), tostring(s), tostring(r))    -- chan  chan<-  <-chan
print("  s == c:", s == c, " r == c:", r == c, " s == r:", s == r)
s:send("through the send-only view")
print("  received through the receive-only view:", r:recv())

print()
print("Using a view the wrong way is an error:")
local function try(what, f, ...)
  local ok, err = pcall(f, ...)
  print(("  %-28s -> %s"):format(what, ok and "ok" or err))
end
try("r:send(1)", r.send, r, 1)
try("s:recv()", s.recv, s)
try("s:range()", s.range, s)
try("r:close()", r.close, r)
try("r:send_only()", r.send_only, r)
try("s:recv_only()", s.recv_only, s)
-- In a select, too, even when a default could run instead.
try("select recv on a send-only", go.select, {
  go.recv(s),
  default = true,
})
try("select send on a recv-only", go.select, {
  go.send(r, 1),
  default = true,
})
