--- bench/gochan/common.lua: what the gochan sides of the B1-B9 benchmarks
-- (bench/gochan/b*.lua, run by bench/peers.lua) share: arguments, the
-- measured region, /proc readings and the one output line.
--
-- A side is run as `lua5.4 bench/gochan/bX_name.lua N [MODE]` (with
-- LUA_PATH/LUA_CPATH finding gochan; the source tree's lua/ and build/ are
-- tried last). It warms up (most of them: a run of N/10), runs N measured,
-- checks its result and prints one line "wall=<s> cpu=<s> n=<N> [k=v ...]",
-- or "wrong=<why>" and exits 1.
--
-- Each script starts with
--   package.path = (arg[0]:match("^(.*)/") or ".") .. "/?.lua;" .. package.path
--   local bench = require "common"
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/../?.lua;" .. package.path  -- bench/lib.lua
package.path = package.path .. ";" .. dir .. "/../../lua/?.lua;" .. dir .. "/../../lua/?/init.lua"
package.cpath = package.cpath .. ";" .. dir .. "/../../build/?.so"

local lib = require "lib"
local go = require "gochan"

local M = { lib = lib }

--- args(default_n) -> n, mode: the command line (N, then an optional MODE
-- string; N defaults to default_n)
function M.args (default_n)
  local n = math.tointeger(tonumber(arg[1] or "")) or default_n
  if n < 1 then M.wrong("N must be at least 1") end
  return n, arg[2]
end

--- warmup(n) -> the N of the unmeasured warm-up run: n/10, at least 1
function M.warmup (n)
  return math.max(1, n // 10)
end

--- timed(body) -> wall, cpu: seconds of body() by go.now() (monotonic) and
-- os.clock() (process CPU time, all threads), after a full collection
function M.timed (body)
  collectgarbage("collect")
  collectgarbage("collect")
  local w0, c0 = go.now(), os.clock()
  body()
  local c1, w1 = os.clock(), go.now()
  return w1 - w0, c1 - c0
end

--- status_kb(field) -> a field of /proc/self/status in KB ("VmRSS", "VmHWM")
M.status_kb = lib.status_kb

--- wrong(fmt, ...): print "wrong=<why>" and exit 1
function M.wrong (fmt, ...)
  io.stdout:write("wrong=", (fmt:format(...):gsub("\n", " ")), "\n")
  io.stdout:flush()
  os.exit(1)
end

--- check(cond, fmt, ...): wrong(fmt, ...) unless cond
function M.check (cond, fmt, ...)
  if not cond then M.wrong(fmt, ...) end
end

--- report(t): print the result line of t = {wall =, cpu =, n =, more keys}
function M.report (t)
  io.stdout:write(lib.kv_line(t), "\n")
  io.stdout:flush()
end

--- all_finished() -> true when every goroutine of the program has finished (after letting
-- those that were woken last run)
function M.all_finished ()
  go.yield()
  return go.numgoroutine() == 1
end

--- run_sum(n, body, want): the shape of B1, B2, B6 and B8: body(count) runs
-- the benchmark over count items and returns a sum; a warm-up run, the
-- measured run, whose sum must be want, no goroutine left, the result line
function M.run_sum (n, body, want)
  body(M.warmup(n))
  local sum
  local wall, cpu = M.timed(function () sum = body(n) end)
  M.check(sum == want, "sum %s, want %d", tostring(sum), want)
  M.check(M.all_finished(), "goroutines left: %d", go.numgoroutine() - 1)
  M.report { wall = wall, cpu = cpu, n = n }
end

return M
