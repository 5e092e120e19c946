-- 14_parallel_primes.lua: parallelism with go.thread.
--
-- Concurrency is not parallelism (Rob Pike's talk of that name):
--
--   * concurrency is structure: several things in progress at once, each
--     waiting for the others at well-defined points (a channel, a lock);
--   * parallelism is execution: several things computed at the same instant,
--     on several CPU cores.
--
-- Go gives you both with one keyword: `go f()` starts a goroutine, and the
-- runtime spreads goroutines over GOMAXPROCS OS threads by itself.
--
-- gochan separates the two:
--
--   * go(f, ...) starts a coroutine goroutine in the caller's Lua state.
--     All of a state's goroutines take turns on ONE OS thread; they switch
--     only where one blocks or yields. That is concurrency, never
--     parallelism: two goroutines that compute without blocking run one
--     after the other, and take as long as one goroutine doing both jobs.
--   * go.thread(f, ...) starts f on a NEW OS thread with its own Lua state
--     (one Lua state can only ever run on one thread at a time). Threads run
--     in parallel on different cores. The price: nothing is shared by
--     accident. f is copied into the new state as bytecode, its upvalues and
--     arguments are copied, and th:join() copies f's results back. Channels
--     and sync objects are the exception: they are shared between threads.
--
-- The Go program this mirrors:
--
--   func count(lo, hi int) int {          // primes in [lo, hi)
--       n := 0
--       for i := lo; i < hi; i++ {
--           if isPrime(i) { n++ }
--       }
--       return n
--   }
--
--   func main() {
--       fmt.Println(count(2, N))          // one goroutine: all the work
--
--       var lo, hi int
--       var wg sync.WaitGroup
--       wg.Add(2)
--       go func() { defer wg.Done(); lo = count(2, M) }()
--       go func() { defer wg.Done(); hi = count(M, N) }()
--       wg.Wait()                         // Go runs both halves in parallel
--       fmt.Println(lo + hi)
--   }
--
-- How long the work takes depends on the machine, so every timing line
-- starts with "info:". The other lines (the counts) are the same on every
-- run, and the script checks them with assert.

local go = require "gochan"

local N = 1000000                           -- count the primes below N

-- isprime: trial division by the odd numbers up to sqrt(n). Deliberately
-- plain: the point is a job that keeps a CPU core busy for a while.
local function isprime(n)
  if n < 2 then return false end
  if n % 2 == 0 then return n == 2 end
  for d = 3, math.floor(math.sqrt(n)), 2 do
    if n % d == 0 then return false end
  end
  return true
end

-- count: the number of primes in [lo, hi).
local function count(lo, hi)
  local n = 0
  for i = lo, hi - 1 do
    if isprime(i) then n = n + 1 end
  end
  return n
end

-- Where to cut [2, N) into two halves. Not at N/2: the cost of a prime p is
-- about sqrt(p) divisions, so the upper numbers cost more. Integrating
-- sqrt(x) shows that the work up to x grows like x^1.5; the cut that gives
-- both halves the same work is N / 2^(2/3), about 0.63 * N.
local M = math.floor(N / 2 ^ (2 / 3))

-- A line with a timing: not deterministic, so marked "info:".
local function info(fmt, ...)
  print("info: " .. fmt:format(...))
end

print(("Counting the primes below %d"):format(N))
print()

print("Part 1: one goroutine (the main chunk) does all the work")
local t0 = go.now()
local total = count(2, N)
local t_one = go.now() - t0
print(("  primes below %d: %d"):format(N, total))
info("one thread: %.3f s", t_one)

print()
print("Part 2: two coroutine goroutines: concurrent, not parallel")
-- The same split, as two goroutines of this Lua state (on a tenth of the
-- range: only the order matters here). Neither ever blocks while it counts,
-- so the scheduler runs the first one to its end, then the second: the log
-- shows they never overlap, and together they take as long as one goroutine
-- doing both halves. go(...) never gives you a second CPU core.
local SMALL = N // 10
local CUT = math.floor(SMALL / 2 ^ (2 / 3))
local log = {}
local halves = go.chan(2)
local function half(name, lo, hi)
  log[#log + 1] = name .. " starts"
  local n = count(lo, hi)
  log[#log + 1] = name .. " ends"
  halves:send(n)
end
go(half, "lower", 2, CUT)
go(half, "upper", CUT, SMALL)
local a = halves:recv()                     -- main blocks: the goroutines run
local b = halves:recv()
print("  " .. table.concat(log, ", "))
print(("  primes below %d: %d + %d = %d"):format(SMALL, a, b, a + b))
assert(a + b == count(2, SMALL), "the two goroutines' counts do not add up")

print()
print("Part 3: two go.threads: parallel")
-- Each thread gets a copy of 'count' (as bytecode; its upvalue 'isprime' is
-- copied with it) and the bounds of its half. Both compute at the same time
-- on two cores; th:join() waits for a thread and returns its results.
t0 = go.now()
local lower = go.thread(count, 2, M)        -- go func() { lo = count(2, M) }()
local upper = go.thread(count, M, N)        -- go func() { hi = count(M, N) }()
local lo = lower:join()                     -- main blocks until that thread ends
local hi = upper:join()
local t_par = go.now() - t0
print(("  lower half [2, %d): %d, upper half [%d, %d): %d, sum %d")
  :format(M, lo, M, N, hi, lo + hi))
assert(lo + hi == total, "the threads' counts do not add up")
print("  the counts match the single-threaded count")
-- With two free cores this is close to 2x: each thread does half the work.
-- Less than 2x comes from starting the threads (a fresh Lua state each),
-- an imperfect cut, and other programs using the cores.
info("two go.threads: %.3f s, speed-up %.2fx", t_par, t_one / t_par)

print()
print("Part 4: what a thread sees is a copy")
-- Upvalues are copied, not shared: a thread that changes one changes its
-- own copy. To share state between threads, use a channel (or a WaitGroup,
-- a Mutex ...), which are shared, as 15_thread_pipeline.lua shows.
local calls = 0
local function counted(lo2, hi2)
  calls = calls + 1                         -- the thread's own 'calls'
  return count(lo2, hi2), calls
end
local n, thread_calls = go.thread(counted, 2, 100):join()
print(("  primes below 100: %d; the thread counted %d call, main still has calls = %d")
  :format(n, thread_calls, calls))
