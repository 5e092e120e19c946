--- bench/run.lua: gochan's benchmarks against floors measured in the same run.
--
--   lua5.4 bench/run.lua            (or `make bench`)
--
-- Environment:
--   BENCH_RUNS=k     measured runs per side and row (default 5; at least 1),
--                    after one unmeasured warm-up run per side
--   BENCH_QUICK=1    smoke mode: small N everywhere
--   BENCH_ONLY=a,b   only these rows (pingpong, stream, select, spawn, mem)
--   BENCH_GC=mode    "incremental" or "generational" for both sides (default:
--                    Lua's default, incremental)
--   BENCH_N_<ROW>=n  override N of one row (e.g. BENCH_N_PINGPONG=200000)
--   BENCH_MD=path    where the markdown copy goes (default bench/results.md;
--                    "-" for none)
--   BENCH_ISOLATE=0  run the timed rows in this process (default: every
--                    sample in a fresh process)
--
-- Every timed row runs the gochan side and its floor alternately (floor,
-- gochan, floor, gochan ...) so that drift hits both, with a full collection
-- before each measured region. By default each sample is its own process
-- (`run.lua --child ROW SIDE N`: one warm-up run, then the measured run), so
-- that neither side runs on a heap the other fragmented: the spawn row's
-- floor, all malloc, moved by 30% with the heap gochan's runs left. Times are os.clock() (process CPU time: every
-- benchmark is single-threaded, so it tracks wall time); a wall clock is
-- added when the library has go.now.
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
local ONLY
if os.getenv("BENCH_ONLY") and os.getenv("BENCH_ONLY") ~= "" then
  ONLY = {}
  for w in os.getenv("BENCH_ONLY"):gmatch("[^,%s]+") do ONLY[w] = true end
end
local wall = lib.wallclock(go)
local ISOLATE = os.getenv("BENCH_ISOLATE") ~= "0"

local function N (row, full, quick)
  local v = math.tointeger(tonumber(os.getenv("BENCH_N_" .. row:upper()) or ""))
  return v or (QUICK and quick or full)
end

local create, resume, yield = coroutine.create, coroutine.resume, coroutine.yield

-- a row's check failed: the row is reported WRONG with this message
local function fail (fmt, ...)
  error({ wrong = fmt:format(...) }, 0)
end

