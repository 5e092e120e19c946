--- bench/peers.lua: the B1-B9 table: each benchmark's gochan program beside
-- the same program in Go (GOMAXPROCS=1 and 2) and in Lua with cqueues, and
-- beside a plain floor (Lua or C) where one exists.
--
--   lua5.4 bench/peers.lua     (or `make bench`, which builds the C floors
--                               and the Go peers first, then runs run.lua)
--
-- Every side is a standalone program `<program> N [MODE]` that warms up,
-- runs, checks itself and prints one line "wall=<s> cpu=<s> n=<N> ..."
-- (the protocol: bench/README.md):
--   gochan    lua5.4 bench/gochan/<name>.lua N [MODE]
--   Go        $GOCHAN_GOBIN/<name> N [MODE], with GOMAXPROCS=1 and =2
--   cqueues   lua5.4 bench/cqueues/<name>.lua N [MODE]
--   floors    lua5.4 bench/peers.lua --floor <floor> N (plain Lua, lib.lua),
--             or a C floor $GOCHAN_BENCHBIN/<prog> [MODE] N (bench/*.c)
-- The sides of a benchmark run alternately, BENCH_RUNS times each, every run
-- a fresh process. A side whose program does not exist is skipped (a note
-- says so); a side that prints wrong=, fails or times out shows WRONG or
-- ERROR and makes this script exit 1.
--
-- Environment:
--   BENCH_RUNS=k        runs per side (default 5; the published table uses
--                       at least 5)
--   BENCH_QUICK=1       smoke mode: small N everywhere
--   BENCH_ONLY=a,b      only these: b1 ... b9 (b5 = both B5 rows, b8 = both
--                       B8 rows), or an id: b5_pingpong_x, b5_stream_x,
--                       b8_1, b8_2
--   BENCH_N_<ID>=n      N of one benchmark (BENCH_N_B4=1000,
--                       BENCH_N_B5_PINGPONG_X=50000)
--   BENCH_MD=path       markdown copy (default bench/results.md; "-" none)
--   BENCH_TIMEOUT=s     limit of one run (default 300 s)
--   GOCHAN_GOBIN        where the Go peers are (default build/bench/go)
--   GOCHAN_BENCHBIN     where the C floors are (default build/bench)
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. package.path
  .. ";" .. dir .. "/../lua/?.lua;" .. dir .. "/../lua/?/init.lua"
package.cpath = package.cpath .. ";" .. dir .. "/../build/?.so"

local lib = require "lib"

local QUICK = os.getenv("BENCH_QUICK") == "1"
local RUNS = math.max(1, math.tointeger(tonumber(os.getenv("BENCH_RUNS") or "")) or 5)
local TIMEOUT = tonumber(os.getenv("BENCH_TIMEOUT") or "") or 300
local BENCHBIN = os.getenv("GOCHAN_BENCHBIN") or (dir .. "/../build/bench")
local GOBIN = os.getenv("GOCHAN_GOBIN") or (dir .. "/../build/bench/go")
local LUA = lib.interpreter()


--[[ Floors: `peers.lua --floor NAME N` runs one, as a program of the
protocol (plain Lua of lib.lua; warm-up of N/10 except spawn, timers
and suspended, as their benchmarks) ]]

local function floor_main (name, n)
  local ok, go = pcall(require, "gochan")
  local wall = ok and go.now or os.clock
  local out
  if name == "suspended" then  -- B9: n coroutines suspended in a call
    collectgarbage("collect")
    collectgarbage("collect")
    local heap0, rss0 = collectgarbage("count"), lib.status_kb("VmRSS")
    local keep
    local cpu, w = lib.timed(function () keep = lib.floors.suspended(n) end, wall)
    collectgarbage("collect")
    collectgarbage("collect")
    local heap1, rss1 = collectgarbage("count"), lib.status_kb("VmRSS")
    for i = 1, n do
      if coroutine.status(keep[i]) ~= "suspended" then
        out = { wrong = ("coroutine %d is %s"):format(i, coroutine.status(keep[i])) }
        break
      end
    end
    out = out or { wall = w, cpu = cpu, n = n,
                   bytes_per = (rss1 - rss0) * 1024 / n, heap_per = (heap1 - heap0) * 1024 / n }
  else
    local floor = assert(lib.floors[name], "no floor " .. name)
    if name ~= "spawn" and name ~= "timers" then  -- as B3 and B7: no warm-up
      local body, check = floor(math.max(1, n // 10))
      body()
      check()
    end
    local body, check = floor(n)
    local cpu, w = lib.timed(body, wall)
    local good, err = pcall(check)
    if good then
      out = { wall = w, cpu = cpu, n = n }
      if name == "spawn" then out.rss_kb = lib.status_kb("VmHWM") end
    else
      out = { wrong = type(err) == "table" and err.wrong or tostring(err) }
    end
  end
  if out.wrong then
    io.write("wrong=", out.wrong, "\n")
    return 1
  end
  io.write(lib.kv_line(out), "\n")
  return 0
end

if arg[1] == "--floor" then
  os.exit(floor_main(arg[2], assert(math.tointeger(tonumber(arg[3])), "--floor NAME N")))
end

local go = require "gochan"
local now = go.now


--[[ Values of a row from one sample (the numbers of the program's line) ]]

local function per_op (key, scale)
  return function (s) return s[key] and s[key] * scale / s.n end
end
local function total (key, scale)
  return function (s) return s[key] and s[key] * scale end
end
local function rate (div)
  return function (s) return s.wall and s.n / s.wall / div end
end

-- targets. max is on the ratio "gochan / peer" of medians in the time
-- direction (a rate row inverts it), so that < 1 always means gochan better;
-- abs is on the gochan median itself
local CQ3 = { vs = "cq", max = 1 / 3, text = "≥ 3× cqueues" }


--[[ The benchmarks. A bench runs one program per side with one N and
MODE; its rows read values off the samples.
  floors: { {name =, lua = floor of lib.floors [, needs = a module it loads
  from GOCHAN_BENCHBIN]} or {name =, c = prog,
  args = {...}} , nscale = fraction of N } ; go = GOMAXPROCS values to run
  the Go peer with; cq = whether cqueues has this one. A row reads the
  floor's samples too unless it says nofloor. ]]

local BENCHES = {
  { id = "b1", prog = "b1_pingpong", n = 1000000, quick = 20000,
    what = "unbuffered ping-pong, main <-> 1 goroutine",
    floors = { { name = "coroutine", lua = "pingpong",
                 title = "2 plain coroutine resume/yield pairs per round trip" } },
    go = { 1, 2 }, cq = true,
    rows = { { name = "B1 ping-pong", unit = "ns/round trip", value = per_op("wall", 1e9),
               targets = { { vs = "go1", max = 0.9, text = "≤ 0.9× Go P=1 time" }, CQ3 } } } },
  { id = "b2", prog = "b2_stream", n = 5000000, quick = 100000,
    what = "producer goroutine -> main, channel cap 128",
    floors = { { name = "tablequeue", lua = "tablequeue",
                 title = "plain Lua table ring queue of 128, filled and drained in batches" },
               { name = "C call", lua = "ccall", needs = "floor_ccall.so",
                 title = "the same through a C method per send and a C iterator per receive over a Lua"
                   .. " table, no checks (bench/cmod/floor_ccall.c): the least any channel written in C pays" } },
    go = { 1, 2 }, cq = true,
    rows = { { name = "B2 stream, cap 128", unit = "M items/s", rate = true, value = rate(1e6),
               targets = { { vs = "go1", max = 1 / 0.5, text = "≥ 0.5× Go P=1 items/s" }, CQ3 } } } },
  { id = "b3", prog = "b3_spawn", n = 1000000, quick = 20000,
    what = "spawn N goroutines with a WaitGroup, each adds to a sum",
    floors = { { name = "coroutine", lua = "spawn", title = "coroutine.create + resume to the end" } },
    go = { 1, 2 }, cq = true,
    rows = { { name = "B3 spawn + WaitGroup", unit = "µs/goroutine", value = per_op("wall", 1e6),
               targets = { { vs = "go1", max = 0.5, text = "≤ 0.5× Go P=1 time" }, CQ3 } },
             { name = "B3 peak RSS", unit = "MB", value = total("rss_kb", 1 / 1024) } } },
  { id = "b4", prog = "b4_sieve", n = 2000, quick = 300,
    what = "Go tour prime sieve, unbuffered channels, first N primes",
    go = { 1, 2 }, cq = true,
    rows = { { name = "B4 prime sieve", unit = "ms", value = total("wall", 1e3),
               targets = { { vs = "go1", max = 2, text = "≤ 2× Go P=1 time" }, CQ3 } } } },
  { id = "b5_pingpong_x", group = "b5", prog = "b5_pingpong_x", n = 200000, quick = 5000,
    what = "ping-pong, main <-> a go.thread (Go: LockOSThread on both)",
    floors = { { name = "spin", c = "floor_pingpong", args = { "spin" }, nscale = 0.1,
                 title = "C spin-then-futex hand-off between 2 pthreads (bench/floor_pingpong.c spin), N/10" },
               { name = "condvar", c = "floor_pingpong", args = { "condvar" }, nscale = 0.1,
                 title = "C pthread mutex + condvar hand-off (bench/floor_pingpong.c condvar), N/10" } },
    go = { 2 },
    rows = { { name = "B5 ping-pong across threads", unit = "µs/round trip", value = per_op("wall", 1e6),
               targets = { { vs = "go2", max = 1 / 20, text = "≤ 1/20 of Go P=2 time" } } },
             { name = "B5 ping-pong across threads, CPU", unit = "µs CPU/round trip",
               value = per_op("cpu", 1e6) } } },
  { id = "b5_stream_x", group = "b5", prog = "b5_stream_x", n = 2000000, quick = 50000,
    what = "stream from a go.thread to main, cap 128 (Go: LockOSThread on both)",
    floors = { { name = "ring", c = "floor_ring",
                 title = "C ring of 128 under a pthread mutex + 2 condvars (bench/floor_ring.c)" } },
    go = { 2 },
    rows = { { name = "B5 stream across threads", unit = "M items/s", rate = true, value = rate(1e6) } } },
  { id = "b6", prog = "b6_select", n = 1000000, quick = 40000,
    what = "4 producers, 4 channels of 128, select in main",
    go = { 1, 2 }, cq = true,
    rows = { { name = "B6 select over 4", unit = "M items/s", rate = true, value = rate(1e6),
               targets = { { vs = "go1", max = 1 / 0.6, text = "≥ 0.6× Go P=1 items/s" }, CQ3 } } } },
  { id = "b7", prog = "b7_timers", n = 100000, quick = 5000,
    what = "N goroutines sleep 0-100 ms (LCG), WaitGroup",
    floors = { { name = "coroutine", lua = "timers",
                 title = "N plain coroutines started, suspended, then resumed once each in deadline order"
                   .. " (no timer, no clock; the order sorted beforehand)" } },
    go = { 1, 2 }, cq = true,
    rows = { { name = "B7 timers, wall", unit = "ms", value = total("wall", 1e3), nofloor = true },
             { name = "B7 timers, CPU", unit = "ms CPU", value = total("cpu", 1e3), targets = { CQ3 } },
             { name = "B7 lateness p50", unit = "ms", value = total("p50_ms", 1) },
             { name = "B7 lateness p99", unit = "ms", value = total("p99_ms", 1) } } },
  { id = "b8_1", group = "b8", prog = "b8_pool", mode = "1", n = 1000000, quick = 40000,
    what = "pool of 8 workers, jobs and results channels of 128, 1 OS thread",
    go = { 1, 2 }, cq = true,
    rows = { { name = "B8 worker pool, 1 state", unit = "M jobs/s", rate = true, value = rate(1e6),
               targets = { CQ3 } } } },
  { id = "b8_2", group = "b8", prog = "b8_pool", mode = "2", n = 1000000, quick = 40000,
    what = "pool of 8 workers: gochan 4+4 in 2 go.threads; Go GOMAXPROCS=2",
    go = { 2 },
    rows = { { name = "B8 worker pool, 2 threads", unit = "M jobs/s", rate = true, value = rate(1e6) } } },
  { id = "b9", prog = "b9_blocked", n = 100000, quick = 10000,
    what = "N goroutines blocked on a receive",
    floors = { { name = "coroutine", lua = "suspended", title = "a plain coroutine suspended in a call" } },
    go = { 1, 2 }, cq = true,
    rows = { { name = "B9 blocked goroutine, RSS", unit = "B/goroutine", value = total("bytes_per", 1),
               targets = { { abs = 1024, text = "≤ 1024 B" } } },
             { name = "B9 blocked goroutine, heap", unit = "B/goroutine", value = total("heap_per", 1) } } },
}

local ONLY
if (os.getenv("BENCH_ONLY") or "") ~= "" then
  ONLY = {}
  for w in os.getenv("BENCH_ONLY"):lower():gmatch("[^,%s]+") do ONLY[w] = true end
end

local function selected (b)
  if not ONLY then return true end
  return ONLY[b.id] or ONLY[b.group or b.id] or ONLY[b.prog] or false
end


--[[ Sides: the programs of one bench ]]

local function exists (path)
  local f = io.open(path)
  if f then f:close() end
  return f ~= nil
end

local CQ_OK = lib.sh(lib.shquote(LUA) .. " -e 'require \"cqueues\" print(\"yes\")'") == "yes"

-- sides(b, n) -> list of {key =, label =, cmd = function (n) -> string,
-- n =, missing = why or nil}
local function sides (b, n)
  local mode = b.mode and (" " .. lib.shquote(b.mode)) or ""
  local list = {}
  local gprog = dir .. "/gochan/" .. b.prog .. ".lua"
  list[#list + 1] = { key = "gochan", n = n,
    missing = not exists(gprog) and ("%s does not exist"):format(gprog) or nil,
    cmd = ("%s %s %d%s"):format(lib.shquote(LUA), lib.shquote(gprog), n, mode) }
  for _, f in ipairs(b.floors or {}) do
    local fn = math.max(1, math.floor(n * (f.nscale or 1)))
    local s = { key = "floor:" .. f.name, floor = f, n = fn }
    if f.lua then
      s.cmd = ("%s %s --floor %s %d"):format(lib.shquote(LUA), lib.shquote(dir .. "/peers.lua"), f.lua, fn)
      if f.needs and not exists(BENCHBIN .. "/" .. f.needs) then
        s.missing = BENCHBIN .. "/" .. f.needs .. " not built (make bench builds it)"
      end
    else
      local prog = BENCHBIN .. "/" .. f.c
      local args = {}
      for i, a in ipairs(f.args or {}) do args[i] = lib.shquote(a) end
      s.cmd = ("%s %s %d"):format(lib.shquote(prog), table.concat(args, " "), fn)
      if not exists(prog) then s.missing = prog .. " not built (make bench builds it)" end
    end
    list[#list + 1] = s
  end
  local gobin = GOBIN .. "/" .. b.prog
  for _, p in ipairs(b.go or {}) do
    list[#list + 1] = { key = "go" .. p, n = n,
      missing = not exists(gobin) and ("%s not built (bench/go/build.sh)"):format(gobin) or nil,
      cmd = ("env GOMAXPROCS=%d %s %d%s"):format(p, lib.shquote(gobin), n, mode) }
  end
  if b.cq then
    local cprog = dir .. "/cqueues/" .. b.prog .. ".lua"
    local why = not CQ_OK and "the cqueues module is not installed (lua-cqueues)"
      or not exists(cprog) and (cprog .. " does not exist") or nil
    list[#list + 1] = { key = "cq", n = n, missing = why or nil,
      cmd = ("%s %s %d%s"):format(lib.shquote(LUA), lib.shquote(cprog), n, mode) }
  end
  return list
end

-- run(cmd) -> sample table, or nil, "wrong"|"error", text
local function run (side)
  local cmd = ("timeout %d %s 2>&1"):format(TIMEOUT, side.cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  local _, _, code = p:close()
  local s, wrong = lib.parse_kv(out)
  if wrong then return nil, "wrong", wrong end
  if code == 124 then return nil, "error", ("timed out after %d s"):format(TIMEOUT) end
  if not s or code ~= 0 then
    local tail = out:gsub("%s+$", ""):match("([^\n]*)$") or ""
    return nil, "error", ("exit %s: %s"):format(tostring(code), tail)
  end
  s.n = s.n or side.n
  return s
end

-- measure(b) -> res {sides =, samples = {key -> list}, bad = {key -> {kind, text}}}
local function measure (b)
  local n = math.tointeger(tonumber(os.getenv("BENCH_N_" .. b.id:upper()) or ""))
    or (QUICK and b.quick or b.n)
  local res = { bench = b, n = n, sides = sides(b, n), samples = {}, bad = {} }
  for _, s in ipairs(res.sides) do res.samples[s.key] = {} end
  io.stderr:write(("  %-14s N=%-8d"):format(b.id, n))
  local t0 = now()
  for _ = 1, RUNS do
    for _, s in ipairs(res.sides) do
      if not s.missing and not res.bad[s.key] then
        local smp, kind, text = run(s)
        if smp then table.insert(res.samples[s.key], smp)
        else res.bad[s.key] = { kind = kind, text = text } end
      end
    end
    io.stderr:write(".")
  end
  io.stderr:write((" %.1f s\n"):format(now() - t0))
  return res
end


--[[ The table ]]

local COLS = { "gochan", "floor", "go1", "go2", "cq" }

local function values (fn, samples)
  local v = {}
  for _, s in ipairs(samples or {}) do
    local x = fn(s)
    if x then v[#v + 1] = x end
  end
  return v
end

-- cell(res, key, row) -> text, best, median (of a side's values)
local function cell (res, key, row)
  local side
  for _, s in ipairs(res.sides) do if s.key == key then side = s end end
  if not side then return "-" end
  if side.missing then return "n/a" end
  local bad = res.bad[side.key]
  if bad then return bad.kind == "wrong" and "WRONG" or "ERROR" end
  local mn, med, mx = lib.stats(values(row.value, res.samples[side.key]))
  if not med then return "-" end
  local best = row.rate and mx or mn
  return lib.fmt(best) .. " / " .. lib.fmt(med), best, med
end

local function floor_cell (res, row)
  local parts, first = {}, nil
  if row.nofloor then return "-" end  -- a floor that does not measure this row
  for _, s in ipairs(res.sides) do
    if s.floor then
      local text, _, med = cell(res, s.key, row)
      if #(res.bench.floors) > 1 then text = text .. " " .. s.floor.name end
      parts[#parts + 1] = text
      first = first or med
    end
  end
  if #parts == 0 then return "-" end
  return table.concat(parts, "; "), first
end

-- time-direction ratio of medians: < 1 means gochan better
local function ratio (row, g, p)
  if not g or not p or p == 0 or g == 0 then return nil end
  if row.rate then return p / g end
  return g / p
end

local function fmt_ratio (r)
  if not r then return "-" end
  return ("%.2f"):format(r)
end

local function row_cells (res, row)
  local b = res.bench
  local c, med = {}, {}
  for _, k in ipairs(COLS) do
    if k == "floor" then c[k], med[k] = floor_cell(res, row)
    else
      local text, _, m = cell(res, k, row)
      c[k], med[k] = text, m
    end
  end
  local r = { go1 = ratio(row, med.gochan, med.go1), go2 = ratio(row, med.gochan, med.go2),
              cq = ratio(row, med.gochan, med.cq) }
  local ttext, st = {}, {}
  for i, t in ipairs(row.targets or {}) do
    ttext[i] = t.text
    local v, pass
    if t.abs then
      v = med.gochan
      pass = v and v <= t.abs
    else
      v = r[t.vs]
      pass = v and v <= t.max
    end
    if v == nil then st[i] = "n/a" else st[i] = pass and "ok" or "MISS" end
  end
  local name = row.name .. (res.n ~= b.n and (" (N=" .. res.n .. ")") or "")
  return { name, row.unit, c.gochan, c.floor, c.go1, c.go2, c.cq,
           fmt_ratio(r.go1), fmt_ratio(r.go2), fmt_ratio(r.cq),
           #ttext > 0 and table.concat(ttext, "; ") or "-",
           #st > 0 and table.concat(st, "; ") or "-" }
end

local HEADER = { "benchmark", "unit", "gochan", "floor", "Go P=1", "Go P=2", "cqueues",
                 "÷Go P=1", "÷Go P=2", "÷cqueues", "target", "status" }
local RIGHT = { false, false, true, true, true, true, true, true, true, true, false, false }


local function first_line (cmd) return lib.sh(cmd) end

local function facts (load0, load1, elapsed)
  local gover = exists(GOBIN .. "/b1_pingpong")
    and (first_line("go version " .. lib.shquote(GOBIN .. "/b1_pingpong")) or ""):match("(go%d[%w.]*)")
  gover = gover or (first_line("go version") or ""):match("(go%d[%w.]*)")
  local cqver = CQ_OK and first_line(lib.shquote(LUA) .. " -e 'print(require \"cqueues\".VERSION)'")
  local commit = lib.sh("git -C " .. lib.shquote(dir) .. " rev-parse --short HEAD") or "?"
  if (lib.sh("git -C " .. lib.shquote(dir) .. " status --porcelain -- ../csrc ../lua") or "") ~= "" then
    commit = commit .. " (csrc/lua modified)"
  end
  return {
    ("date: %s"):format(os.date("%Y-%m-%d %H:%M:%S %z")),
    ("machine: %s, nproc %s; load average (1 5 15 min, runnable/threads) before/after: %s / %s; nice %s"):format(
      lib.cpu_model() or "?", lib.sh("nproc") or "?",
      (load0 or "?"):match("^(%S+ %S+ %S+ %S+)") or "?", (load1 or "?"):match("^(%S+ %S+ %S+ %S+)") or "?",
      lib.nice() or "?"),
    ("versions: %s; %s; Go %s; cqueues %s"):format(
      (lib.sh(lib.shquote(LUA) .. " -v") or _VERSION):match("^(Lua %S+)") or _VERSION,
      go._VERSION or "gochan ?", gover or "not found", cqver or "not found"),
    ("commit: %s"):format(commit),
    ("runs: %d per side, alternating, each a fresh process that warms up first (not B3, B7, B9); "
      .. "cells are best / median; %.0f s in all%s"):format(RUNS, elapsed, QUICK and "; QUICK mode (small N)" or ""),
    "time is wall-clock (monotonic) unless the unit says CPU; ÷ columns: gochan ÷ peer, medians, as "
      .. "times (a rate row is inverted), so < 1 means gochan is better; targets are checked on medians",
  }
end

local function main ()
  local mdpath = os.getenv("BENCH_MD") or (dir .. "/results.md")
  local load0 = lib.sh("cat /proc/loadavg")
  local t0 = now()
  io.stderr:write(("bench/peers.lua: %d runs per side%s\n"):format(RUNS, QUICK and ", quick mode" or ""))
  if ONLY then
    for w in pairs(ONLY) do
      local known = false
      for _, b in ipairs(BENCHES) do
        if w == b.id or w == b.group or w == b.prog then known = true end
      end
      if not known then io.stderr:write(("peers: BENCH_ONLY: no benchmark %q (ignored)\n"):format(w)) end
    end
  end
  local tab, notes, failed = {}, {}, false
  local missing = {}
  for _, b in ipairs(BENCHES) do
    if selected(b) then
      local res = measure(b)
      for _, row in ipairs(b.rows) do tab[#tab + 1] = row_cells(res, row) end
      local label = b.prog .. (b.mode and (" MODE " .. b.mode) or "")
      notes[#notes + 1] = ("%s (N=%d): %s."):format(label, res.n, b.what)
      for _, s in ipairs(res.sides) do
        if s.floor then
          notes[#notes + 1] = ("%s: floor%s = %s."):format(label,
            #b.floors > 1 and (" " .. s.floor.name) or "", s.floor.title)
        end
        if s.missing then missing[s.missing] = true end
        local bad = res.bad[s.key]
        if bad then
          failed = true
          notes[#notes + 1] = ("%s, %s: %s: %s"):format(label, s.key, bad.kind:upper(), bad.text)
        end
      end
      if b.go and #b.go == 1 then
        notes[#notes + 1] = ("%s: Go runs with GOMAXPROCS=%d only."):format(label, b.go[1])
      end
    end
  end
  local list = {}
  for m in pairs(missing) do list[#list + 1] = m end
  table.sort(list)
  for _, m in ipairs(list) do notes[#notes + 1] = "skipped (n/a): " .. m end
  local elapsed = now() - t0
  local fs = facts(load0, lib.sh("cat /proc/loadavg"), elapsed)

  lib.publish {
    md = mdpath, who = "peers",
    heading = "# gochan benchmarks\n\n## B1-B9: gochan beside Go, cqueues and floors\n\n"
      .. "Written by `bench/peers.lua` (`make bench`); bench/README.md explains the columns.\n\n",
    header = HEADER, rows = tab, right = RIGHT, facts = fs, notes = notes,
  }
  io.stderr:write(("bench/peers.lua: %.1f s\n"):format(elapsed))
  return failed and 1 or 0
end

os.exit(main())
