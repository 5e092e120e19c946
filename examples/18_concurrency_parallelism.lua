-- 18_concurrency_parallelism.lua: concurrency vs parallelism, measured.
--
-- The course starts with three words:
--
--   * serial:      one task after the other;
--   * concurrent:  several tasks in progress during the same period, taking
--                  turns (one cook watching three pots);
--   * parallel:    several tasks executing at the same instant, on several
--                  CPU cores (three cooks).
--
-- Go's `go f()` gives both: goroutines take turns, and the runtime also
-- runs them on several cores at once. gochan separates the two:
--
--   * go(f, ...) starts a coroutine goroutine. All goroutines of a Lua state
--     take turns on one OS thread, switching only where one blocks (a
--     channel, a lock, a sleep) or yields. That is concurrency: it helps
--     when tasks WAIT (while one sleeps, the others run), never when they
--     COMPUTE.
--   * go.thread(f, ...) runs f on a new OS thread, in a Lua state of its
--     own: parallelism. It helps when tasks compute, if there are free cores.
--     Its function and arguments are copied into the new state, and
--     th:join() copies its results back.
--
-- The Go program this mirrors:
--
--   func main() {
--       // Part 1: waiting overlaps
--       start := time.Now()
--       var wg sync.WaitGroup
--       for i := 1; i <= 5; i++ {
--           wg.Add(1)
--           go func() { defer wg.Done(); time.Sleep(100 * time.Millisecond) }()
--       }
--       wg.Wait()
--       fmt.Println("5 sleeps took", time.Since(start))   // ~100ms, not 500ms
--
--       // Parts 2 and 3: computing overlaps only on several cores
--       var a, b int
--       wg.Add(2)
--       go func() { defer wg.Done(); a = count(2, M) }()
--       go func() { defer wg.Done(); b = count(M, N) }()
--       wg.Wait()
--       fmt.Println(a + b)
--   }
--
-- os.clock() is the CPU time of the whole process, all its threads added
-- up: CPU time divided by wall time is about 1 for goroutines (one core
-- busy) and up to 2 for two threads (two cores busy at once).
--
-- Timings depend on the machine (and on what else it runs), so every line
-- with a time starts with "info:". The other lines are the same on every
-- run. 14_parallel_primes.lua does the same on a bigger job.

local go = require "gochan"

local ms = go.millisecond

local function info(fmt, ...)
  print("info: " .. fmt:format(...))
end

print("Part 1: concurrency: goroutines that wait overlap their waits")
do
  local start = go.now()
  local wg = go.waitgroup()
  for _ = 1, 5 do
    wg:add(1)
    go(function()
      go.sleep(100 * ms)                    -- waiting costs no CPU
      wg:done()
    end)
  end
  wg:wait()
  local took = go.now() - start
  print("  5 goroutines slept 100 ms each, all on one OS thread")
  print(("  took at least 100 ms: %s, less than 5 x 100 ms: %s")
    :format(took >= 100 * ms, took < 500 * ms))
  info("5 concurrent sleeps of 100 ms took %.0f ms", took / ms)
end

-- The job: count the primes in [lo, hi) by trial division. It only
-- computes: it never blocks and never yields.
local function count(lo, hi)
  local n = 0
  for i = lo, hi - 1 do
    local prime = i > 1
    for d = 2, math.floor(math.sqrt(i)) do
      if i % d == 0 then prime = false; break end
    end
    if prime then n = n + 1 end
  end
  return n
end

local N = 200000
-- The cut that gives both halves about the same work (the cost of a number
-- grows like its square root; 14_parallel_primes.lua explains it).
local M = math.floor(N / 2 ^ (2 / 3))

print()
print(("Part 2: two coroutine goroutines computing: no faster (primes below %d)"):format(N))
local t0 = go.now()
local total = count(2, N)
local t_serial = go.now() - t0
print(("  serial, in main: %d primes"):format(total))
info("serial: %.3f s", t_serial)

do
  local log, results = {}, go.chan(2)
  local function half(name, lo, hi)
    log[#log + 1] = name .. " starts"
    local n = count(lo, hi)                 -- never blocks: keeps the thread
    log[#log + 1] = name .. " ends"
    results:send(n)
  end
  t0 = go.now()
  local c0 = os.clock()                     -- CPU time of the whole process
  go(half, "lower", 2, M)
  go(half, "upper", M, N)
  local a, b = results:recv(), results:recv()
  local t_co = go.now() - t0
  local cpu = os.clock() - c0
  print("  " .. table.concat(log, ", "))
  print(("  two goroutines: %d + %d = %d primes"):format(a, b, a + b))
  assert(a + b == total)
  info("two goroutines: %.3f s (%.2fx the serial time); CPU time / wall time: %.2f",
    t_co, t_co / t_serial, cpu / t_co)
end

print()
print("Part 3: two go.threads computing: parallel, on two cores")
do
  t0 = go.now()
  local c0 = os.clock()                     -- counts the CPU time of every thread
  local lower = go.thread(count, 2, M)      -- count is copied into each thread
  local upper = go.thread(count, M, N)
  local a, b = lower:join(), upper:join()   -- wait for each, get its result
  local t_th = go.now() - t0
  local cpu = os.clock() - c0
  print(("  two threads: %d + %d = %d primes"):format(a, b, a + b))
  assert(a + b == total)
  info("two go.threads: %.3f s, speed-up %.2fx over serial; CPU time / wall time: %.2f",
    t_th, t_serial / t_th, cpu / t_th)
end
