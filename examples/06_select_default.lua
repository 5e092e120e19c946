-- 06_select_default.lua: select over several channels.
--
-- Go's select waits on several channel operations at once:
--
--   * if one or more cases can proceed, one of them is chosen at random;
--   * otherwise, if there is a default, the default runs at once;
--   * otherwise select blocks until a case can proceed.
--
-- A case on a nil channel never proceeds; setting a channel variable to nil is
-- the Go way to switch a case off, for example once that channel is closed.
--
-- In gochan, go.select takes a table of cases:
--
--   go.select {
--     go.recv(ch, function(v, ok) ... end),   -- case v, ok := <-ch:
--     go.send(ch, value, function() ... end), -- case ch <- value:
--     default = function() ... end,           -- default:
--   }
--
-- Handlers are optional. With a handler, select returns what the handler
-- returns; without one it returns i, v, ok: the chosen case's index (0 for
-- default) and, for a receive, the value and ok.
--
-- The Go program this mirrors (parts 1 to 4 below):
--
--   select {                                   // 1: nothing is ready
--   case v := <-a:  fmt.Println("a", v)
--   case v := <-b:  fmt.Println("b", v)
--   default:        fmt.Println("nothing ready")
--   }
--
--   b <- "hello"                               // 2: exactly one is ready
--   select {
--   case v := <-a:  fmt.Println("a", v)
--   case v := <-b:  fmt.Println("b", v)
--   }
--
--   go func() { runtime.Gosched(); a <- 42 }() // 3: select blocks
--   select {
--   case v := <-a:  fmt.Println("a", v)
--   case out <- 1:  fmt.Println("sent")        //    (out is full)
--   }
--
--   for nums != nil || words != nil {          // 4: merge, nil switches off
--       select {
--       case n, ok := <-nums:
--           if !ok { nums = nil; continue }
--           ...
--       case w, ok := <-words:
--           if !ok { words = nil; continue }
--           ...
--       }
--   }

local go = require "gochan"

local a = go.chan(1)
local b = go.chan(1)

print("1: nothing is ready, so the default runs")
go.select {
  go.recv(a, function(v) print("  a:", v) end),
  go.recv(b, function(v) print("  b:", v) end),
  default = function() print("  nothing ready (default)") end,
}

-- Without handlers, select returns the index of the chosen case: 0 = default.
local i = go.select { go.recv(a), go.recv(b), default = true }
print("  without handlers: chosen case", i)

print("2: exactly one case is ready")
b:send("hello")
local got = go.select {
  go.recv(a, function(v) return "a gave " .. tostring(v) end),
  go.recv(b, function(v, ok) return ("b gave %s (ok=%s)"):format(v, ok) end),
}
print("  select returned the handler's result:", got)

b:send("again")
local idx, v, ok = go.select { go.recv(a), go.recv(b) }
print("  without handlers:", idx, v, ok)     -- 2  again  true

print("3: nothing is ready and there is no default, so select blocks")
local out = go.chan(1)
out:send("x")                                 -- out is full: a send case waits
go(function()
  print("  goroutine: sending 42 on a")
  a:send(42)
end)
go.select {
  go.recv(a, function(n) print("  main: select woke up with", n, "from a") end),
  go.send(out, 1, function() print("  main: sent on out") end),
}
-- out still holds "x": its case did not run.
print("  out is still " .. tostring(out))

-- When several cases are ready, the choice is random, so that no channel is
-- starved. Both a and b are ready 1000 times here:
local counts = { 0, 0 }
for _ = 1, 1000 do
  a:send("A")
  b:send("B")
  local k = go.select { go.recv(a), go.recv(b) }
  counts[k] = counts[k] + 1
  if k == 1 then b:recv() else a:recv() end   -- empty the other one
end
print(("  both ready 1000 times: a chosen sometimes: %s, b sometimes: %s")
  :format(counts[1] > 0, counts[2] > 0))

print("4: merging two channels; a closed one is switched off with nil")
local nums, words = go.chan(), go.chan()
go(function()
  for n = 1, 3 do nums:send(n) end
  nums:close()
end)
go(function()
  for _, w in ipairs { "one", "two", "three", "four" } do words:send(w) end
  words:close()
end)

-- Which channel is served first varies from run to run (random choice), so
-- collect what each one delivered and print that: each channel's own values
-- always arrive in order.
local from_nums, from_words, rounds = {}, {}, 0
while nums ~= nil or words ~= nil do
  rounds = rounds + 1
  go.select {
    go.recv(nums, function(n, more)          -- case n, ok := <-nums
      if not more then nums = nil; return end  -- closed: switch this case off
      from_nums[#from_nums + 1] = n
    end),
    go.recv(words, function(w, more)         -- case w, ok := <-words
      if not more then words = nil; return end
      from_words[#from_words + 1] = w
    end),
  }
end
print("  from nums: ", table.concat(from_nums, " "))
print("  from words:", table.concat(from_words, " "))
print(("  %d selects: 7 values and 2 closes; both channels are nil now")
  :format(rounds))

-- A select whose cases are all nil channels can never proceed; with a
-- default, the default runs.
go.select {
  go.recv(nums, function() print("  impossible") end),
  default = function() print("  only nil channels left: default") end,
}
