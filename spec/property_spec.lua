-- Property tests under the randomized scheduler (GOCHAN_SCHED_SEED): each
-- scenario script in spec/property/*.lua is a plain Lua program that runs
-- one scenario and exits non-zero with a message when an invariant breaks
-- (see spec/property/lib/prop.lua). Every scenario runs in a fresh lua5.4
-- process for each seed 1..PROPERTY_SEEDS (default 200; the variable is
-- read once per process, so one process per seed and scenario), several
-- processes at a time (PROPERTY_JOBS, default: the number of CPUs). A
-- failure names the seed and prints the command that replays it.
--
-- Scenarios: mpmc (several producers and consumers, unbuffered and
-- buffered), close, select (defaults, nil cases), waitgroup, mutex,
-- timers (go.after timeouts in selects, Timer stop/reset), threads
-- (go.thread producers and consumers through shared channels). Each also
-- ends with go.debug.stats().waiters == 0 and go.numgoroutine() == 1.

local LUA = os.getenv("LUA") or "lua5.4"
local ROOT = os.getenv("PWD") or "."
local BUILDDIR = os.getenv("GOCHAN_BUILDDIR") or "build"
local NSEEDS = tonumber(os.getenv("PROPERTY_SEEDS")) or 200
local TIMEOUT = 30   -- seconds for one scenario process (a hang is a failure)

-- sh: run a shell command, return its stdout.
local function sh(cmd)
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  p:close()
  return out
end

local JOBS = tonumber(os.getenv("PROPERTY_JOBS"))
  or math.max(2, tonumber(sh("nproc 2>/dev/null")) or 2)

-- q: quote for the shell.
local function q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

-- the environment a scenario runs in (the module from this tree)
local ENV = string.format("LUA_PATH=%s LUA_CPATH=%s",
  q(ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;;"),
  q(ROOT .. "/" .. BUILDDIR .. "/?.so;;"))

--- replay(script, seed, extra): the command that reruns one case.
local function replay(script, seed, extra)
  return string.format("cd %s && GOCHAN_SCHED_SEED=%d %s%s %s %s",
    q(ROOT), seed, extra and (extra .. " ") or "", ENV, LUA, script)
end

--- scenarios(): the scenario scripts, sorted (paths relative to ROOT).
local function scenarios()
  local list = {}
  for path in sh("cd " .. q(ROOT) .. " && ls spec/property/*.lua 2>/dev/null"):gmatch("[^\n]+") do
    list[#list + 1] = path
  end
  table.sort(list)
  return list
end

--- runall(scripts, seeds [, extra]): run every script with every seed, JOBS
-- processes at a time (a shell per seed runs the scripts one after the
-- other). Returns results[script][seed] = {code = exit status, out =
-- combined output}.
local function runall(scripts, seeds, extra)
  local results = {}
  for _, s in ipairs(scripts) do results[s] = {} end
  local i = 1
  while i <= #seeds do
    local batch = {}
    for k = i, math.min(i + JOBS - 1, #seeds) do
      local seed = seeds[k]
      local parts = { "cd " .. q(ROOT) }
      for _, s in ipairs(scripts) do
        parts[#parts + 1] = string.format(
          "out=$(GOCHAN_SCHED_SEED=%d %s%s timeout -k 5 %d %s %s </dev/null 2>&1); rc=$?; " ..
          "printf '@@BEGIN %%s %%s\\n%%s\\n@@END\\n' %s \"$rc\" \"$out\"",
          seed, extra and (extra .. " ") or "", ENV, TIMEOUT, LUA, s, q(s))
      end
      batch[#batch + 1] = { seed = seed, p = assert(io.popen(table.concat(parts, "; "))) }
    end
    for _, b in ipairs(batch) do
      local out = b.p:read("a")
      b.p:close()
      for script, rc, text in out:gmatch("@@BEGIN (%S+) (%d+)\n(.-)\n@@END\n") do
        results[script][b.seed] = { code = tonumber(rc), out = text }
      end
    end
    i = i + JOBS
  end
  return results
end

--- failures(results, script, seeds): a report of the failing seeds of one
-- script (nil if none): seed, exit status, output, replay command.
local function failures(results, script, seeds, extra)
  local lines, n = {}, 0
  for _, seed in ipairs(seeds) do
    local r = results[script][seed]
    local ok = r and r.code == 0 and ("\n" .. r.out):find("\nok ")
    if not ok then
      n = n + 1
      if n <= 10 then
        local why
        if not r then why = "no result (the runner's shell failed)"
        elseif r.code == 124 or r.code == 137 then why = "timed out after " .. TIMEOUT .. " s"
        elseif r.code == 0 then why = "exit 0 without its result line"
        else why = "exit " .. r.code end
        local out = r and r.out:gsub("%s+$", "") or ""
        if #out > 3000 then out = out:sub(1, 3000) .. "\n[...]" end
        lines[#lines + 1] = string.format(
          "%s failed with GOCHAN_SCHED_SEED=%d (%s):\n%s\n  replay: %s",
          script, seed, why, out:gsub("[^\n]+", "  | %0"), replay(script, seed, extra))
      end
    end
  end
  if n == 0 then return nil end
  if n > 10 then lines[#lines + 1] = string.format("... and %d more failing seeds", n - 10) end
  return string.format("%s: %d of %d seeds failed\n", script, n, #seeds) ..
    table.concat(lines, "\n")
end

--- logof(seed, workload): the event log of the mpmc scenario run with that
-- scheduler seed (nil: unset) and a fixed workload.
local function logof(seed)
  local out = sh(string.format("cd %s && %sPROPERTY_LOG=1 PROPERTY_WORKLOAD=7 %s timeout -k 5 %d %s %s 2>&1",
    q(ROOT), seed and ("GOCHAN_SCHED_SEED=" .. seed .. " ") or "", ENV, TIMEOUT, LUA,
    "spec/property/mpmc.lua"))
  local events = {}
  for line in out:gmatch("[^\n]+") do
    if line:find("^ok ") then return events end
    events[#events + 1] = line
  end
  error("mpmc scenario failed:\n" .. out)
end

-- events: the multiset of a log's events, as a sorted list, without the
-- receiving consumer (which one gets a value depends on the order)
local function events(log)
  local c = {}
  for i, e in ipairs(log) do c[i] = e:gsub("^(recv %d+) %d+", "%1") end
  table.sort(c)
  return c
end


describe("property: randomized scheduling (GOCHAN_SCHED_SEED)", function()

  it("the seed changes the order of events, and the same seed reproduces it", function()
    local a1, a2, b, c, fifo1, fifo2 = logof(1), logof(1), logof(2), logof(3), logof(nil), logof(nil)
    assert.is_true(#a1 > 100, "the log is too short to compare orders")
    -- the same events every time (the workload is fixed) ...
    assert.same(events(a1), events(b))
    assert.same(events(a1), events(c))
    assert.same(events(a1), events(fifo1))
    -- ... in the same order for the same seed ...
    assert.same(a1, a2)
    assert.same(fifo1, fifo2)
    -- ... and in different orders for different seeds, and without one
    assert.are_not.same(a1, b)
    assert.are_not.same(a1, c)
    assert.are_not.same(b, c)
    assert.are_not.same(a1, fifo1)
  end)

  it("the runner reports a broken invariant with its seed and a replay command", function()
    -- two deliberately broken scenarios: a failed check on seed 3, and a
    -- goroutine left blocked (the drain check)
    local dir = ROOT .. "/" .. BUILDDIR .. "/property-selftest"
    sh("mkdir -p " .. q(dir))
    local head = string.format("package.path = %q .. package.path\nlocal P = require 'prop'\n",
      ROOT .. "/spec/property/lib/?.lua;")
    local bad = dir .. "/bad_check.lua"
    local f = assert(io.open(bad, "w"))
    f:write(head, "P.main(function() P.check(tonumber(P.seed) ~= 3, 'seed %s is bad', P.seed) end)\n")
    f:close()
    local leak = dir .. "/leak.lua"
    f = assert(io.open(leak, "w"))
    f:write(head, "P.main(function() P.go(function() P.go.chan():recv() end) end)\n")
    f:close()
    local seeds = { 1, 2, 3, 4 }
    local res = runall({ bad, leak }, seeds)
    local rep = failures(res, bad, seeds)
    assert.is_string(rep)
    assert.truthy(rep:find("1 of 4 seeds failed", 1, true))
    assert.truthy(rep:find("INVARIANT BROKEN in bad_check (GOCHAN_SCHED_SEED=3): seed 3 is bad", 1, true))
    assert.truthy(rep:find("replay: " .. replay(bad, 3), 1, true))
    rep = failures(res, leak, seeds)
    assert.truthy(rep:find("4 of 4 seeds failed", 1, true))
    assert.truthy(rep:find("numgoroutine() = 2 (want 1), stats().waiters = 1 (want 0)", 1, true))
    sh("rm -rf " .. q(dir))
  end)

  local scripts = scenarios()
  local seeds = {}
  for s = 1, NSEEDS do seeds[s] = s end
  local results   -- run once, by the first scenario's case

  it("has the scenarios", function()
    local names = {}
    for _, s in ipairs(scripts) do names[#names + 1] = s:match("([^/]+)%.lua$") end
    assert.same({ "close", "mpmc", "mutex", "select", "threads", "timers", "waitgroup" }, names)
  end)

  for _, script in ipairs(scripts) do
    local name = script:match("([^/]+)%.lua$")
    it(string.format("%s: invariants hold for %d seeds #%s", name, NSEEDS, name), function()
      results = results or runall(scripts, seeds)
      local rep = failures(results, script, seeds)
      if rep then
        io.stderr:write("\n", rep, "\n")
        error(rep, 0)
      end
    end)
  end
end)
