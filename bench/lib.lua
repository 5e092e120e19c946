--- bench/lib.lua: small helpers of the benchmark harnesses (run.lua,
-- peers.lua, the gochan sides in bench/gochan/).
-- Statistics over repeated samples, timing of one measured region, number
-- formatting, table layout (plain text and markdown), machine facts, the
-- one-line output of a benchmark program, and the plain Lua floors.
local M = {}

local clock = os.clock

--- stats(samples) -> min, median, max (of a list of numbers; not modified)
function M.stats (samples)
  local s = {}
  for i = 1, #samples do s[i] = samples[i] end
  table.sort(s)
  local n = #s
  if n == 0 then return nil, nil, nil end
  local med
  if n % 2 == 1 then med = s[(n + 1) // 2]
  else med = (s[n // 2] + s[n // 2 + 1]) / 2 end
  return s[1], med, s[n]
end

--- a wall clock if the library has one (go.now), else nil
function M.wallclock (go)
  if type(go) == "table" and type(go.now) == "function" then return go.now end
  return nil
end

--- timed(body [, wall]) -> cpu seconds, wall seconds (or nil)
-- A full collection before the region, so that every region starts from
-- the same heap state; the GC mode is the caller's (same for both sides).
function M.timed (body, wall)
  collectgarbage("collect")
  collectgarbage("collect")
  local w0 = wall and wall()
  local c0 = clock()
  body()
  local c1 = clock()
  local w1 = wall and wall()
  return c1 - c0, w0 and (w1 - w0) or nil
end

--- fmt(x): three significant digits, no exponent for usual sizes
function M.fmt (x)
  if x == nil then return "-" end
  if x ~= x then return "nan" end
  local a = math.abs(x)
  if a >= 100 then return string.format("%.0f", x)
  elseif a >= 10 then return string.format("%.1f", x)
  elseif a >= 1 then return string.format("%.2f", x)
  else return string.format("%.3f", x) end
end

--- pad(s, w [, right]): s padded with spaces to width w (UTF-8 aware)
local function width (s)
  return utf8.len(s) or #s
end
function M.pad (s, w, right)
  local n = w - width(s)
  if n <= 0 then return s end
  if right then return string.rep(" ", n) .. s end
  return s .. string.rep(" ", n)
end

--- text_table(header, rows, rightcols) -> string: aligned columns
function M.text_table (header, rows, rightcols)
  local w = {}
  for i, h in ipairs(header) do w[i] = width(h) end
  for _, r in ipairs(rows) do
    for i, c in ipairs(r) do
      if width(c) > w[i] then w[i] = width(c) end
    end
  end
  local out = {}
  local function line (r)
    local cells = {}
    for i, c in ipairs(r) do cells[i] = M.pad(c, w[i], rightcols[i]) end
    out[#out + 1] = table.concat(cells, "  ")
  end
  line(header)
  local dashes = {}
  for i = 1, #header do dashes[i] = string.rep("-", w[i]) end
  out[#out + 1] = table.concat(dashes, "  ")
  for _, r in ipairs(rows) do line(r) end
  return table.concat(out, "\n")
end

--- md_table(header, rows, rightcols) -> string: a markdown table
function M.md_table (header, rows, rightcols)
  local out = {}
  out[1] = "| " .. table.concat(header, " | ") .. " |"
  local al = {}
  for i = 1, #header do al[i] = rightcols[i] and "---:" or "---" end
  out[2] = "| " .. table.concat(al, " | ") .. " |"
  for _, r in ipairs(rows) do
    local cells = {}
    for i, c in ipairs(r) do cells[i] = (c:gsub("|", "\\|")) end
    out[#out + 1] = "| " .. table.concat(cells, " | ") .. " |"
  end
  return table.concat(out, "\n")
end

--- publish(t): print a result table, then its facts and notes, and write
-- them as markdown to t.md unless it is "-": t = { md =, append = (add to the
-- file), heading = (its first lines), header =, rows =, right =, facts =,
-- notes =, who = (the program, for a write error) }. The markdown goes first:
-- a reader that closes stdout early (| head) must not lose it.
function M.publish (t)
  if t.md ~= "-" then
    local f = io.open(t.md, t.append and "a" or "w")
    if f then
      f:write(t.heading)
      for _, l in ipairs(t.facts) do f:write("- ", l, "\n") end
      f:write("\n", M.md_table(t.header, t.rows, t.right), "\n\n")
      for _, l in ipairs(t.notes) do f:write("- ", l, "\n") end
      f:close()
    else
      io.stderr:write(t.who, ": cannot write " .. t.md .. "\n")
    end
  end
  io.stdout:setvbuf("full")
  print(M.text_table(t.header, t.rows, t.right))
  print()
  for _, l in ipairs(t.facts) do print(l) end
  for _, l in ipairs(t.notes) do print(l) end
  io.stdout:flush()
end

--- sh(cmd) -> first line of its output, or nil
function M.sh (cmd)
  local p = io.popen(cmd .. " 2>/dev/null")
  if not p then return nil end
  local s = p:read("l")
  p:close()
  return s
end

--- cpu_model() -> "model name" of /proc/cpuinfo, or nil
function M.cpu_model ()
  local f = io.open("/proc/cpuinfo")
  if not f then return nil end
  for l in f:lines() do
    local m = l:match("^model name%s*:%s*(.-)%s*$")
    if m then f:close() return m end
  end
  f:close()
  return nil
end

--- status_kb(field) -> a "<field>: N kB" line of /proc/self/status (VmRSS,
-- VmHWM, ...) as a number of KB, or nil
function M.status_kb (field)
  local f = io.open("/proc/self/status")
  if not f then return nil end
  local pat = "^" .. field .. ":%s*(%d+)%s*kB"
  for l in f:lines() do
    local kb = l:match(pat)
    if kb then f:close() return tonumber(kb) end
  end
  f:close()
  return nil
end

--- vmrss_kb() -> VmRSS of this process in KB, or nil
function M.vmrss_kb ()
  return M.status_kb("VmRSS")
end

--- nice() -> this process's nice value (from /proc/self/stat), or nil
function M.nice ()
  local f = io.open("/proc/self/stat")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  local rest = s:match("%)%s+(.*)$")
  if not rest then return nil end
  local fields = {}
  for w in rest:gmatch("%S+") do fields[#fields + 1] = w end
  return tonumber(fields[17])  -- field 19 of stat; 'rest' starts at field 3
end

--- kv_line(t) -> "wall=<s> cpu=<s> n=<N> k=v ...": the one line a benchmark
-- program prints (the numbers of t; wall, cpu and n first, then the others
-- sorted; integers as integers)
function M.kv_line (t)
  local first = { wall = 1, cpu = 2, n = 3 }
  local keys = {}
  for k, v in pairs(t) do
    if type(v) == "number" then keys[#keys + 1] = k end
  end
  table.sort(keys, function (a, b)
    local fa, fb = first[a] or 4, first[b] or 4
    if fa ~= fb then return fa < fb end
    return a < b
  end)
  local out = {}
  for i, k in ipairs(keys) do
    local v = t[k]
    out[i] = math.type(v) == "integer" and ("%s=%d"):format(k, v) or ("%s=%.17g"):format(k, v)
  end
  return table.concat(out, " ")
end

--- parse_kv(out) -> table of the numbers of a kv_line (nil if there is no
-- wall= or cpu=), wrong: the text after "wrong=" if the output has one
function M.parse_kv (out)
  local wrong = out:match("wrong=([^\n]*)")
  if wrong then return nil, wrong end
  local s = {}
  for k, v in out:gmatch("([%a_][%w_]*)=(%S+)") do s[k] = tonumber(v) end
  if not s.wall and not s.cpu then return nil end
  return s
end

--- fail(fmt, ...): raise the error a wrong result makes ({wrong = text})
function M.fail (fmt, ...)
  error({ wrong = fmt:format(...) }, 0)
end

--- gauss_sum(n) -> 1 + 2 + ... + n
function M.gauss_sum (n) return n * (n + 1) // 2 end

--- check_sum(what, sum, n): fail unless sum is 1 + 2 + ... + n ('what'
-- names it in the message)
function M.check_sum (what, sum, n)
  if sum ~= M.gauss_sum(n) then M.fail("%s %s, want %d", what, tostring(sum), M.gauss_sum(n)) end
end


--[[ Floors: plain Lua doing the work of a gochan benchmark without gochan
(run.lua and peers.lua). floor(n) -> body, check: body is the measured
region; check (not timed) raises through fail() when the result is wrong. ]]
M.floors = {}
local create, resume, yield = coroutine.create, coroutine.resume, coroutine.yield

--- pingpong: 2 coroutine resume/yield pairs per round trip (a ping-pong
-- round trip between two goroutines is 4 switches)
function M.floors.pingpong (n)
  local co = create(function () while true do yield() end end)
  local m = 2 * n
  return function ()
    for _ = 1, m do resume(co) end
  end, function ()
    if coroutine.status(co) ~= "suspended" then M.fail("floor coroutine is %s", coroutine.status(co)) end
  end
end

--- tablequeue: the plain Lua table queue: a ring of 128 slots, filled then
-- drained in batches of 128 (what a buffered channel does between two
-- switches); sums 1..n
function M.floors.tablequeue (n)
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
    M.check_sum("floor sum", sum, n)
  end
end

--- ccall: B2's work (as tablequeue) through the cheapest channel written
-- in C: a C method per send and a C iterator per receive over a Lua ring
-- table (bench/cmod/floor_ccall.c, built as floor_ccall.so into
-- GOCHAN_BENCHBIN); sums 1..n
function M.floors.ccall (n)
  package.cpath = (os.getenv("GOCHAN_BENCHBIN") or "build/bench") .. "/?.so;" .. package.cpath
  local newq = require "floor_ccall"
  local sum
  return function ()
    local q = newq()
    local it = q:range()
    local s, i = 0, 0
    while i < n do
      local m = n - i
      if m > 128 then m = 128 end
      for _ = 1, m do
        i = i + 1
        q:send(i)
      end
      for v in it do s = s + v end
    end
    sum = s
  end, function ()
    M.check_sum("floor sum", sum, n)
  end
end

--- spawn: coroutine.create + resume to the end, n times (each stores its
-- index; the sum is checked): the floor of starting a goroutine
function M.floors.spawn (n)
  local t = {}
  local function sender (q, i) q[i] = i end
  local sum
  return function ()
    for i = 1, n do resume(create(sender), t, i) end
    local s = 0
    for i = 1, n do s = s + t[i]; t[i] = nil end
    sum = s
  end, function ()
    M.check_sum("floor sum", sum, n)
  end
end

--- timers: B7 without timers or clocks: n coroutines, each started and
-- suspended in a call, then each resumed once, in the order of the B7
-- deadlines (its LCG durations, sorted before the measured region) — what
-- n sleeping goroutines cost plain Lua whatever keeps the deadlines
function M.floors.timers (n)
  local due, order, x = {}, {}, 42
  for i = 1, n do
    x = (x * 1103515245 + 12345) % 2147483648
    due[i], order[i] = x % 100000, i
  end
  table.sort(order, function (a, b) return due[a] < due[b] or (due[a] == due[b] and a < b) end)
  local cos, woke = {}, 0
  local function sleeper () yield(); woke = woke + 1 end
  return function ()
    for i = 1, n do
      local co = create(sleeper)
      resume(co)
      cos[i] = co
    end
    for k = 1, n do
      local i = order[k]
      resume(cos[i])
      cos[i] = nil
    end
  end, function ()
    if woke ~= n then M.fail("floor: %d of %d coroutines woke", woke, n) end
  end
end

--- suspended(n) -> list of n plain coroutines, each suspended in
-- coroutine.yield() inside a function call: the floor of a blocked goroutine
local function sleeper () yield() end
function M.floors.suspended (n)
  local keep = {}
  for i = 1, n do
    local co = create(sleeper)
    resume(co)
    keep[i] = co
  end
  return keep
end

--- shquote(s): s quoted for /bin/sh
function M.shquote (s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

--- interpreter() -> the command that runs this script's Lua (arg[-k])
function M.interpreter ()
  local i = -1
  if type(arg) ~= "table" or arg[-1] == nil then return "lua5.4" end
  while arg[i - 1] ~= nil do i = i - 1 end
  return arg[i]
end

return M
