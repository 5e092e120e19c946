--- bench/run.lua: gochan's benchmarks against floors measured in the same run.
--
--   lua5.4 bench/run.lua            (or `make bench`, which also builds the
--                                    C floors bench/*.c into build/bench/)
--
-- Environment:
--   BENCH_RUNS=k     measured runs per side and row (default 5; at least 1),
--                    after one unmeasured warm-up run per side; the 1-second
--                    rows (t2, x5) run at most 2 times, without warm-up
--   BENCH_QUICK=1    smoke mode: small N everywhere
--   BENCH_ONLY=a,b   only these benches: pingpong, stream, select, spawn, mem,
--                    t1 t2 t3 t4 t5 (sync and time), x1 x2 x3 x5 (threads);
--                    groups: local (the first five), time (t1-t5), threads
--                    (x1-x5), x4 (= pingpong,stream: the local channel rows
--                    the thread work must not slow down)
--   BENCH_GC=mode    "incremental" or "generational" for both sides (default:
--                    Lua's default, incremental)
--   BENCH_N_<KEY>=n  override N of one bench (e.g. BENCH_N_PINGPONG=200000,
--                    BENCH_N_X1=50000)
--   BENCH_MD=path    where the markdown copy goes (default bench/results.md;
--                    "-" for none)
--   BENCH_MD_APPEND=1  add the table to that file under a "## gochan against
--                    floors" heading instead of replacing it (`make bench`:
--                    after bench/peers.lua's B1-B9 table)
--   BENCH_ISOLATE=0  run the Lua sides in this process (default: every
--                    sample in a fresh process)
--   GOCHAN_BENCHBIN  where the C floors are (default build/bench, as
--                    `make bench` sets it)
--
-- A bench has sides (gochan, and one or more floors: Lua code, or a C
-- program of bench/*.c) and table lines; each line compares one value of
-- the gochan side with the same value of one floor (or shows gochan alone).
-- The sides of a bench run alternately (floors, gochan, floors, gochan ...)
-- so that drift hits all of them, with a full collection before each
-- measured region. By default each Lua sample is its own process
-- (`run.lua --child KEY SIDE N WARM`: a warm-up run of WARM items, then the
-- measured run), so that no side runs on a heap another one fragmented; a C
-- floor is its own process anyway (it warms up by itself).
--
-- Clocks: single-threaded benches are timed with os.clock() (process CPU
-- time, which tracks wall time there), with go.now() wall time beside it.
-- Benches with OS threads are timed with go.now() (os.clock adds up the CPU
-- of every thread), with process CPU beside it. The CPU rows (T2, X5)
-- measure os.clock() itself: CPU burnt while everything waits.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. dir .. "/../lua/?.lua;" .. dir .. "/../lua/?/init.lua;" .. package.path
package.cpath = dir .. "/../build/?.so;" .. package.cpath

local lib = require "lib"
local go = require "gochan"

local QUICK = os.getenv("BENCH_QUICK") == "1"
local RUNS = math.tointeger(tonumber(os.getenv("BENCH_RUNS") or "")) or 5
if RUNS < 1 then RUNS = 1 end
local GCMODE = os.getenv("BENCH_GC")
if GCMODE then collectgarbage(GCMODE) end
local wall = lib.wallclock(go)
local ISOLATE = os.getenv("BENCH_ISOLATE") ~= "0"
local BENCHBIN = os.getenv("GOCHAN_BENCHBIN") or (dir .. "/../build/bench")

local GROUPS = {
  ["local"] = { "pingpong", "stream", "select", "spawn", "mem" },
  time = { "t1", "t2", "t3", "t4", "t5" },
  threads = { "x1", "x2", "x3", "pingpong", "stream", "x5" },
  x4 = { "pingpong", "stream" },
}
local ONLY
if os.getenv("BENCH_ONLY") and os.getenv("BENCH_ONLY") ~= "" then
  ONLY = {}
  for w in os.getenv("BENCH_ONLY"):lower():gmatch("[^,%s]+") do
    if GROUPS[w] then
      for _, k in ipairs(GROUPS[w]) do ONLY[k] = true end
    else
      ONLY[w] = true
    end
  end
end

local function N (key, full, quick)
  local v = math.tointeger(tonumber(os.getenv("BENCH_N_" .. key:upper()) or ""))
  return v or (QUICK and quick or full)
end

-- a side's check failed: its lines are reported WRONG with this message
local fail = lib.fail

-- After main's blocking call returns, a goroutine it woke may still be
-- runnable (API: "goroutines made runnable meanwhile run when main blocks
-- again"): let them finish (untimed), then every goroutine must be gone.
local function check_goroutines ()
  go.yield()
  local n = go.numgoroutine()
  if n ~= 1 then fail("numgoroutine() is %d after the run, want 1", n) end
end

local check_sum = lib.check_sum


--[[ Values of a line, from one sample: a table {cpu =, wall =, n =, ...}
with the clocks (seconds, totals of the measured region), the sample's N
and what its check returned. ]]

-- per_op(metric, scale): metric per item, times scale (1e9: ns)
local function per_op (metric, scale)
  return function (s) return s[metric] and s[metric] * scale / s.n end
end

-- per_run(metric, scale): the metric of the run itself, times scale
local function per_run (metric, scale)
  return function (s) return s[metric] and s[metric] * scale end
end

-- rate(metric, div): items per second of metric, divided by div (1e6: M/s)
local function rate (metric, div)
  return function (s) return s[metric] and s.n / s[metric] / div end
end


--[[ Benches. A Lua side is prepare(n) -> body, check: prepare and check
are not timed; body is the measured region; check raises through fail()
when the result is wrong, and may return more values for the sample. A C
side names a program of bench/*.c, run as `prog ARGS... N`, which prints
"wall=<s> cpu=<s> n=<N>" or "wrong=<why>". ]]

local benches = {}
local function bench (b)
  benches[#benches + 1] = b
  return b
end

-- the usual shape of the single-threaded rows: gochan against one floor,
-- CPU time per item, wall time beside it
local function cpu_line (name, unit, scale, floor_title, targets)
  return { name = name, unit = unit, g = "gochan", f = "floor", floor_title = floor_title,
           value = per_op("cpu", scale), other = per_op("wall", scale), other_label = "wall",
           targets = targets }
end

-- 1. unbuffered ping-pong: one round trip = 2 goroutine switches
bench {
  key = "pingpong",
  n = N("pingpong", 1000000, 100000),
  sides = {
    { name = "floor", lua = lib.floors.pingpong },
    { name = "gochan", lua = function (n)
      local ch1, ch2, done = go.chan(), go.chan(), go.chan()
      local bad = 0
      local function a ()
        for i = 1, n do
          ch1:send(i)
          ch2:recv()
        end
        done:send(true)
      end
      local function b ()
        for i = 1, n do
          local v = ch1:recv()
          if v ~= i then bad = bad + 1 end
          ch2:send(v)
        end
      end
      local got
      return function ()
        go(a)
        go(b)
        got = done:recv()
      end, function ()
        if got ~= true then fail("done:recv() gave %s", tostring(got)) end
        if bad ~= 0 then fail("%d values out of order", bad) end
        check_goroutines()
      end
    end },
  },
  lines = {
    cpu_line("ping-pong, unbuffered", "ns/round trip", 1e9, "2 coroutine resume/yield pairs",
             { { max = 1.0, ratio = true, text = "<= 1.0x floor" } }),
  },
}

-- the plain Lua table queue (lib.lua): a ring of 128 slots, filled then
-- drained in batches of 128
local tablequeue = lib.floors.tablequeue

-- 2. buffered stream
bench {
  key = "stream",
  n = N("stream", 5000000, 500000),
  sides = {
    { name = "floor", lua = tablequeue },
    { name = "gochan", lua = function (n)
      local ch, done = go.chan(128), go.chan()
      local function producer ()
        for i = 1, n do ch:send(i) end
        ch:close()
      end
      local function consumer ()
        local s = 0
        while true do
          local v, ok = ch:recv()
          if not ok then break end
          s = s + v
        end
        done:send(s)
      end
      local sum
      return function ()
        go(producer)
        go(consumer)
        sum = done:recv()
      end, function ()
        check_sum("sum", sum, n)
        check_goroutines()
      end
    end },
  },
  lines = {
    cpu_line("buffered stream, cap 128", "ns/item", 1e9, "Lua table ring queue, batches of 128",
             { { max = 2.5, ratio = true, text = "<= 2.5x floor" } }),
  },
}

-- 3. select over two buffered channels, two producers
bench {
  key = "select",
  n = N("select", 2000000, 200000),
  sides = {
    { name = "floor", lua = tablequeue },
    { name = "gochan", lua = function (n)
      local c1, c2, done = go.chan(128), go.chan(128), go.chan()
      local half = n // 2
      local function producer (ch, from, to)
        for i = from, to do ch:send(i) end
      end
      local from1, from2 = 0, 0
      local function consumer ()
        local cases = { go.recv(c1), go.recv(c2) }  -- cases are reusable
        local select = go.select
        local s = 0
        for _ = 1, n do
          local i, v = select(cases)
          if i == 1 then from1 = from1 + 1 else from2 = from2 + 1 end
          s = s + v
        end
        done:send(s)
      end
      local sum
      return function ()
        go(producer, c1, 1, half)
        go(producer, c2, half + 1, n)
        go(consumer)
        sum = done:recv()
      end, function ()
        check_sum("sum", sum, n)
        if from1 ~= half or from2 ~= n - half then
          fail("got %d from c1 and %d from c2, want %d and %d", from1, from2, half, n - half)
        end
        check_goroutines()
      end
    end },
  },
  lines = {
    cpu_line("select, 2 buffered chans", "ns/item", 1e9, "Lua table ring queue (as stream)"),
  },
}

-- coroutine.create + resume to the end: the floor of starting a goroutine
local coroutine_spawn = lib.floors.spawn

-- 4. spawn-and-wait
bench {
  key = "spawn",
  n = N("spawn", 100000, 20000),
  sides = {
    { name = "floor", lua = coroutine_spawn },
    { name = "gochan", lua = function (n)
      local ch = go.chan(n)
      local function sender (c, i) c:send(i) end
      local sum
      return function ()
        for i = 1, n do go(sender, ch, i) end
        local s = 0
        for _ = 1, n do s = s + ch:recv() end
        sum = s
      end, function ()
        check_sum("sum", sum, n)
        if ch:len() ~= 0 then fail("%d values left in the channel", ch:len()) end
        check_goroutines()
      end
    end },
  },
  lines = {
    cpu_line("spawn + 1 send each", "µs/goroutine", 1e6, "coroutine.create + resume to the end"),
  },
}


--[[ Sync and time ]]

-- T1: N goroutines each sleep a random 0-0.1 s; lateness = wake - deadline
local T1_MAX = 0.1
bench {
  key = "t1",
  n = N("t1", 100000, 10000),
  sides = {
    { name = "gochan", lua = function (n)
      local now, sleep = go.now, go.sleep
      local wg = go.waitgroup()
      local ds, late = {}, {}
      math.randomseed(20261128)
      local maxd = 0
      for i = 1, n do
        local d = math.random() * T1_MAX
        ds[i] = d
        if d > maxd then maxd = d end
        late[i] = false  -- preallocated: the run appends nothing
      end
      local function sleeper (i)
        local d = ds[i]
        local deadline = now() + d  -- go.sleep's own deadline is a little later
        sleep(d)
        late[i] = now() - deadline
        wg:done()
      end
      return function ()
        wg:add(n)
        for i = 1, n do go(sleeper, i) end
        wg:wait()
      end, function ()
        local early, missing = 0, 0
        for i = 1, n do
          if late[i] == false then missing = missing + 1
          elseif late[i] < 0 then early = early + 1 end
        end
        if missing > 0 then fail("%d goroutines never woke", missing) end
        if early > 0 then fail("%d goroutines woke before their deadline", early) end
        check_goroutines()
        table.sort(late)
        return { latmed = late[n // 2 + 1], latp99 = late[math.ceil(n * 0.99)],
                 latmax = late[n], maxsleep = maxd }
      end
    end },
  },
  lines = {
    { name = "T1 sleep 0-0.1 s each: total", unit = "ms wall", g = "gochan",
      value = per_run("wall", 1e3), other = per_run("cpu", 1e3), other_label = "cpu",
      f = "gochan", fvalue = per_run("maxsleep", 1e3),
      floor_title = "the longest sleep requested (the ideal total)" },
    { name = "T1 lateness, median", unit = "ms", g = "gochan", value = per_run("latmed", 1e3),
      targets = { { max = 1, strict = true, text = "< 1 ms" } } },
    { name = "T1 lateness, p99", unit = "ms", g = "gochan", value = per_run("latp99", 1e3),
      targets = { { max = 5, strict = true, text = "< 5 ms" } } },
  },
  notes = function (res)
    local s = res.samples.gochan
    local m = {}
    for i, x in ipairs(s) do m[i] = x.latmax end
    local _, med = lib.stats(m)
    return med and { ("T1 lateness, max: median over runs %s ms"):format(lib.fmt(med * 1e3)) }
  end,
}

-- T2 and X5: CPU burnt while everything waits on a timer. N = ms of sleep;
-- the value is ms of CPU per second slept.
local function cpu_per_second (s) return s.cpu and s.cpu * 1e3 / (s.n / 1e3) end

bench {
  key = "t2",
  n = N("t2", 1000, 200),
  runs = 2, warmup = 0,
  sides = {
    { name = "gochan", lua = function (n)
      local d = n / 1e3
      return function ()
        go.sleep(d)
      end, function (sample)
        if sample.wall and sample.wall < d then fail("slept %.6f s, want >= %g", sample.wall, d) end
        check_goroutines()
      end
    end },
  },
  lines = {
    { name = "T2 go.sleep(1 s) in main: CPU", unit = "ms CPU/s slept", g = "gochan",
      value = cpu_per_second, other = per_run("wall", 1e3), other_label = "ms wall",
      targets = { { max = 10, strict = true, text = "< 10 ms" } } },
  },
}

-- T3: uncontended lock/unlock against two cheap C calls
bench {
  key = "t3",
  n = N("t3", 3000000, 300000),
  sides = {
    { name = "floor", lua = function (n)
      local rawequal, t = rawequal, {}
      local bad = 0
      return function ()
        for _ = 1, n do
          if not rawequal(t, t) then bad = bad + 1 end
          if not rawequal(t, t) then bad = bad + 1 end
        end
      end, function ()
        if bad ~= 0 then fail("rawequal failed %d times", bad) end
      end
    end },
    { name = "gochan", lua = function (n)
      local mu = go.mutex()
      local bad = 0
      return function ()
        for _ = 1, n do
          if not mu:lock() then bad = bad + 1 end
          mu:unlock()
        end
      end, function ()
        if bad ~= 0 then fail("lock() returned no guard %d times", bad) end
        if not mu:try_lock() then fail("mutex left locked") end
        mu:unlock()
      end
    end },
    { name = "locals", lua = function (n)
      local mu = go.mutex()
      local lock, unlock = mu.lock, mu.unlock
      local bad = 0
      return function ()
        for _ = 1, n do
          if not lock(mu) then bad = bad + 1 end
          unlock(mu)
        end
      end, function ()
        if bad ~= 0 then fail("lock() returned no guard %d times", bad) end
        if not mu:try_lock() then fail("mutex left locked") end
        mu:unlock()
      end
    end },
  },
  lines = {
    cpu_line("T3 mutex lock+unlock, uncontended", "ns/pair", 1e9,
             "2 calls of the C function rawequal(t, t) (base library; a test of each result as well)",
             { { max = 2, ratio = true, text = "<= 2x floor" } }),
    { name = "T3 same, lock/unlock in locals", unit = "ns/pair", g = "locals", f = "floor",
      floor_title = "as T3", value = per_op("cpu", 1e9), other = per_op("wall", 1e9),
      other_label = "wall" },
  },
}

-- two_workers(n, loop): the measured body of T4's sides: loop(m) in 2
-- goroutines, n/2 iterations each, waited for
local function two_workers (n, loop)
  local wg = go.waitgroup()
  local function worker (m)
    loop(m)
    wg:done()
  end
  return function ()
    wg:add(2)
    go(worker, n // 2)
    go(worker, n - n // 2)
    wg:wait()
  end
end

-- T4: two goroutines contend for a mutex and yield inside it
bench {
  key = "t4",
  n = N("t4", 400000, 40000),
  sides = {
    { name = "floor", lua = function (n)
      local loops, shared = 0, 0
      return two_workers(n, function (m)
        for _ = 1, m do
          local v = shared
          go.yield()
          shared = v + 1
          loops = loops + 1
        end
      end), function ()
        if loops ~= n then fail("floor ran %d loops, want %d", loops, n) end
        check_goroutines()
      end
    end },
    { name = "gochan", lua = function (n)
      local mu = go.mutex()
      local counter = 0
      return two_workers(n, function (m)
        for _ = 1, m do
          mu:lock()
          local v = counter
          go.yield()  -- the other goroutine runs and blocks in lock()
          counter = v + 1
          mu:unlock()
        end
      end), function ()
        if counter ~= n then fail("counter %d, want %d: mutual exclusion broken", counter, n) end
        check_goroutines()
      end
    end },
  },
  lines = {
    cpu_line("T4 mutex, 2 goroutines, yield inside", "ns/pair", 1e9,
             "the same 2 goroutines and go.yield() without the mutex"),
  },
}

-- T5: WaitGroup spawn-and-wait
bench {
  key = "t5",
  n = N("t5", 100000, 20000),
  sides = {
    { name = "floor", lua = coroutine_spawn },
    { name = "gochan", lua = function (n)
      local wg = go.waitgroup()
      local count = 0
      local function worker ()
        count = count + 1
        wg:done()
      end
      return function ()
        wg:add(n)
        for _ = 1, n do go(worker) end
        wg:wait()
      end, function ()
        if count ~= n then fail("%d goroutines ran, want %d", count, n) end
        check_goroutines()
      end
    end },
  },
  lines = {
    cpu_line("T5 WaitGroup spawn+wait", "µs/goroutine", 1e6, "coroutine.create + resume to the end",
             { { max = 1, text = "<= 1 µs" } }),
  },
}


--[[ OS threads: wall time (go.now); process CPU beside it ]]

local function wall_line (name, unit, scale, f, floor_title, targets)
  return { name = name, unit = unit, g = "gochan", f = f, floor_title = floor_title,
           value = per_op("wall", scale), other = per_op("cpu", scale), other_label = "cpu",
           targets = targets }
end

-- X1: main <-> one go.thread, unbuffered ping-pong
local function pong (a, b, n)  -- runs in the thread: no upvalues
  for _ = 1, n do
    local v = a:recv()
    b:send(v + 1)
  end
  return n
end

local x1n = N("x1", 200000, 20000)
bench {
  key = "x1",
  n = x1n,
  warmup = 0.1,
  sides = {
    { name = "spin", c = "floor_pingpong", args = { "spin" } },
    { name = "condvar", c = "floor_pingpong", args = { "condvar" }, n = math.max(1000, x1n // 10) },
    { name = "gochan", lua = function (n)
      local a, b = go.chan(), go.chan()
      local th = go.thread(pong, a, b, n + 1)
      a:send(0)  -- the thread runs and both channels are shared
      if b:recv() ~= 1 then fail("bad first answer") end
      local bad = 0
      return function ()
        for i = 1, n do
          a:send(i)
          if b:recv() ~= i + 1 then bad = bad + 1 end
        end
      end, function ()
        if bad ~= 0 then fail("%d answers out of order", bad) end
        local m = th:join()
        if m ~= n + 1 then fail("thread served %s round trips, want %d", tostring(m), n + 1) end
        check_goroutines()
      end
    end },
  },
  lines = {
    wall_line("X1 thread ping-pong, unbuffered", "ns/round trip", 1e9, "spin",
              "C spin-then-futex hand-off, 2 threads (bench/floor_pingpong.c spin: "
                .. "spins up to 50 µs, as gochan's scheduler)",
              { { max = 2000, text = "<= 2 µs" }, { max = 10, ratio = true, text = "<= 10x floor" } }),
    wall_line("X1 same, vs condvar floor", "ns/round trip", 1e9, "condvar",
              "C pthread mutex + condvar hand-off, 2 threads (bench/floor_pingpong.c condvar)"),
  },
}

-- X2: a go.thread streams integers to main through a channel of 128
local function produce (ch, start, n)  -- runs in the thread: no upvalues
  start:recv()
  for i = 1, n do ch:send(i) end
  ch:close()
  return n
end

bench {
  key = "x2",
  n = N("x2", 1000000, 100000),
  warmup = 0.1,
  sides = {
    { name = "ring", c = "floor_ring", args = {} },
    { name = "gochan", lua = function (n)
      local ch, start = go.chan(128), go.chan()
      local th = go.thread(produce, ch, start, n)
      local sum
      return function ()
        start:send(true)
        local s = 0
        while true do
          local v, ok = ch:recv()
          if not ok then break end
          s = s + v
        end
        sum = s
      end, function ()
        check_sum("sum", sum, n)
        local m = th:join()
        if m ~= n then fail("thread sent %s, want %d", tostring(m), n) end
        check_goroutines()
      end
    end },
  },
  lines = {
    { name = "X2 thread stream, cap 128", unit = "M items/s", g = "gochan", f = "ring", rate = true,
      floor_title = "C ring of 128 under a pthread mutex + 2 condvars, producer thread -> "
        .. "consumer thread (bench/floor_ring.c)",
      value = rate("wall", 1e6), other = per_op("cpu", 1e9), other_label = "cpu ns/item",
      targets = { { min = 3, text = ">= 3 M/s" }, { min = 0.25, ratio = true, text = ">= 25% floor" } } },
  },
}

-- X3: go.thread(function () end):join()
local function empty () end

bench {
  key = "x3",
  n = N("x3", 500, 50),
  warmup = 0.1,
  sides = {
    { name = "lua", c = "floor_thread", args = { "lua" } },
    { name = "require", c = "floor_thread", args = { "require" }, luapath = true },
    { name = "bare", c = "floor_thread", args = { "bare" } },
    { name = "gochan", lua = function (n)
      local count = 0
      return function ()
        for _ = 1, n do
          go.thread(empty):join()
          count = count + 1
        end
      end, function ()
        if count ~= n then fail("%d joins, want %d", count, n) end
        check_goroutines()
      end
    end },
  },
  lines = {
    wall_line("X3 go.thread spawn+join", "µs/thread", 1e6, "lua",
              "C pthread_create + join, the thread making and closing a Lua state with the "
                .. "standard libraries (bench/floor_thread.c lua)",
              { { max = 500, text = "<= 500 µs" } }),
    wall_line("X3 same, vs Lua state + require", "µs/thread", 1e6, "require",
              "as the floor above, the thread also running require \"gochan\" (same package.path "
                .. "and cpath; core.so kept loaded by the main thread) (bench/floor_thread.c require)"),
    wall_line("X3 same, vs bare pthread", "µs/thread", 1e6, "bare",
              "C pthread_create + join of an empty thread (bench/floor_thread.c bare)"),
  },
}

-- X5: main sleeps on a timer while a thread waits on a channel and a timer
local function waitboth (ch, ready)  -- runs in the thread; 'go' is its own
  ready:send(true)
  return go.select { go.recv(ch), go.recv(go.after(3600)) }
end

bench {
  key = "x5",
  n = N("x5", 1000, 200),
  runs = 2, warmup = 0,
  sides = {
    { name = "gochan", lua = function (n)
      local ch, ready = go.chan(), go.chan()
      local th = go.thread(waitboth, ch, ready)
      ready:recv()  -- the thread is about to block in its select
      local d = n / 1e3
      return function ()
        go.sleep(d)
      end, function (sample)
        if sample.wall and sample.wall < d then fail("slept %.6f s, want >= %g", sample.wall, d) end
        ch:send(7)
        local i, v = th:join()
        if i ~= 1 or v ~= 7 then fail("thread's select gave %s, %s", tostring(i), tostring(v)) end
        check_goroutines()
      end
    end },
  },
  lines = {
    { name = "X5 1 s timer wait, thread alive: CPU", unit = "ms CPU/s slept", g = "gochan",
      value = cpu_per_second, other = per_run("wall", 1e3), other_label = "ms wall",
      targets = { { max = 20, strict = true, text = "< 20 ms" } } },
  },
}


--[[ Running ]]

local function bench_of (key)
  for _, b in ipairs(benches) do if b.key == key then return b end end
  return nil
end

local function side_of (b, name)
  for _, s in ipairs(b.sides) do if s.name == name then return s end end
  return nil
end

-- run_side(prepare, n) -> sample: one measured run of a Lua side
local function run_side (prepare, n)
  local body, check = prepare(n)
  local cpu, w = lib.timed(body, wall)
  local sample = { cpu = cpu, wall = w, n = n }
  local extra = check(sample)
  if extra then for k, v in pairs(extra) do sample[k] = v end end
  return sample
end

-- warmup_n(b, n): items of the unmeasured run before a measured one
local function warmup_n (b, n)
  local f = b.warmup or 1
  if f <= 0 then return 0 end
  return math.max(1, math.floor(n * f))
end

-- the sample line a child prints (lib.kv_line), and its parser
local function decode_sample (out, what)
  local s, wrong = lib.parse_kv(out)
  if wrong then error({ wrong = what .. ": " .. wrong }, 0) end
  if not s then error(("%s failed: %s"):format(what, out), 0) end
  return s
end

local function popen_read (cmd)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  p:close()
  return out
end

-- sample(b, side) -> sample table: one run of one side, in its own process
-- for C floors and (by default) Lua sides, else in this process
local function sample (b, side)
  local n = side.n or b.n
  if side.c then
    local prog = BENCHBIN .. "/" .. side.c
    local f = io.open(prog)
    if not f then error(("%s not built (run `make bench`)"):format(prog), 0) end
    f:close()
    local args = {}
    for i, a in ipairs(side.args or {}) do args[i] = lib.shquote(a) end
    local cmd = ("%s %s %d"):format(lib.shquote(prog), table.concat(args, " "), n)
    if side.luapath then  -- the module path go.thread passes to its states
      cmd = ("LUA_PATH=%s LUA_CPATH=%s %s"):format(lib.shquote(package.path),
        lib.shquote(package.cpath), cmd)
    end
    local s = decode_sample(popen_read(cmd), side.name)
    s.n = s.n or n
    return s
  end
  if not ISOLATE then return run_side(side.lua, n) end
  local cmd = ("%s %s --child %s %s %d %d"):format(lib.shquote(lib.interpreter()),
    lib.shquote(arg[0]), b.key, side.name, n, warmup_n(b, n))
  local s = decode_sample(popen_read(cmd), side.name)
  s.n = n
  return s
end

-- measure(b) -> res: samples of every side; a side that failed is in res.bad
local function measure (b)
  local res = { bench = b, samples = {}, bad = {} }
  for _, s in ipairs(b.sides) do res.samples[s.name] = {} end
  local runs = math.min(RUNS, b.runs or RUNS)
  if not ISOLATE then  -- one warm-up per Lua side, in this process
    for _, s in ipairs(b.sides) do
      local w = warmup_n(b, s.n or b.n)
      if s.lua and w > 0 then
        local ok, err = pcall(run_side, s.lua, w)
        if not ok then res.bad[s.name] = err end
      end
    end
  end
  for _ = 1, runs do
    for _, s in ipairs(b.sides) do
      if not res.bad[s.name] then
        local ok, smp = pcall(sample, b, s)
        if ok then table.insert(res.samples[s.name], smp)
        else res.bad[s.name] = smp end
      end
      collectgarbage("collect")
    end
  end
  return res
end

-- child_main(key, side, n, warm): the child process of sample()
local function child_main (key, sidename, n, warm)
  local b = bench_of(key)
  local side = b and side_of(b, sidename)
  assert(side and side.lua and n, "bad --child arguments")
  local ok, err = pcall(function ()
    if warm and warm > 0 then run_side(side.lua, warm) end  -- heap and caches as in a long run
    io.write(lib.kv_line(run_side(side.lua, n)), "\n")
  end)
  if not ok then
    if type(err) == "table" and err.wrong then io.write("wrong=", err.wrong, "\n")
    else io.write("error=", tostring(err), "\n") end
    return 1
  end
  return 0
end

-- the memory row: each sample is its own process
local function mem_sample (mode, n)
  local cmd = ("%s %s %s %d"):format(lib.shquote(lib.interpreter()),
    lib.shquote(dir .. "/mem_child.lua"), mode, n)
  local out = popen_read(cmd)
  local heap = tonumber(out:match("heap_kb=(%S+)"))
  local rss = tonumber(out:match("rss_kb=(%S+)"))
  local okf = out:match("ok=(%d)")
  if not heap or not rss then error("memory child failed: " .. out, 0) end
  if okf ~= "1" then error({ wrong = "memory child: " .. (out:match("note=(%S+)") or out) }, 0) end
  if rss < 0 then rss = nil end
  return heap, rss, tonumber(out:match("heap_after_release_kb=(%S+)"))
end

-- measure_mem(n) -> two line results (Lua heap, VmRSS)
local function measure_mem (n)
  local function lr (name)
    return { name = name, n = n, unit = "KB/goroutine",
             targets = { { max = 1.5, text = "<= 1.5 KB" } },
             floor_title = "suspended plain coroutine", gv = {}, fv = {}, notes = {} }
  end
  local heap, rss = lr("blocked goroutine, Lua heap"), lr("blocked goroutine, VmRSS")
  local released = {}
  local ok, err = pcall(function ()
    for r = 1, RUNS do
      heap.fv[r], rss.fv[r] = mem_sample("coroutine", n)
      heap.gv[r], rss.gv[r], released[r] = mem_sample("gochan", n)
    end
  end)
  if not ok then
    for _, res in ipairs { heap, rss } do
      if type(err) == "table" and err.wrong then res.wrong = err.wrong
      else res.err = tostring(err) end
    end
  end
  if #rss.gv < #heap.gv or #rss.fv < #heap.fv then rss.err = rss.err or "no VmRSS" end
  local _, relmed = lib.stats(released)
  if relmed then
    heap.notes[1] = ("after close: %s KB/goroutine left on the heap"):format(lib.fmt(relmed))
  end
  return heap, rss
end


--[[ Report ]]

local function values (fn, samples)
  local v = {}
  for _, s in ipairs(samples or {}) do
    local x = fn(s)
    if x then v[#v + 1] = x end
  end
  return v
end

-- line_result(res, line) -> the values of one table line
local function line_result (res, line)
  local b = res.bench
  local gside = side_of(b, line.g)
  local lr = { name = line.name, n = gside.n or b.n, unit = line.unit, rate = line.rate,
               targets = line.targets, floor_title = line.floor_title, notes = {} }
  lr.gv = values(line.value, res.samples[line.g])
  if line.other then lr.ogv = values(line.other, res.samples[line.g]) end
  lr.other_label = line.other_label
  local bads = { res.bad[line.g] }
  if line.f then
    lr.fv = values(line.fvalue or line.value, res.samples[line.f])
    if line.other and line.f ~= line.g then lr.ofv = values(line.other, res.samples[line.f]) end
    if line.f ~= line.g then bads[#bads + 1] = res.bad[line.f] end
    local fside = side_of(b, line.f)
    if fside.n and fside.n ~= lr.n then
      lr.notes[#lr.notes + 1] = ("floor N = %d"):format(fside.n)
    end
  end
  for _, e in ipairs(bads) do
    if type(e) == "table" and e.wrong then lr.wrong = e.wrong
    elseif e ~= nil and not lr.wrong then lr.err = tostring(e) end
  end
  return lr
end

local function best_med (v, israte)
  local mn, med, mx = lib.stats(v)
  return israte and mx or mn, med
end

local function row_cells (lr)
  local cells = { lr.name, ("%d"):format(lr.n), lr.unit }
  local ttext = {}
  for i, t in ipairs(lr.targets or {}) do ttext[i] = t.text end
  local gbest, gmed = best_med(lr.gv, lr.rate)
  local fbest, fmed
  if lr.fv then fbest, fmed = best_med(lr.fv, lr.rate) end
  cells[4] = gmed and (lib.fmt(gbest) .. " / " .. lib.fmt(gmed)) or "-"
  cells[5] = fmed and (lib.fmt(fbest) .. " / " .. lib.fmt(fmed)) or "-"
  local rmed, rbest
  if gmed and fmed then
    rmed, rbest = gmed / fmed, gbest / fbest
    cells[6] = ("%.2fx / %.2fx"):format(rmed, rbest)
  else
    cells[6] = "-"
  end
  cells[7] = #ttext > 0 and table.concat(ttext, "; ") or "-"
  if lr.wrong then cells[8] = "WRONG"
  elseif lr.err then cells[8] = "ERROR"
  elseif #ttext == 0 then cells[8] = "-"
  else
    local st = {}
    for i, t in ipairs(lr.targets) do
      local v = t.ratio and rmed or gmed
      if v == nil then st[i] = "?"
      else
        local pass
        if t.max then pass = t.strict and v < t.max or (not t.strict and v <= t.max)
        else pass = t.strict and v > t.min or (not t.strict and v >= t.min) end
        st[i] = pass and "ok" or "MISS"
      end
    end
    cells[8] = table.concat(st, "; ")
  end
  local _, og = lib.stats(lr.ogv or {})
  local _, of = lib.stats(lr.ofv or {})
  if og then
    cells[9] = lib.fmt(og) .. (of and (" / " .. lib.fmt(of)) or "") .. " " .. lr.other_label
  else
    cells[9] = "-"
  end
  return cells
end

-- previous(mdpath, names) -> { [row name] = median cell }, commit, date:
-- what the last committed bench/results.md said (git HEAD), or else the
-- file at mdpath, for the X4 regression note
local function previous (mdpath, names)
  local text
  local p = io.popen("git -C " .. lib.shquote(dir) .. " show HEAD:./results.md 2>/dev/null")
  if p then
    text = p:read("a")
    p:close()
  end
  if not text or text == "" then
    local f = mdpath ~= "-" and io.open(mdpath)
    if not f then return nil end
    text = f:read("a")
    f:close()
  end
  local got = {}
  for line in text:gmatch("[^\n]+") do
    local cells = {}
    for c in line:gmatch("|%s*([^|]-)%s*%f[|]") do cells[#cells + 1] = c end
    if names[cells[1]] and cells[4] then
      got[cells[1]] = tonumber(cells[4]:match("/%s*(%S+)"))
    end
  end
  return got, text:match("commit: (%S+)"), text:match("date: (%d+%-%d+%-%d+)")
end

local function main ()
  local mdpath = os.getenv("BENCH_MD") or (dir .. "/results.md")
  local prevnames = { ["ping-pong, unbuffered"] = true, ["buffered stream, cap 128"] = true }
  local prev, prevcommit, prevdate = previous(mdpath, prevnames)

  local results = {}
  local load0 = lib.sh("cat /proc/loadavg")
  local now = wall or os.time  -- children do the work: not os.clock
  local t0 = now()
  io.stderr:write(("gochan bench: %d runs per side%s%s\n"):format(RUNS,
    QUICK and ", quick mode" or "", wall and "" or ", CPU time (os.clock)"))
  if ONLY then
    for k in pairs(ONLY) do
      if k ~= "mem" and not bench_of(k) then
        io.stderr:write(("bench: BENCH_ONLY: no bench %q (ignored)\n"):format(k))
      end
    end
  end
  local notes = {}
  for _, b in ipairs(benches) do
    if not ONLY or ONLY[b.key] then
      io.stderr:write(("  %-10s N=%d ...\n"):format(b.key, b.n))
      local res = measure(b)
      for _, line in ipairs(b.lines) do results[#results + 1] = line_result(res, line) end
      if b.notes and not next(res.bad) then
        for _, l in ipairs(b.notes(res) or {}) do notes[#notes + 1] = l end
      end
    end
  end
  if not ONLY or ONLY.mem then
    local n = N("mem", 100000, 20000)
    io.stderr:write(("  %-10s N=%d ...\n"):format("mem", n))
    local heap, rss = measure_mem(n)
    results[#results + 1] = heap
    results[#results + 1] = rss
  end
  local elapsed = now() - t0

  local header = { "benchmark", "N", "unit", "gochan best / med", "floor best / med",
                   "ratio med / best", "target", "status", "other clock, med gochan / floor" }
  local right = { false, true, false, true, true, true, false, false, true }
  local tab = {}
  for i, lr in ipairs(results) do
    tab[i] = row_cells(lr)
    if lr.floor_title then notes[#notes + 1] = ("%s: floor = %s."):format(lr.name, lr.floor_title) end
    for _, x in ipairs(lr.notes or {}) do notes[#notes + 1] = lr.name .. ": " .. x .. "." end
    if lr.wrong then notes[#notes + 1] = lr.name .. ": WRONG: " .. lr.wrong end
    if lr.err then notes[#notes + 1] = lr.name .. ": ERROR: " .. lr.err end
    if prev and prev[lr.name] then
      local _, med = lib.stats(lr.gv)
      if med then
        notes[#notes + 1] = ("X4 regression check, %s: gochan median %s %s; committed results.md%s: %s (%+.0f%%)")
          :format(lr.name, lib.fmt(med), lr.unit,
                  prevcommit and (" (commit " .. prevcommit .. (prevdate and (", " .. prevdate) or "") .. ")") or "",
                  lib.fmt(prev[lr.name]), (med / prev[lr.name] - 1) * 100)
      end
    end
  end

  local lv = lib.sh(lib.shquote(lib.interpreter()) .. " -v") or _VERSION
  local facts = {
    ("date: %s"):format(os.date("%Y-%m-%d %H:%M:%S %z")),
    ("machine: %s, nproc %s; load average (runnable/threads) before/after: %s / %s; nice %s"):format(
      lib.cpu_model() or "?", lib.sh("nproc") or "?",
      (load0 or "?"):match("^(%S+ %S+ %S+ %S+)") or "?",
      (lib.sh("cat /proc/loadavg") or "?"):match("^(%S+ %S+ %S+ %S+)") or "?",
      lib.nice() or "?"),
    ("lua: %s; %s"):format(lv, go._VERSION or "gochan ?"),
    ("commit: %s%s"):format(lib.sh("git -C " .. lib.shquote(dir) .. " rev-parse --short HEAD") or "?",
      (lib.sh("git -C " .. lib.shquote(dir) .. " status --porcelain -- ../csrc ../lua") or "") ~= ""
        and " (csrc/lua modified)" or ""),
    ("runs: %d per side (best and median of them; the 1-second rows T2, X5: at most 2), %s%s"):format(RUNS,
      ISOLATE and "each Lua sample in a fresh process after 1 warm-up run in it (threads: 1/10 of N)"
              or "Lua sides all in one process after 1 warm-up per side",
      QUICK and "; QUICK mode (small N)" or ""),
    ("clock: %s; GC: %s, full collect before each measured region"):format(
      wall and "os.clock (process CPU) for single-threaded rows, go.now (wall) for thread rows; "
             .. "the last column shows the other one"
           or "os.clock = process CPU time (no go.now)",
      GCMODE or "default (incremental)"),
    "best = fastest run (least time, most items/s); ratio = gochan / floor, median over median and"
      .. " best over best; targets are checked on the median (of the ratio, or of the gochan value)",
  }

  local append = os.getenv("BENCH_MD_APPEND") == "1"
  lib.publish {
    md = mdpath, append = append, who = "bench",
    heading = (append and "\n## gochan against floors\n\n" or "# gochan benchmarks\n\n")
      .. "Written by `bench/run.lua` (`make bench`).\n\n",
    header = header, rows = tab, right = right, facts = facts, notes = notes,
  }
  io.stderr:write(("bench: %.1f s\n"):format(elapsed))

  for _, lr in ipairs(results) do
    if lr.err or lr.wrong then return 1 end
  end
  return 0
end

if arg[1] == "--child" then
  os.exit(child_main(arg[2], arg[3], math.tointeger(tonumber(arg[4])),
                     math.tointeger(tonumber(arg[5] or "")) or 0))
end
os.exit(main())
