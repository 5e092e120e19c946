-- 20_errors.lua: what gochan's error messages mean.
--
-- Go stops a program with a panic for the mistakes below, or with
-- "fatal error: all goroutines are asleep - deadlock!". gochan raises
-- ordinary Lua errors with Go's texts instead, so pcall can catch them and
-- a script can explain them, as this one does:
--
--   1. an error inside a goroutine: raised in main, prefixed
--      "goroutine N: ", with the goroutine's own traceback;
--   2. channel misuse: "send on closed channel", "close of closed channel";
--   3. sync misuse: "sync: negative WaitGroup counter", "sync: unlock of
--      unlocked mutex", and the RWMutex ones;
--   4. a deadlock report: one line per blocked goroutine, with the reason
--      it waits and the line where it waits;
--   5. blocking where a coroutine cannot yield (a table.sort comparator, a
--      string.gsub callback): it works, within limits.
--
-- The Go programs this mirrors (each one, alone, crashes):
--
--   go func() { panic("boom") }()              // 1: a goroutine panics
--
--   ch := make(chan int); close(ch); ch <- 1   // 2: panic: send on closed channel
--   close(ch)                                  //    panic: close of closed channel
--
--   var wg sync.WaitGroup; wg.Done()           // 3: panic: sync: negative WaitGroup counter
--   var mu sync.Mutex; mu.Unlock()             //    fatal error: sync: unlock of unlocked mutex
--
--   var mu sync.Mutex; mu.Lock()               // 4: fatal error: all goroutines are asleep
--   go func() { mu.Lock() }()
--   var wg sync.WaitGroup; wg.Add(1)
--   go func() { wg.Wait() }()
--   <-make(chan int)
--
-- File names and line numbers in the messages are this script's, as run
-- from the repository root (examples/20_errors.lua:NN).

local go = require "gochan"

-- Prints an error message, one "| " line per line of it.
local function show(err)
  for line in (tostring(err) .. "\n"):gmatch("(.-)\n") do
    print((("  | " .. line):gsub("%s+$", "")))
  end
end

print("1: an error in a goroutine is raised in main")
local function parse(s)
  return math.tointeger(tonumber(s)) or error("not a number: " .. s)
end
local numbers = go.chan()
go(function()
  for _, s in ipairs { "1", "2", "three" } do
    numbers:send(parse(s))
  end
end)
print("  got", numbers:recv())
print("  got", numbers:recv())
-- The goroutine fails on "three" while main waits here: main's recv raises
-- the goroutine's error instead of returning (and receives nothing).
local ok, err = pcall(function() return numbers:recv() end)
print("  third recv ok?", ok)
show(err)
-- An error that is not a string is converted with tostring.
go(function() error(setmetatable({}, { __tostring = function() return "E42" end })) end)
show(select(2, pcall(go.yield)))            -- go.yield in main raises it too

print()
print("2: channel misuse")
local ch = go.chan()
ch:close()
show(select(2, pcall(ch.send, ch, 1)))      -- pcall calls send: no file:line
show(select(2, pcall(function() ch:send(1) end)))
show(select(2, pcall(function() ch:close() end)))
-- A sender blocked on a channel that gets closed fails too: in a goroutine,
-- so main sees it as that goroutine's error.
local pipe = go.chan()
go(function() pipe:send("late") end)
go.yield()                                  -- it blocks in send
pipe:close()                                -- and fails there
show(select(2, pcall(go.sleep, go.millisecond)))  -- main's next wait raises it

print()
print("3: sync misuse")
local wg = go.waitgroup()
show(select(2, pcall(function() wg:done() end)))
local mu = go.mutex()
show(select(2, pcall(function() mu:unlock() end)))
local rw = go.rwmutex()
show(select(2, pcall(function() rw:runlock() end)))
show(select(2, pcall(function() rw:unlock() end)))

print()
print("4: a deadlock report")
do
  local lock = go.mutex()
  lock:lock()                               -- main holds it, and forgets it
  go(function() lock:lock() end)
  local group = go.waitgroup()
  group:add(1)                              -- one done() expected, none comes
  go(function() group:wait() end)
  local quiet = go.chan()
  go(function() go.select { go.recv(quiet), go.recv(go.chan()) } end)
  local _, report = pcall(function()
    go.chan():recv()                        -- main waits for nothing
  end)
  show(report)
end

print()
print("5: blocking where a coroutine cannot yield")
-- A string.gsub callback cannot yield, so each recv in it runs the
-- scheduler inline, the way the main chunk does. It works:
local digits = go.chan()
go(function() for i = 1, 3 do digits:send(i) end end)
print("  " .. ("xyz"):gsub(".", function(c) return c .. digits:recv() end))

-- The limit: an inline wait sits on top of the C stack. Here main waits
-- for `wake`; a goroutine then blocks inside a table.sort comparator, on
-- top of main's wait; a third goroutine wakes main and ends. Main could go
-- on, but it is below the comparator's wait, and nothing can ever wake the
-- comparator: that wait fails, and its goroutine's error reaches main.
local wake, gate = go.chan(), go.chan()
go(function()
  local t = { 3, 1, 2 }
  table.sort(t, function(a, b)
    gate:recv()                             -- blocks inline, above main
    return a < b
  end)
end)
go(function() wake:send("wake up") end)
print("  main got:", wake:recv())
show(select(2, pcall(go.yield)))
print("  keep blocking calls out of comparators and callbacks when you can")
