--- bench/soak.lua: the property scenarios (spec/property/*.lua) in a loop,
-- for a while, under the randomized scheduler; `make soak`.
--
--   SOAK_SECONDS=60 lua5.4 bench/soak.lua
--
-- For SOAK_SECONDS (default 600):
--  * short runs: every scenario script, each in a new process with a fresh
--    GOCHAN_SCHED_SEED (seeds base+1, base+2, ...), now and then with a
--    larger workload (PROPERTY_SCALE), SOAK_JOBS processes at a time;
--  * a long-lived cross-thread stress: one process that repeats the
--    threads scenario (go.thread producers and consumers through shared
--    channels, selects, a shared Mutex and WaitGroup, counts checked) at
--    PROPERTY_SCALE=10 for the whole time, and reports its RSS after the
--    first round and at the end.
-- Reports the operations done (sends, receives, selects, locks, ... as
-- the scenarios count them), the largest peak RSS (VmHWM) of any child, and
-- every invariant failure with the command that replays it; exits 1 if
-- there was one. The last line is the summary:
--   soak: PASS|FAIL  <s> s, <n> runs, <n> ops, max child RSS <kB> kB, <n> failures
--
-- Environment: SOAK_SECONDS (default 600), SOAK_JOBS (default: CPUs),
-- SOAK_SCRIPTS (the short runs' scripts, default spec/property/*.lua),
-- SOAK_SEED_BASE (default: from the clock; printed), LUA_PATH/LUA_CPATH
-- for the children (default: this tree, as the Makefile sets them),
-- GOCHAN_BUILDDIR (default build).

local SECS = tonumber(os.getenv("SOAK_SECONDS")) or 600
local LUA = arg and arg[-1] or "lua5.4"
local BUILDDIR = os.getenv("GOCHAN_BUILDDIR") or "build"
local LUA_PATH = os.getenv("LUA_PATH") or "./lua/?.lua;./lua/?/init.lua;;"
local LUA_CPATH = os.getenv("LUA_CPATH") or ("./" .. BUILDDIR .. "/?.so;;")
local TIMEOUT = 60        -- seconds for one short run (a hang is a failure)
local MAXREPORT = 20      -- failures printed in full

local function sh(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  p:close()
  return out
end

local function q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- now: wall-clock seconds (monotonic: /proc/uptime), fractional.
local function now()
  local f = io.open("/proc/uptime")
  if f then
    local t = tonumber(f:read("a"):match("^(%S+)"))
    f:close()
    if t then return t end
  end
  return os.time() + 0.0
end

local JOBS = tonumber(os.getenv("SOAK_JOBS"))
  or math.max(2, tonumber(sh("nproc 2>/dev/null")) or 2)
local BASE = tonumber(os.getenv("SOAK_SEED_BASE")) or (os.time() % 100000) * 100000
local ENV = string.format("LUA_PATH=%s LUA_CPATH=%s", q(LUA_PATH), q(LUA_CPATH))
local CWD = sh("pwd"):gsub("\n$", "")

local scripts = {}
for path in (os.getenv("SOAK_SCRIPTS") or sh("ls spec/property/*.lua 2>/dev/null")):gmatch("%S+") do
  scripts[#scripts + 1] = path
end
table.sort(scripts)
if #scripts == 0 then
  io.stderr:write("soak: no spec/property/*.lua (run from the top directory)\n")
  os.exit(2)
end

-- the command of one run, as printed for a replay
local function command(script, seed, extra)
  return string.format("cd %s && GOCHAN_SCHED_SEED=%d %s%s %s %s", q(CWD), seed,
    extra ~= "" and (extra .. " ") or "", ENV, LUA, script)
end

-- spawn: start one run in the background (read its output to wait for it)
local function spawn(script, seed, extra, timeout)
  return assert(io.popen(string.format(
    "GOCHAN_SCHED_SEED=%d %s%s timeout -k 5 %d %s %s </dev/null 2>&1; echo \"@@EXIT:$?\"",
    seed, extra ~= "" and (extra .. " ") or "", ENV, timeout, LUA, script)))
end

-- finish: wait for a spawned run; its output and exit status
local function finish(p)
  local out = p:read("a")
  p:close()
  local rc = tonumber(out:match("@@EXIT:(%d+)%s*$")) or -1
  return (out:gsub("@@EXIT:%d+%s*$", "")), rc
end

local t0 = now()
local stats = { runs = 0, ops = 0, hwm = 0, failures = 0, per = {} }
local reports = {}

-- account: one finished run's output and status.
local function account(script, seed, extra, out, rc)
  local name = script:match("([^/]+)%.lua$") or script
  stats.runs = stats.runs + 1
  stats.per[name] = (stats.per[name] or 0) + 1
  local line = ("\n" .. out):match("\n(ok [^\n]*)")
  if rc == 0 and line then
    stats.ops = stats.ops + (tonumber(line:match(" ops=(%d+)")) or 0)
    local hwm = tonumber(line:match(" hwm_kb=(%d+)")) or 0
    if hwm > stats.hwm then stats.hwm, stats.hwm_by = hwm, name end
    return line
  end
  stats.failures = stats.failures + 1
  if #reports < MAXREPORT then
    local why = (rc == 124 or rc == 137) and "timed out" or ("exit " .. rc)
    out = out:gsub("%s+$", "")
    if #out > 3000 then out = out:sub(1, 3000) .. "\n[...]" end
    reports[#reports + 1] = string.format("FAIL %s seed %d (%s):\n%s\n  replay: %s",
      name, seed, why, out:gsub("[^\n]+", "  | %0"), command(script, seed, extra))
    io.write(reports[#reports], "\n")
    io.stdout:flush()
  end
end

print(string.format("soak: %d s, %d jobs, seeds from %d, %s, scenarios: %s",
  SECS, JOBS, BASE + 1, LUA, table.concat(scripts, " ")))
io.stdout:flush()

-- the long-lived cross-thread stress, in the background
local longsecs = math.max(1, SECS - 4)
local longseed = BASE
local longextra = "PROPERTY_SCALE=10 PROPERTY_SOAK_SECONDS=" .. longsecs
local long = spawn("spec/property/threads.lua", longseed, longextra, longsecs + 120)

-- short runs until the time is up
local seed, nextreport = BASE, t0 + 10
local scales = { 1, 1, 1, 1, 2, 5 }
local k = 0
while now() - t0 < SECS - 0.5 do
  local batch = {}
  for _ = 1, JOBS do
    k = k + 1
    seed = seed + 1
    local script = scripts[(k - 1) % #scripts + 1]
    local scale = scales[seed % #scales + 1]
    local extra = scale > 1 and ("PROPERTY_SCALE=" .. scale) or ""
    batch[#batch + 1] = { script = script, seed = seed, extra = extra,
                          p = spawn(script, seed, extra, TIMEOUT) }
  end
  for _, b in ipairs(batch) do
    local out, rc = finish(b.p)
    account(b.script, b.seed, b.extra, out, rc)
  end
  if now() >= nextreport then
    nextreport = nextreport + 10
    print(string.format("soak: %5.1f s  %d runs  %d ops  %d failures",
      now() - t0, stats.runs, stats.ops, stats.failures))
    io.stdout:flush()
  end
end

-- the long stress's result
local out, rc = finish(long)
local line = account("spec/property/threads.lua", longseed, longextra, out, rc)
if line then
  print(string.format("soak: cross-thread stress: %s rounds, %s ops, RSS %s kB after round 1, " ..
    "%s kB at the end, peak %s kB (replay is not exact: threads and timers use real time)",
    line:match(" rounds=(%d+)") or "?", line:match(" ops=(%d+)") or "?",
    line:match(" rss_first_kb=(%-?%d+)") or "?", line:match(" rss_last_kb=(%-?%d+)") or "?",
    line:match(" hwm_kb=(%-?%d+)") or "?"))
end

local names = {}
for name, n in pairs(stats.per) do names[#names + 1] = name .. " " .. n end
table.sort(names)
print("soak: runs per scenario: " .. table.concat(names, ", "))
if stats.failures > #reports then
  print(string.format("soak: %d more failures not shown", stats.failures - #reports))
end
print(string.format("soak: %s  %.1f s, %d runs, %d ops, max child RSS %d kB (%s), %d failures",
  stats.failures == 0 and "PASS" or "FAIL", now() - t0, stats.runs, stats.ops,
  stats.hwm, stats.hwm_by or "-", stats.failures))
os.exit(stats.failures == 0 and 0 or 1)
