-- 01_goroutines.lua: goroutines and the main goroutine.
--
-- In Go, `go f(x)` starts f(x) as a goroutine: a lightweight thread that runs
-- concurrently with the code that started it. The program's entry point runs
-- in a goroutine of its own, the *main goroutine*. When main returns, the
-- program ends, and every goroutine that has not finished yet is simply
-- abandoned: nobody waits for it.
--
-- gochan works the same way. `go(f, ...)` starts a goroutine (a coroutine
-- scheduled by gochan) and the main chunk of the script is the main goroutine.
-- A goroutine only gets to run when the running one lets go: it blocks on a
-- channel, or calls go.yield() (Go's runtime.Gosched()).
--
-- The Go program this mirrors:
--
--   func count(name string, n int) {
--       for i := 1; i <= n; i++ {
--           fmt.Println(name, i)
--           runtime.Gosched()
--       }
--       fmt.Println(name, "done")
--   }
--
--   func main() {
--       go count("A", 3)
--       go count("B", 3)
--       go count("C", 100) // will never finish
--       fmt.Println("goroutines:", runtime.NumGoroutine())
--       for i := 0; i < 4; i++ {
--           runtime.Gosched()
--       }
--       fmt.Println("main: done, leaving")
--   }  // C is abandoned here
--
-- (Go's real scheduler runs goroutines in parallel, so its output order may
-- vary; gochan's order is deterministic: a FIFO run queue on one OS thread.)

local go = require "gochan"

local function count(name, n)
  for i = 1, n do
    print(("  %s: %d (goroutine %d)"):format(name, i, go.id()))
    go.yield()          -- runtime.Gosched(): let the others run
  end
  print(("  %s: done"):format(name))
end

print(("main is goroutine %d"):format(go.id()))

-- go(f, ...) starts f(...) as a goroutine and returns its id.
-- go.go(f, ...) is the same thing, spelled out.
local a = go(count, "A", 3)
local b = go.go(count, "B", 3)
local c = go(count, "C", 100)   -- far too long: main will not wait for it
print(("started goroutines %d, %d and %d"):format(a, b, c))

-- Starting a goroutine does not run it: nothing has been printed by A, B or C
-- yet. Main is still the one running.
print(("goroutines alive (main included): %d"):format(go.numgoroutine()))

-- Each go.yield() puts main at the back of the run queue, so A, B and C each
-- run one step before main comes back.
for round = 1, 4 do
  print(("main: yield #%d"):format(round))
  go.yield()
end

-- A and B have finished; C is still counting.
print(("goroutines alive (main included): %d"):format(go.numgoroutine()))

-- The main chunk ends here. As in Go, C is abandoned: it never prints
-- "C: done". To wait for goroutines, use a channel (see the next examples)
-- or, later, a WaitGroup.
print("main: done, leaving (C is abandoned)")
