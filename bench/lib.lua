--- bench/lib.lua: small helpers of the benchmark harness (run.lua).
-- Statistics over repeated samples, timing of one measured region, number
-- formatting, table layout (plain text and markdown) and machine facts.
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

--- vmrss_kb() -> VmRSS of this process in KB, or nil
function M.vmrss_kb ()
  local f = io.open("/proc/self/status")
  if not f then return nil end
  for l in f:lines() do
    local kb = l:match("^VmRSS:%s*(%d+)%s*kB")
    if kb then f:close() return tonumber(kb) end
  end
  f:close()
  return nil
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
