-- 08_waitgroup.lua: sync.WaitGroup, waiting for goroutines to finish.
--
-- When main ends, the goroutines that are still running are abandoned (see
-- 01_goroutines.lua). A sync.WaitGroup is how main waits for them. It is a
-- counter of goroutines still to finish:
--
--   * wg.Add(n)  adds n to the counter: "n more goroutines to wait for";
--   * wg.Done()  subtracts 1 (it is wg.Add(-1)): called by each goroutine
--                when it has finished its work;
--   * wg.Wait()  blocks until the counter is 0. main calls it, and stays
--                blocked while the goroutines run.
--
-- In gochan: local wg = go.waitgroup(), then wg:add(n), wg:done(), wg:wait().
--
-- The Go program this mirrors (the first lesson of the course):
--
--   var wg sync.WaitGroup
--
--   func fun1() {
--       for i := 1; i <= 5; i++ {
--           fmt.Println("fun1: i =", i)
--           runtime.Gosched()
--       }
--       wg.Done()
--   }
--
--   func fun2() {
--       defer wg.Done()          // runs when fun2 returns, however it returns
--       for j := 1; j <= 5; j++ {
--           fmt.Println("\tfun2: j =", j)
--           runtime.Gosched()
--       }
--   }
--
--   func main() {
--       wg.Add(2)                // two goroutines to wait for
--       go fun1()
--       go fun2()
--       fmt.Println("main: blocked in wg.Wait() until both are done")
--       wg.Wait()
--       fmt.Println("main: unblocked")
--   }
--
-- (Go runs fun1 and fun2 in parallel, so its lines interleave differently on
-- each run. gochan runs goroutines one at a time in FIFO order, switching at
-- each go.yield(), so the output here is the same on every run.)

local go = require "gochan"

local wg = go.waitgroup()                 -- var wg sync.WaitGroup

local function fun1()
  for i = 1, 5 do
    print("  fun1: i = " .. i)
    go.yield()                            -- runtime.Gosched()
  end
  wg:done()                               -- wg.Done()
end

-- Lua has no `defer`, but a to-be-closed variable does the same job: its
-- __close runs when the scope ends, also when the function raises an error.
-- (Without it, an error in the loop would skip wg:done() and main would wait
-- forever.)
local function defer(f)
  return setmetatable({}, { __close = f })
end

local function fun2()
  local _ <close> = defer(function() wg:done() end)   -- defer wg.Done()
  for j = 1, 5 do
    print("  \tfun2: j = " .. j)
    go.yield()
  end
end

print("Part 1: waiting for two workers")
wg:add(2)                                 -- wg.Add(2)
go(fun1)                                  -- go fun1()
go(fun2)                                  -- go fun2()
print("  main: blocked in wg:wait() until both are done")
wg:wait()                                 -- wg.Wait()
print("  main: unblocked, fun1 and fun2 have both called wg:done()")

print()
print("Part 2: one Add per goroutine, and collecting results")
-- A common shape: wg:add(1) just before each `go`, so the count can never
-- fall behind the number of goroutines started. Each worker writes into its
-- own slot of a table; once wg:wait() returns, main may read them all.
local squares = {}
for n = 1, 4 do
  wg:add(1)
  go(function()
    local _ <close> = defer(function() wg:done() end)
    go.yield()                            -- pretend to work
    squares[n] = n * n
  end)
end
wg:wait()
print("  squares: " .. table.concat(squares, " "))

-- Wait on a counter that is already 0 returns at once.
wg:wait()
print("  wg:wait() with nothing to wait for returned at once")

print()
print("Part 3: misuse")
-- More Done() calls than Add(): Go panics, gochan raises an error.
local ok, err = pcall(function() wg:done() end)
print("  one done too many -> " .. tostring(ok) .. ", " .. err:gsub("^.-:%d+: ", ""))

-- Add(n) larger than the number of goroutines that call Done(): Wait()
-- can never return. Nothing else can run, so it is a deadlock, reported with
-- the line of the wg:wait() and what it waits on.
ok, err = pcall(function()
  wg:add(3)
  for _ = 1, 2 do
    go(function() wg:done() end)          -- only two of the three
  end
  wg:wait()
end)
print("  add(3) but two done -> " .. tostring(ok) .. ":")
for line in err:gmatch("[^\n]+") do
  print("  | " .. line)
end