-- After main's blocking call returns, a goroutine it woke may still be
-- runnable (API: "goroutines made runnable meanwhile run when main blocks
-- again"): let them finish (untimed), then every goroutine must be gone.
local function check_goroutines ()
  go.yield()
  local n = go.numgoroutine()
  if n ~= 1 then fail("numgoroutine() is %d after the run, want 1", n) end
end


--[[ Rows. Each side is prepare(n) -> body, check: prepare and check are not
timed; body is the measured region. ]]

local rows = {}

-- 1. unbuffered ping-pong: one round trip = 2 goroutine switches
rows[#rows + 1] = {
  key = "pingpong",
  name = "ping-pong, unbuffered",
  n = N("pingpong", 1000000, 100000),
  unit = "ns/round trip", scale = 1e9,
  target = 1.0, target_text = "<= 1.0x floor",
  floor_name = "2 coroutine resume/yield pairs",
  gochan = function (n)
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
  end,
  floor = function (n)
    local co = create(function () while true do yield() end end)
    local m = 2 * n
    return function ()
      for _ = 1, m do resume(co) end
    end, function () end
  end,
}

-- the plain Lua table queue: a ring of 128 slots, filled then drained in
-- batches of 128 (what a buffered channel does between two switches)
local function tablequeue (n)
  local cap = 128
  local t = {}
  for i = 1, cap do t[i] = true end
  for i = 1, cap do t[i] = nil end
  local sum
  return function ()
    local head, tail, s, i = 1, 1, 0, 0
    while i < n do
      local m = n - i
      if m > cap then m = cap end
      for _ = 1, m do  -- push
        i = i + 1
        t[tail] = i
        tail = tail + 1
        if tail > cap then tail = 1 end
      end
      for _ = 1, m do  -- pop
        local v = t[head]
        t[head] = nil
        head = head + 1
        if head > cap then head = 1 end
        s = s + v
      end
    end
    sum = s
  end, function ()
    if sum ~= n * (n + 1) // 2 then fail("floor sum %s, want %d", tostring(sum), n * (n + 1) // 2) end
  end
end

-- 2. buffered stream
rows[#rows + 1] = {
  key = "stream",
  name = "buffered stream, cap 128",
  n = N("stream", 5000000, 500000),
  unit = "ns/item", scale = 1e9,
  target = 2.5, target_text = "<= 2.5x floor",
  floor_name = "Lua table ring queue, batches of 128",
  gochan = function (n)
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
      if sum ~= n * (n + 1) // 2 then fail("sum %s, want %d", tostring(sum), n * (n + 1) // 2) end
      check_goroutines()
    end
  end,
  floor = tablequeue,
}

-- 3. select over two buffered channels, two producers
rows[#rows + 1] = {
  key = "select",
  name = "select, 2 buffered chans",
  n = N("select", 2000000, 200000),
  unit = "ns/item", scale = 1e9,
  target = nil, target_text = "-",
  floor_name = "Lua table ring queue (as stream)",
  gochan = function (n)
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
      if sum ~= n * (n + 1) // 2 then fail("sum %s, want %d", tostring(sum), n * (n + 1) // 2) end
      if from1 ~= half or from2 ~= n - half then
        fail("got %d from c1 and %d from c2, want %d and %d", from1, from2, half, n - half)
      end
      check_goroutines()
    end
  end,
  floor = tablequeue,
}

-- 4. spawn-and-wait
rows[#rows + 1] = {
  key = "spawn",
  name = "spawn + 1 send each",
  n = N("spawn", 100000, 20000),
  unit = "µs/goroutine", scale = 1e6,
  target = nil, target_text = "-",
  floor_name = "coroutine.create + resume to the end",
  gochan = function (n)
    local ch = go.chan(n)
    local function sender (c, i) c:send(i) end
    local sum
    return function ()
      for i = 1, n do go(sender, ch, i) end
      local s = 0
      for _ = 1, n do s = s + ch:recv() end
      sum = s
    end, function ()
      if sum ~= n * (n + 1) // 2 then fail("sum %s, want %d", tostring(sum), n * (n + 1) // 2) end
      if ch:len() ~= 0 then fail("%d values left in the channel", ch:len()) end
      check_goroutines()
    end
  end,
  floor = function (n)
    local t = {}
    local function sender (q, i) q[i] = i end
    local sum
    return function ()
      for i = 1, n do resume(create(sender), t, i) end
      local s = 0
      for i = 1, n do s = s + t[i]; t[i] = nil end
      sum = s
    end, function ()
      if sum ~= n * (n + 1) // 2 then fail("floor sum %s", tostring(sum)) end
    end
  end,
}


--[[ Running ]]

local function run_side (side, n)
  local body, check = side(n)
  local cpu, w = lib.timed(body, wall)
  check()
  return cpu, w
end

-- measure_inproc(row): both sides in this process (BENCH_ISOLATE=0)
local function measure_inproc (row, res)
  run_side(row.floor, row.n)   -- warm-up, not counted
  run_side(row.gochan, row.n)
  for r = 1, RUNS do
    res.f[r], res.fw[r] = run_side(row.floor, row.n)
    res.g[r], res.gw[r] = run_side(row.gochan, row.n)
  end
end

-- child_sample(row, side) -> cpu, wall: one fresh process runs a warm-up
-- and one measured run of one side (see child_main)
local function child_sample (row, side)
  local cmd = ("%s %s --child %s %s %d"):format(lib.shquote(lib.interpreter()),
    lib.shquote(arg[0]), row.key, side, row.n)
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  p:close()
  local wrong = out:match("^wrong=(.-)\n?$")
  if wrong then error({ wrong = side .. ": " .. wrong }, 0) end
  local cpu = tonumber(out:match("^cpu=(%S+)"))
  if not cpu then error(("%s child failed: %s"):format(side, out), 0) end
  return cpu, tonumber(out:match("wall=(%S+)"))
end

-- measure_isolated(row): each sample is a fresh process, floor and gochan
-- alternately, so that neither side runs on the heap the other left
local function measure_isolated (row, res)
  for r = 1, RUNS do
    res.f[r], res.fw[r] = child_sample(row, "floor")
    res.g[r], res.gw[r] = child_sample(row, "gochan")
  end
end

-- measure(row) -> result table (samples of both sides, or an error)
local function measure (row)
  local res = { row = row, g = {}, f = {}, gw = {}, fw = {} }
  local ok, err = pcall(ISOLATE and measure_isolated or measure_inproc, row, res)
  if not ok then
    if type(err) == "table" and err.wrong then res.wrong = err.wrong
    else res.err = tostring(err) end
  end
  collectgarbage("collect")
  return res
end

-- child_main(key, side, n): the child process of measure_isolated
local function child_main (key, side, n)
  local row
  for _, r in ipairs(rows) do if r.key == key then row = r end end
  assert(row and (side == "floor" or side == "gochan") and n, "bad --child arguments")
  local ok, err = pcall(function ()
    run_side(row[side], n)  -- warm-up: the heap and caches as in a long run
    local cpu, w = run_side(row[side], n)
    io.write(("cpu=%.9f wall=%s\n"):format(cpu, w and ("%.9f"):format(w) or "-"))
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
  local p = assert(io.popen(cmd .. " 2>&1"))
  local out = p:read("a")
  p:close()
  local heap = tonumber(out:match("heap_kb=(%S+)"))
  local rss = tonumber(out:match("rss_kb=(%S+)"))
  local okf = out:match("ok=(%d)")
  if not heap or not rss then error("memory child failed: " .. out, 0) end
  if okf ~= "1" then error({ wrong = "memory child: " .. (out:match("note=(%S+)") or out) }, 0) end
  if rss < 0 then rss = nil end
  return heap, rss, tonumber(out:match("heap_after_release_kb=(%S+)"))
end

local function measure_mem (n)
  local heap = { row = { name = "blocked goroutine, Lua heap", n = n, unit = "KB/goroutine",
                         target = 1.5, absolute = true, target_text = "<= 1.5 KB",
                         floor_name = "suspended plain coroutine" },
                 g = {}, f = {} }
  local rss = { row = { name = "blocked goroutine, VmRSS", n = n, unit = "KB/goroutine",
                        target = 1.5, absolute = true, target_text = "<= 1.5 KB",
                        floor_name = "suspended plain coroutine" },
                g = {}, f = {} }
  local released = {}
  local ok, err = pcall(function ()
    for r = 1, RUNS do
      heap.f[r], rss.f[r] = mem_sample("coroutine", n)
      heap.g[r], rss.g[r], released[r] = mem_sample("gochan", n)
    end
  end)
  if not ok then
    for _, res in ipairs { heap, rss } do
      if type(err) == "table" and err.wrong then res.wrong = err.wrong
      else res.err = tostring(err) end
    end
  end
  if #rss.g < #heap.g or #rss.f < #heap.f then rss.err = rss.err or "no VmRSS" end
  local _, relmed = lib.stats(released)
  heap.extra = relmed and ("after close: %s KB/goroutine left on the heap"):format(lib.fmt(relmed))
  return heap, rss
end


--[[ Report ]]

local function row_cells (res)
  local row = res.row
  local cells = { row.name, lib.fmt(row.n), row.unit }
  if res.err or res.wrong then
    cells[4], cells[5], cells[6] = "-", "-", "-"
    cells[7] = row.target_text
    cells[8] = res.wrong and "WRONG" or "ERROR"
    return cells
  end
  local scale = row.absolute and 1 or (row.scale / row.n)
  local gmin, gmed = lib.stats(res.g)
  local fmin, fmed = lib.stats(res.f)
  gmin, gmed, fmin, fmed = gmin * scale, gmed * scale, fmin * scale, fmed * scale
  local rmed, rmin = gmed / fmed, gmin / fmin
  cells[4] = lib.fmt(gmin) .. " / " .. lib.fmt(gmed)
  cells[5] = lib.fmt(fmin) .. " / " .. lib.fmt(fmed)
  cells[6] = ("%.2fx / %.2fx"):format(rmed, rmin)
  cells[7] = row.target_text
  if row.target == nil then cells[8] = "-"
  else
    local v = row.absolute and gmed or rmed
    cells[8] = v <= row.target and "ok" or "MISS"
  end
  if wall and res.gw and #res.gw > 0 then
    local _, gw = lib.stats(res.gw)
    local _, fw = lib.stats(res.fw)
    cells[9] = lib.fmt(gw * scale) .. " / " .. lib.fmt(fw * scale)
  end
  return cells
end

local function main ()
  local results = {}
  local load0 = lib.sh("cat /proc/loadavg")
  local now = wall or os.time  -- children do the work: not os.clock
  local t0 = now()
  io.stderr:write(("gochan bench: %d runs per side%s%s\n"):format(RUNS,
    QUICK and ", quick mode" or "", wall and "" or ", CPU time (os.clock)"))
  for _, row in ipairs(rows) do
    if not ONLY or ONLY[row.key] then
      io.stderr:write(("  %-28s N=%d ...\n"):format(row.name, row.n))
      results[#results + 1] = measure(row)
    end
  end
  if not ONLY or ONLY.mem then
    local n = N("mem", 100000, 20000)
    io.stderr:write(("  %-28s N=%d ...\n"):format("blocked goroutine memory", n))
    local heap, rss = measure_mem(n)
    results[#results + 1] = heap
    results[#results + 1] = rss
  end
  local elapsed = now() - t0

  local header = { "benchmark", "N", "unit", "gochan min / med", "floor min / med",
                   "ratio med / min", "target", "status" }
  local right = { false, true, false, true, true, true, false, false }
  if wall then
    header[9] = "wall med gochan / floor"
    right[9] = true
  end
  local tab = {}
  local notes = {}
  for i, res in ipairs(results) do
    tab[i] = row_cells(res)
    if wall and not tab[i][9] then tab[i][9] = "-" end
    notes[#notes + 1] = ("%s: floor = %s."):format(res.row.name, res.row.floor_name)
    if res.extra then notes[#notes + 1] = res.row.name .. ": " .. res.extra .. "." end
    if res.wrong then notes[#notes + 1] = res.row.name .. ": WRONG: " .. res.wrong end
    if res.err then notes[#notes + 1] = res.row.name .. ": ERROR: " .. res.err end
  end

  local lv = lib.sh(lib.shquote(lib.interpreter()) .. " -v") or _VERSION
  local facts = {
    ("date: %s"):format(os.date("%Y-%m-%d %H:%M:%S %z")),
    ("machine: %s, nproc %s; load average before/after: %s / %s"):format(
      lib.cpu_model() or "?", lib.sh("nproc") or "?",
      (load0 or "?"):match("^(%S+ %S+ %S+)") or "?",
      (lib.sh("cat /proc/loadavg") or "?"):match("^(%S+ %S+ %S+)") or "?"),
    ("lua: %s; %s"):format(lv, go._VERSION or "gochan ?"),
    ("commit: %s%s"):format(lib.sh("git -C " .. lib.shquote(dir) .. " rev-parse --short HEAD") or "?",
      (lib.sh("git -C " .. lib.shquote(dir) .. " status --porcelain -- ../csrc ../lua") or "") ~= ""
        and " (csrc/lua modified)" or ""),
    ("runs: %d per side (min and median of them), %s%s"):format(RUNS,
      ISOLATE and "each in a fresh process after 1 warm-up run in it"
              or "all in one process after 1 warm-up per side",
      QUICK and "; QUICK mode (small N)" or ""),
    ("clock: %s; GC: %s, full collect before each measured region"):format(
      wall and "os.clock (CPU) and go.now (wall)"
           or "os.clock = process CPU time (no go.now yet); all single-threaded",
      GCMODE or "default (incremental)"),
    "ratio = gochan / floor, median over median and min over min; the target is checked on the median"
      .. " (memory: on the gochan median itself)",
  }

  -- the markdown copy first: a reader that closes stdout early (| head)
  -- must not lose it
  local mdpath = os.getenv("BENCH_MD") or (dir .. "/results.md")
  if mdpath ~= "-" then
    local f = io.open(mdpath, "w")
    if f then
      f:write("# gochan benchmarks\n\n")
      f:write("Written by `bench/run.lua` (`make bench`).\n\n")
      for _, l in ipairs(facts) do f:write("- ", l, "\n") end
      f:write("\n", lib.md_table(header, tab, right), "\n\n")
      for _, l in ipairs(notes) do f:write("- ", l, "\n") end
      f:close()
    else
      io.stderr:write("bench: cannot write " .. mdpath .. "\n")
    end
  end

  local text = lib.text_table(header, tab, right)
  io.stdout:setvbuf("full")
  print(text)
  print()
  for _, f in ipairs(facts) do print(f) end
  for _, n in ipairs(notes) do print(n) end
  io.stdout:flush()
  io.stderr:write(("bench: %.1f s\n"):format(elapsed))

  for _, res in ipairs(results) do
    if res.err or res.wrong then return 1 end
  end
  return 0
end

if arg[1] == "--child" then
  os.exit(child_main(arg[2], arg[3], math.tointeger(tonumber(arg[4]))))
end
os.exit(main())
