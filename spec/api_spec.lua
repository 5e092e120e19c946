-- docs/api.md against the code: every public function, method, field and
-- operator of the loaded module is documented, everything documented
-- exists, and every error text the reference lists appears in csrc/*.c.
--
-- Conventions read from docs/api.md (its "How to read this page"):
-- - each entry is a level-3 heading ("### ") holding its signature in
--   backticks: `go.chan([n])`, `ch:send(v)`, `t.C`, `#ch`, `tostring(ch)`,
--   `ch == other`, `local ch <close> = go.chan()`, `go(f, ...)`;
-- - a method's receiver names its type (ch, wg, mu, rw, once, cond, guard,
--   t, tk, th);
-- - the rows of the table under "## Error texts" hold the exact texts, with
--   placeholders in angle brackets.
local go = require "gochan"
local support = require "spec.support"

local DOC = "docs/api.md"
local CSRC = { "chan", "core", "sched", "select", "sync", "timer" }  -- at least these

-- receiver name in a signature -> kind of object
local RECEIVERS = {
  ch = "chan", wg = "waitgroup", mu = "mutex", rw = "rwmutex", once = "once",
  cond = "cond", guard = "guard", t = "timer", tk = "ticker", th = "thread",
}

-- metatable entries that are machinery, not API
local MACHINERY = { __gc = true, __index = true, __name = true, __metatable = true, __mode = true }


-- readfile: the contents of 'path', or fails.
local function readfile(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- difference: keys of 'a' that are not in 'b', sorted.
local function difference(a, b)
  local d = {}
  for k in pairs(a) do
    if not b[k] then d[#d + 1] = k end
  end
  table.sort(d)
  return d
end


--[[ The documented names ]]

-- addto: t[kind][name] = true
local function addto(t, kind, name)
  t[kind] = t[kind] or {}
  t[kind][name] = true
end

--- parsedoc: the names documented in headings of 'text':
-- { module = set, modmeta = set, methods = {kind = set}, fields = {kind = set},
--   meta = {kind = set}, bad = list of signatures not understood }
local function parsedoc(text)
  local d = { module = {}, modmeta = {}, methods = {}, fields = {}, meta = {}, bad = {} }
  local function receiver(name, sig)
    local kind = RECEIVERS[name]
    if not kind then d.bad[#d.bad + 1] = sig .. " (unknown receiver '" .. name .. "')" end
    return kind
  end
  for heading in text:gmatch("\n### ([^\n]*)") do
    for sig in heading:gmatch("`([^`]+)`") do
      local known = false
      if sig:find("^go%(") then
        d.modmeta.__call, known = true, true
      end
      for name in sig:gmatch("%f[%w_]go%.([%a_][%w_]*)") do
        d.module[name], known = true, true
      end
      for r, name in sig:gmatch("([%a_][%w_]*):([%a_][%w_]*)%(") do
        local kind = receiver(r, sig)
        if kind then addto(d.methods, kind, name) end
        known = true
      end
      for r, name in sig:gmatch("%f[%w_]([%a_][%w_]*)%.(%u[%w_]*)%f[^%w_]") do
        local kind = receiver(r, sig)
        if kind then addto(d.fields, kind, name) end
        known = true
      end
      local r = sig:match("^#([%a_][%w_]*)$")
      if r then addto(d.meta, receiver(r, sig) or "?", "__len"); known = true end
      r = sig:match("^tostring%(([%a_][%w_]*)%)$")
      if r then addto(d.meta, receiver(r, sig) or "?", "__tostring"); known = true end
      r = sig:match("^([%a_][%w_]*) == [%a_][%w_]*$")
      if r then addto(d.meta, receiver(r, sig) or "?", "__eq"); known = true end
      r = sig:match("^local ([%a_][%w_]*) <close>")
      if r then addto(d.meta, receiver(r, sig) or "?", "__close"); known = true end
      if not known then d.bad[#d.bad + 1] = sig end
    end
  end
  return d
end


--[[ The names the code has ]]


-- actual: { methods = set, fields = set, meta = set } of object 'obj'
local function actual(obj, probefields)
  local mt = assert(debug.getmetatable(obj), "no metatable")
  local a = { methods = {}, fields = {}, meta = {} }
  for k in pairs(mt) do
    if type(k) == "string" and k:find("^__") and not MACHINERY[k] then a.meta[k] = true end
  end
  local index = rawget(mt, "__index")
  if type(index) == "table" then
    for k, v in pairs(index) do
      if type(v) == "function" then a.methods[k] = true else a.fields[k] = true end
    end
  elseif type(index) == "function" then
    local methods = assert(support.timermethods(index))
    for k in pairs(methods) do a.methods[k] = true end
    for k in pairs(methods) do assert(obj[k] ~= nil, "method " .. k .. " not reachable") end
  end
  for _, k in ipairs(probefields or {}) do
    if obj[k] ~= nil then a.fields[k] = true end
  end
  return a
end

-- CLASS: the class of each kind of object docs/api.md describes
local CLASS = {
  chan = "gochan.Chan", waitgroup = "gochan.WaitGroup", mutex = "gochan.Mutex",
  rwmutex = "gochan.RWMutex", once = "gochan.Once", cond = "gochan.Cond", guard = "gochan.Guard",
  timer = "gochan.Timer", ticker = "gochan.Ticker", thread = "gochan.Thread",
}


--[[ Error texts ]]

--- cstrings: the string literals of C source 's', adjacent literals joined
-- (as the compiler does), comments skipped. Each item: { text, pos }.
local function cstrings(s)
  local out, i, n = {}, 1, #s
  local cur, curpos, lastend = nil, nil, nil
  local esc = { n = "\n", t = "\t", ["\\"] = "\\", ['"'] = '"', ["'"] = "'" }
  local function flush()
    if cur then out[#out + 1] = { text = table.concat(cur), pos = curpos } end
    cur = nil
  end
  while i <= n do
    local c = s:sub(i, i)
    if s:sub(i, i + 1) == "/*" then
      i = (select(2, s:find("*/", i + 2, true)) or n) + 1
    elseif s:sub(i, i + 1) == "//" then
      i = (s:find("\n", i, true) or n) + 1
    elseif c == "'" then  -- character literal
      local j = i + 1
      if s:sub(j, j) == "\\" then j = j + 1 end
      i = (s:find("'", j + 1, true) or n) + 1
    elseif c == '"' then
      local buf, j = {}, i + 1
      while j <= n and s:sub(j, j) ~= '"' do
        local ch = s:sub(j, j)
        if ch == "\\" then
          j = j + 1
          ch = esc[s:sub(j, j)] or s:sub(j, j)
        end
        buf[#buf + 1] = ch
        j = j + 1
      end
      if cur and s:sub(lastend + 1, i - 1):find("^%s*$") then
        cur[#cur + 1] = table.concat(buf)  -- "a" "b" is "ab"
      else
        flush()
        cur, curpos = { table.concat(buf) }, i
      end
      lastend = j
      i = j + 1
    else
      if cur and not c:find("%s") then flush() end
      i = i + 1
    end
  end
  flush()
  return out
end

-- normal: a text with placeholders and format specifiers made comparable.
local function normalc(text)
  text = text:gsub("%%%%", "\0"):gsub("%%[%-%d%.]*[hljzt]*[dIsfcpUu]", "<>"):gsub("%z", "%%")
  return (text:gsub("^%s+", ""):gsub("%s+$", ""))
end

local function normaldoc(text)
  text = text:gsub("<[^>]*>", "<>")
  return (text:gsub("^%s+", ""):gsub("%s+$", ""))
end

-- sources: { name = contents } of csrc/*.c: the files git tracks (work in
-- progress not yet added is left out), else every csrc/*.c, else at least
-- the files this module is built from.
local function sources()
  local files, list = {}, {}
  for _, cmd in ipairs { "git ls-files 'csrc/*.c' 2>/dev/null", "ls csrc/*.c 2>/dev/null" } do
    local p = io.popen(cmd)
    if p then
      for name in p:read("a"):gmatch("[^\n]+") do list[#list + 1] = name end
      p:close()
    end
    if #list > 0 then break end
  end
  if #list == 0 then
    for _, base in ipairs(CSRC) do list[#list + 1] = "csrc/" .. base .. ".c" end
  end
  for _, name in ipairs(list) do files[name] = readfile(name) end
  return files
end

-- doctexts: the texts of the table under "## Error texts".
local function doctexts(text)
  local section = assert(text:match("\n## Error texts\n(.-)\n## "), "no '## Error texts' section")
  local texts = {}
  for row in section:gmatch("\n| `([^`]+)` |") do texts[#texts + 1] = row end
  return texts
end

-- raisedtexts: { text, file } of literals passed to the C calls that raise
-- or print errors (luaL_error, luaL_argerror, luaL_argcheck,
-- luaL_checkstack, fprintf), pure formats such as "%s" left out.
local function raisedtexts(files)
  local out, seen = {}, {}
  for name, src in pairs(files) do
    local lits = cstrings(src)
    for _, fn in ipairs { "luaL_error", "luaL_argerror", "luaL_argcheck",
                          "luaL_checkstack", "fprintf" } do
      local from = 1
      while true do
        local s, e = src:find("%f[%w_]" .. fn .. "%s*%(", from)
        if not s then break end
        local stop = src:find(";", e, true) or #src
        for _, lit in ipairs(lits) do
          if lit.pos > e and lit.pos < stop then
            local t = normalc(lit.text)
            if t:find("%a") and not seen[name .. "\0" .. t] then
              seen[name .. "\0" .. t] = true
              out[#out + 1] = { text = lit.text, file = name }
            end
            break
          end
        end
        from = e + 1
      end
    end
  end
  return out
end


describe("docs/api.md", function()
  local text = readfile(DOC)
  local doc = parsedoc(text)

  it("uses only signatures the spec understands in its headings", function()
    assert.same({}, doc.bad)
  end)

  describe("module functions and fields", function()
    it("documents every key of require 'gochan'", function()
      local keys = {}
      for k in pairs(go) do keys[k] = true end
      assert.same({}, difference(keys, doc.module))
    end)

    it("documents only keys the module has", function()
      local keys = {}
      for k in pairs(go) do keys[k] = true end
      assert.same({}, difference(doc.module, keys))
    end)

    it("documents go(f, ...) exactly when the module is callable", function()
      local mt = getmetatable(go)
      assert.equal(mt ~= nil and mt.__call ~= nil, doc.modmeta.__call == true)
    end)
  end)

  describe("methods, fields and operators", function()
    local kinds = { "chan", "waitgroup", "mutex", "rwmutex", "once", "cond", "guard", "timer", "ticker",
                    "thread" }

    for _, kind in ipairs(kinds) do
      it("of " .. kind .. " objects match the code", function()
        local objs, cleanup = support.objects()
        local ok, a = pcall(actual, objs[CLASS[kind]], { "C" })
        cleanup()
        assert(ok, a)
        local dm, df = doc.methods[kind] or {}, doc.fields[kind] or {}
        assert.same({ undocumented = {}, absent = {} },
                    { undocumented = difference(a.methods, dm), absent = difference(dm, a.methods) },
                    "methods")
        assert.same({ undocumented = {}, absent = {} },
                    { undocumented = difference(a.fields, df), absent = difference(df, a.fields) },
                    "fields")
        if kind ~= "ticker" then  -- a Ticker shares the Timer's metatable
          local dmeta = doc.meta[kind] or {}
          assert.same({ undocumented = {}, absent = {} },
                      { undocumented = difference(a.meta, dmeta), absent = difference(dmeta, a.meta) },
                      "operators (metamethods)")
        end
      end)
    end

    it("finds the methods of every kind (the probe itself works)", function()
      local objs, cleanup = support.objects()
      local t = actual(objs["gochan.Timer"], { "C" })
      local ch = actual(objs["gochan.Chan"])
      cleanup()
      assert.is_true(t.methods.stop and t.methods.reset and t.fields.C)
      assert.is_true(ch.methods.send and ch.meta.__len and ch.meta.__close)
    end)
  end)

  describe("error texts", function()
    local files = sources()
    local literals = {}
    for _, src in pairs(files) do
      for _, lit in ipairs(cstrings(src)) do literals[normalc(lit.text)] = true end
    end
    local texts = doctexts(text)

    it("are listed (the table parses)", function()
      assert.is_true(#texts >= 20, "only " .. #texts .. " texts found")
    end)

    it("each appear in csrc/*.c exactly", function()
      local missing = {}
      for _, t in ipairs(texts) do
        if not literals[normaldoc(t)] then missing[#missing + 1] = t end
      end
      assert.same({}, missing)
    end)

    it("cover every text csrc/*.c raises or prints", function()
      local documented, missing = {}, {}
      for _, t in ipairs(texts) do documented[normaldoc(t)] = true end
      for _, r in ipairs(raisedtexts(files)) do
        if not documented[normalc(r.text)] then
          missing[#missing + 1] = r.file .. ": " .. r.text
        end
      end
      table.sort(missing)
      assert.same({}, missing)
    end)
  end)

  describe("the C-source reader of this spec", function()
    it("joins adjacent literals and skips comments and character literals", function()
      local lits = cstrings('/* "no" */ f(\'"\', "a" "b"\n  "c"); g("d\\n");')
      local got = {}
      for _, l in ipairs(lits) do got[#got + 1] = l.text end
      assert.same({ "abc", "d\n" }, got)
    end)

    it("compares formats with placeholders", function()
      assert.equal(normalc("\ngoroutine %I [%s]: "), normaldoc("goroutine <N> [<reason>]: "))
      assert.equal(normalc("100%% %d"), "100% <>")
      assert.equal(normalc("goroutine %lld (thread %d)"), normaldoc("goroutine <N> (thread <T>)"))
    end)
  end)
end)
