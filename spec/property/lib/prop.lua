--- Helpers for the property scenarios (spec/property/*.lua). A scenario is
-- a plain Lua program: it requires gochan, runs one scenario under the
-- randomized scheduler (GOCHAN_SCHED_SEED, set by spec/property_spec.lua
-- or bench/soak.lua), and exits non-zero with a message when an invariant
-- breaks. On success it prints one line:
--   ok <scenario> seed=<n> ops=<n> hwm_kb=<n>
-- Environment:
--   GOCHAN_SCHED_SEED   the scheduler's seed; also seeds the workload
--   PROPERTY_WORKLOAD   seeds the workload (sizes, counts, choices) instead,
--                       so that only the scheduler's order varies
--   PROPERTY_LOG=1      also print the event log, one event a line, before
--                       the "ok" line (for the reproducibility check)
--   PROPERTY_SCALE=<k>  multiply the workload's message counts by k
--                       (default 1; bench/soak.lua uses larger ones)
local go = require "gochan"

local P = { go = go }

P.name = (arg and arg[0] or "?"):match("([^/]+)%.lua$") or "?"
P.seed = os.getenv("GOCHAN_SCHED_SEED")
P.workload = tonumber(os.getenv("PROPERTY_WORKLOAD") or P.seed or "") or 1
P.logging = os.getenv("PROPERTY_LOG") == "1"
local scale = tonumber(os.getenv("PROPERTY_SCALE") or "")
P.scale = scale and math.max(1, math.floor(scale)) or 1
P.ops = 0          -- operations done (sends, receives, selects, locks, ...)

math.randomseed(P.workload)

local events = {}
local notes = {}

--- fail: report a broken invariant and exit 1.
function P.fail(fmt, ...)
  io.stderr:write(string.format("INVARIANT BROKEN in %s (GOCHAN_SCHED_SEED=%s): %s\n",
    P.name, tostring(P.seed), string.format(fmt, ...)))
  io.stderr:flush()
  os.exit(1)
end

--- check: fail unless cond.
function P.check(cond, fmt, ...)
  if not cond then P.fail(fmt, ...) end
end

--- op: count n operations (default 1).
function P.op(n)
  P.ops = P.ops + (n or 1)
end

--- log: record an event (kept only with PROPERTY_LOG=1).
function P.log(...)
  if P.logging then events[#events + 1] = table.concat({ ... }, " ") end
end

--- pick: a random element of list t.
function P.pick(t)
  return t[math.random(#t)]
end

--- maybe: true with probability p.
function P.maybe(p)
  return math.random() < p
end

--- note: add "key=value" to the result line.
function P.note(key, value)
  notes[#notes + 1] = " " .. key .. "=" .. tostring(value)
end

--- rss: the current RSS of this process in kB (VmRSS), or -1.
function P.rss()
  local f = io.open("/proc/self/status")
  if not f then return -1 end
  local s = f:read("a")
  f:close()
  return tonumber(s:match("VmRSS:%s*(%d+)")) or -1
end

--- hwm: the peak RSS of this process in kB (VmHWM, or VmRSS if larger:
-- the kernel updates VmHWM lazily), or -1.
function P.hwm()
  local f = io.open("/proc/self/status")
  if not f then return -1 end
  local s = f:read("a")
  f:close()
  return math.max(tonumber(s:match("VmHWM:%s*(%d+)")) or -1,
                  tonumber(s:match("VmRSS:%s*(%d+)")) or -1)
end

--- drain: let every goroutine other than main end (they all finish by
-- design), then check the scheduler is clean: no waiter left and main the
-- only goroutine. Yields first, then short sleeps (timers, threads), for
-- at most about 2 s.
function P.drain()
  for i = 1, 3000 do
    if go.numgoroutine() == 1 and go.debug.stats().waiters == 0 then break end
    if i <= 1000 then go.yield() else go.sleep(0.001) end
  end
  local st = go.debug.stats()
  if go.numgoroutine() ~= 1 or st.waiters ~= 0 then
    io.stderr:write("live goroutines:\n")
    go.debug.dump()
    P.fail("after draining: numgoroutine() = %d (want 1), stats().waiters = %d (want 0)",
      go.numgoroutine(), st.waiters)
  end
end

--- main: run the scenario function, drain, check, print the result line.
-- A Lua error (a goroutine's error raised in main, a deadlock) is a
-- failure too: exit 2 with the message and traceback.
function P.main(fn)
  local ok, err = xpcall(fn, debug.traceback)
  if not ok then
    io.stderr:write(string.format("ERROR in %s (GOCHAN_SCHED_SEED=%s): %s\n",
      P.name, tostring(P.seed), tostring(err)))
    io.stderr:flush()
    os.exit(2)
  end
  P.drain()
  if P.logging then
    for _, e in ipairs(events) do io.write(e, "\n") end
  end
  io.write(string.format("ok %s seed=%s ops=%d hwm_kb=%d%s\n",
    P.name, tostring(P.seed), P.ops, P.hwm(), table.concat(notes)))
  io.stdout:flush()
end

return P
