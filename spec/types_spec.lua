-- types/gochan.d.lua (LuaLS annotations, STYLE.md 2.10) against the code:
-- every annotated function, method and field exists in the loaded module
-- and its objects, every public name of them is annotated, and the
-- annotations follow the conventions (paired returns, @async on what can
-- park, @nodiscard on constructors, the parameter names of docs/api.md).
--
-- The annotation file is read as text, in the shapes it uses:
--   ---@class NAME            followed by `local Var = {}`, `go.x = {}` or
--                             nothing (a type only: a record, a guard)
--   ---@field / ---@operator / ---@overload  inside a class block
--   function Var.name(...) / function Var:name(...) / function go.debug.name(...)
--   go.name = <literal>       a module value
-- with the `---@...` lines just above each one as its annotations.
local go = require "gochan"
local support = require "spec.support"

local META = "types/gochan.d.lua"
local DOC = "docs/api.md"

-- The object classes and how to make one of each (with a cleanup).
local OBJECT_CLASSES = {
  "gochan.Chan", "gochan.WaitGroup", "gochan.Mutex", "gochan.RWMutex", "gochan.Once",
  "gochan.Cond", "gochan.Guard", "gochan.Timer", "gochan.Ticker", "gochan.Thread", "gochan.Case",
}

-- docs/api.md's receivers (its "How to read this page") -> class
local RECEIVERS = {
  ch = "gochan.Chan", wg = "gochan.WaitGroup", mu = "gochan.Mutex", rw = "gochan.RWMutex",
  once = "gochan.Once", cond = "gochan.Cond", t = "gochan.Timer", tk = "gochan.Ticker",
  th = "gochan.Thread",
}

-- What can park the calling goroutine (docs/api.md: "Blocks"), as
-- "Class:method" or "go.name"; the range iterator is checked on its own.
local ASYNC = {
  ["go.yield"] = true, ["go.select"] = true, ["go.sleep"] = true,
  ["gochan.Thread:join"] = true, ["gochan.Chan:send"] = true, ["gochan.Chan:recv"] = true,
  ["gochan.WaitGroup:wait"] = true, ["gochan.Mutex:lock"] = true, ["gochan.RWMutex:lock"] = true,
  ["gochan.RWMutex:rlock"] = true, ["gochan.Once:call"] = true, ["gochan.Cond:wait"] = true,
}

-- Module functions returning an object whose result may be dropped on
-- purpose (docs/api.md): a Thread that is never joined leaks nothing, an
-- after_func Timer need not be kept.
local DISCARDABLE = { ["go.thread"] = true, ["go.after_func"] = true }

-- Metamethods that LuaLS can annotate with ---@operator.
local OPERATORS = {
  __add = "add", __sub = "sub", __mul = "mul", __div = "div", __mod = "mod", __pow = "pow",
  __unm = "unm", __idiv = "idiv", __band = "band", __bor = "bor", __bxor = "bxor",
  __bnot = "bnot", __shl = "shl", __shr = "shr", __concat = "concat", __len = "len",
  __call = "call",
}

-- LuaLS's own type names (and literals) that need no declaration.
local BUILTIN = {
  ["nil"] = true, any = true, boolean = true, string = true, number = true, integer = true,
  ["function"] = true, table = true, thread = true, userdata = true, lightuserdata = true,
  fun = true, async = true, ["true"] = true, ["false"] = true,
}


-- readfile: the contents of 'path', or fails.
local function readfile(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

-- set: a set of the list's items
local function set(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
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

-- both: { unannotated = ..., absent = ... } between the code's names and
-- the annotated ones (both empty when they agree).
local function both(code, annotated)
  return { unannotated = difference(code, annotated), absent = difference(annotated, code) }
end


--[[ Reading the annotation file ]]

-- parseparam: "name? type rest" of a ---@param line.
local function parseparam(text)
  local name, opt, rest = text:match("^([%a_][%w_]*)(%??)%s+(.*)$")
  if not name then name, rest = text:match("^(%.%.%.)%s*(.*)$"); opt = "" end
  if not name then return nil end
  return { name = name, optional = opt == "?", type = rest }
end

-- parseparams: the parameter names of a Lua parameter list "a, b, ..."
local function parseparams(s)
  local list = {}
  for p in s:gmatch("[^,%s]+") do list[#list + 1] = p end
  return list
end

--- parsemeta: the classes, functions and values of annotation file 'text':
-- { classes = {name = class}, aliases = set, funcs = list, values = list,
--   bad = list of lines not understood }
-- class: { name, var, fields = set, operators = set, overloads = list }
-- func: { class, name, method, params = list, ann = annotations, line }
-- annotations: { async, nodiscard, params = list, returns = list of texts,
--   overloads = list, types = list of every type text }
local function parsemeta(text)
  local m = { classes = {}, aliases = {}, funcs = {}, values = {}, bad = {}, vars = {}, types = {} }
  local block = {}
  local lineno = 0

  local function annotations()
    local a = { params = {}, returns = {}, overloads = {}, types = {}, fields = {}, operators = {} }
    for _, l in ipairs(block) do
      local tag, rest = l:match("^%-%-%-@(%a+)%s*(.-)%s*$")
      if tag == "async" then a.async = true
      elseif tag == "nodiscard" then a.nodiscard = true
      elseif tag == "param" then
        local p = parseparam(rest)
        if p then a.params[#a.params + 1] = p; a.types[#a.types + 1] = p.type
        else m.bad[#m.bad + 1] = l end
      elseif tag == "return" then a.returns[#a.returns + 1] = rest; a.types[#a.types + 1] = rest
      elseif tag == "overload" then a.overloads[#a.overloads + 1] = rest; a.types[#a.types + 1] = rest
      elseif tag == "type" then a.type = rest; a.types[#a.types + 1] = rest
      elseif tag == "class" then a.class = rest:match("^([%w_.]+)")
      elseif tag == "alias" then a.alias = rest:match("^([%w_.]+)"); a.types[#a.types + 1] = rest
      elseif tag == "field" then
        local name, ftype = rest:match("^([%a_][%w_]*)%??%s+(.*)$")
        if name then a.fields[name] = true end
        a.types[#a.types + 1] = ftype or rest:match("^%[[^%]]*%]%s+(.*)$") or rest
      elseif tag == "operator" then
        local op, otype = rest:match("^(%a+)[^:]*:%s*(.*)$")
        if op then a.operators[op] = true end
        a.types[#a.types + 1] = otype or rest
      elseif tag == "meta" then a.meta = true
      elseif tag then m.bad[#m.bad + 1] = l .. " (unknown tag)"
      end
    end
    return a
  end

  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    lineno = lineno + 1
    if line:find("^%-%-%-") then
      block[#block + 1] = line
    else
      local a = annotations()
      if a.alias then m.aliases[a.alias] = true end
      local cls
      if a.class then
        cls = { name = a.class, fields = a.fields, operators = a.operators, overloads = a.overloads,
                types = a.types }
        m.classes[a.class] = cls
      end
      local var = line:match("^local%s+([%a_][%w_]*)%s*=%s*{}%s*$")
                  or line:match("^([%a_][%w_.]*)%s*=%s*{}%s*$")
      local owner, sep, fname, params = line:match("^function%s+([%a_][%w_.]*)([.:])([%a_][%w_]*)%s*%((.-)%)")
      local vowner, vname, value = line:match("^([%a_][%w_.]*)%.([%a_][%w_]*)%s*=%s*(.-)%s*$")
      if var and cls then
        cls.var = var
        m.vars[var] = cls
        local parent, field = var:match("^(.*)%.([%a_][%w_]*)$")
        if parent then  -- go.debug = {}: a field of its parent too
          m.values[#m.values + 1] = { owner = parent, name = field, line = lineno }
        end
      elseif owner then
        m.funcs[#m.funcs + 1] = { owner = owner, name = fname, method = sep == ":",
                                  params = parseparams(params), ann = a, line = lineno }
      elseif vowner and value ~= "{}" then
        m.values[#m.values + 1] = { owner = vowner, name = vname, value = value, ann = a,
                                    line = lineno }
      elseif line:find("^%s*$") or line:find("^%-%-") or line:find("^return [%a_][%w_]*$") then
        -- blank lines, comments, the final return
        if a.class == nil and #block > 0 and (#a.params > 0 or #a.returns > 0) then
          m.bad[#m.bad + 1] = lineno .. ": annotations attached to nothing"
        end
      else
        m.bad[#m.bad + 1] = lineno .. ": " .. line
      end
      for _, t in ipairs(a.types) do m.types[#m.types + 1] = t end
      block = {}
    end
  end
  -- resolve owners (variables) to classes
  for _, f in ipairs(m.funcs) do
    local cls = m.vars[f.owner]
    f.class = cls and cls.name
    if not cls then m.bad[#m.bad + 1] = f.line .. ": function of unknown table " .. f.owner end
    f.id = (f.class == "gochan" and "go." or f.class == "gochan.debug" and "go.debug." or
            (f.class or "?") .. ":") .. f.name
  end
  for _, v in ipairs(m.values) do
    local cls = m.vars[v.owner]
    v.class = cls and cls.name
    if not cls then m.bad[#m.bad + 1] = v.line .. ": value of unknown table " .. v.owner end
  end
  return m
end

-- namesof: { methods = set, fields = set } annotated for class 'name'
local function namesof(m, name)
  local n = { methods = {}, fields = {} }
  for _, f in ipairs(m.funcs) do
    if f.class == name then
      if f.method then n.methods[f.name] = true else n.fields[f.name] = true end
    end
  end
  for _, v in ipairs(m.values) do
    if v.class == name then n.fields[v.name] = true end
  end
  for k in pairs(m.classes[name] and m.classes[name].fields or {}) do n.fields[k] = true end
  return n
end

-- findfunc: the annotated function with id 'id' ("go.chan", "gochan.Chan:recv")
local function findfunc(m, id)
  for _, f in ipairs(m.funcs) do
    if f.id == id then return f end
  end
end


--[[ The names the code has ]]


-- actual: { methods = set, fields = set, operators = set } of object 'obj';
-- 'probe' lists field names looked up on it (an __index function hides them).
local function actual(obj, probe)
  local a = { methods = {}, fields = {}, operators = {} }
  local mt = debug.getmetatable(obj)
  if mt == nil then return a end
  for k, op in pairs(OPERATORS) do
    if rawget(mt, k) ~= nil then a.operators[op] = true end
  end
  local index = rawget(mt, "__index")
  if type(index) == "table" then
    for k, v in pairs(index) do
      if type(v) == "function" then a.methods[k] = true else a.fields[k] = true end
    end
  elseif type(index) == "function" then
    for k in pairs(assert(support.timermethods(index))) do a.methods[k] = true end
  end
  for _, k in ipairs(probe or {}) do
    local ok, v = pcall(function() return obj[k] end)  -- a Case cannot be indexed
    if ok and v ~= nil then a.fields[k] = true end
  end
  return a
end



--[[ docs/api.md's signatures ]]

-- sigparams: { names = list, optional = set } of a signature's "a, b [, c]"
local function sigparams(s)
  local names, optional = {}, {}
  local depth, i = 0, 1
  while i <= #s do
    local c = s:sub(i, i)
    if c == "[" then depth = depth + 1; i = i + 1
    elseif c == "]" then depth = depth - 1; i = i + 1
    else
      local name = s:match("^[%a_][%w_]*", i) or s:match("^%.%.%.", i)
      if name then
        names[#names + 1] = name
        if depth > 0 then optional[name] = true end
        i = i + #name
      else
        i = i + 1
      end
    end
  end
  return { names = names, optional = optional }
end

-- docsigs: { id = {names, optional} } of the function and method
-- signatures in docs/api.md's level-3 headings (ids as in findfunc).
local function docsigs(text)
  local sigs = {}
  for heading in text:gmatch("\n### ([^\n]*)") do
    for sig in heading:gmatch("`([^`]+)`") do
      local name, params = sig:match("^go%.([%w_.]+)%((.*)%)$")
      if name then
        sigs["go." .. name] = sigparams(params)
      else
        local r, mname, mparams = sig:match("^([%a_][%w_]*):([%a_][%w_]*)%((.*)%)$")
        if r and RECEIVERS[r] then sigs[RECEIVERS[r] .. ":" .. mname] = sigparams(mparams) end
      end
    end
  end
  return sigs
end


describe("types/gochan.d.lua", function()
  local m = parsemeta(readfile(META))

  it("has only lines the spec understands", function()
    assert.same({}, m.bad)
  end)

  it("is a ---@meta file for require 'gochan' that returns the module", function()
    local text = readfile(META)
    assert.truthy(text:find("^%-%-%-@meta gochan\n"))
    assert.truthy(text:find("\nreturn go%s*$"))
    assert.equal("gochan", m.vars.go and m.vars.go.name)
  end)

  describe("the module", function()
    it("annotates every key of require 'gochan'", function()
      local keys = {}
      for k in pairs(go) do keys[k] = true end
      local n = namesof(m, "gochan")
      local annotated = {}
      for k in pairs(n.fields) do annotated[k] = true end
      for k in pairs(n.methods) do annotated[k .. " (as a method)"] = true end
      assert.same({ unannotated = {}, absent = {} }, both(keys, annotated))
    end)

    it("annotates go(f, ...) as an overload of the class exactly when the module is callable", function()
      local mt = getmetatable(go)
      local callable = mt ~= nil and mt.__call ~= nil
      local overloads = m.classes.gochan.overloads
      assert.equal(callable, #overloads > 0)
      assert.truthy(overloads[1]:find("^fun%(f: [^,]+, %.%.%.: any%): integer$"), overloads[1])
    end)

    it("gives the module's values as they are", function()
      local wrong = {}
      for _, v in ipairs(m.values) do
        if v.class == "gochan" and v.value then
          local ok, val = pcall(load("return " .. v.value, "=value", "t", {}))
          if not ok or go[v.name] ~= val then
            wrong[#wrong + 1] = v.name .. " = " .. v.value .. " (module: " .. tostring(go[v.name]) .. ")"
          end
        end
      end
      assert.same({}, wrong)
    end)

    it("annotates every function of go.debug, and only those", function()
      local keys = {}
      for k in pairs(go.debug) do keys[k] = true end
      assert.same({ unannotated = {}, absent = {} }, both(keys, namesof(m, "gochan.debug").fields))
    end)
  end)

  describe("object classes", function()
    it("are all declared", function()
      local missing = {}
      for _, name in ipairs(OBJECT_CLASSES) do
        if not m.classes[name] then missing[#missing + 1] = name end
      end
      assert.same({}, missing)
    end)

    for _, name in ipairs(OBJECT_CLASSES) do
      it(name .. " annotates the methods, fields and operators its objects have, and only those", function()
        local objs, cleanup = support.objects()
        local ok, a = pcall(actual, objs[name], { "C" })
        cleanup()
        assert(ok, a)
        local n = namesof(m, name)
        local cls = m.classes[name] or { operators = {} }
        assert.same({ unannotated = {}, absent = {} }, both(a.methods, n.methods), "methods")
        assert.same({ unannotated = {}, absent = {} }, both(a.fields, n.fields), "fields")
        assert.same({ unannotated = {}, absent = {} }, both(a.operators, cls.operators), "operators")
      end)
    end

    it("are the classes of the objects the functions return", function()
      local wrong = {}
      local objs, cleanup = support.objects()
      local t = go.after_func(3600, function() end)
      local after = go.after(0)  -- received below: no timer is left armed
      local made = {
        ["go.chan"] = objs["gochan.Chan"], ["go.after"] = after,
        ["go.waitgroup"] = objs["gochan.WaitGroup"], ["go.mutex"] = objs["gochan.Mutex"],
        ["go.rwmutex"] = objs["gochan.RWMutex"], ["go.once"] = objs["gochan.Once"],
        ["go.cond"] = objs["gochan.Cond"], ["go.timer"] = objs["gochan.Timer"],
        ["go.ticker"] = objs["gochan.Ticker"], ["go.after_func"] = t,
        ["go.thread"] = objs["gochan.Thread"], ["go.recv"] = objs["gochan.Case"],
        ["go.send"] = go.send(nil, 1), ["gochan.Mutex:lock"] = objs["gochan.Guard"],
      }
      t:stop()
      after:recv()
      cleanup()
      -- objects of one class share a metatable (a Ticker shares the Timer's)
      local function mtof(o) return tostring(debug.getmetatable(o)) end
      for id, obj in pairs(made) do
        local f = findfunc(m, id)
        local ret = f and f.ann.returns[1] and f.ann.returns[1]:match("^(gochan%.[%w_]+)")
        local want = ret and objs[ret]
        if not f then wrong[#wrong + 1] = id .. ": not annotated"
        elseif not want then wrong[#wrong + 1] = id .. ": returns " .. tostring(f.ann.returns[1])
        elseif mtof(want) ~= mtof(obj) then wrong[#wrong + 1] = id .. ": returns no " .. ret
        end
      end
      table.sort(wrong)
      assert.same({}, wrong)
    end)
  end)

  describe("records", function()
    it("gochan.debug.Stats has the fields of go.debug.stats()", function()
      local keys = {}
      for k in pairs(go.debug.stats()) do keys[k] = true end
      assert.same({ unannotated = {}, absent = {} },
                  both(keys, m.classes["gochan.debug.Stats"].fields))
    end)

    it("gochan.debug.Goroutine has the fields of a go.debug.goroutines() record", function()
      local ch, before = go.chan(), go.numgoroutine()
      local id = go(function() ch:recv() end)
      local rec
      for _ = 1, 100 do  -- until it blocks (GOCHAN_SCHED_SEED may delay it): every field is known
        go.yield()
        for _, g in ipairs(go.debug.goroutines()) do
          if g.id == id then rec = g end
        end
        if rec and rec.status == "waiting" then break end
      end
      ch:close()
      for _ = 1, 100 do  -- until it has ended
        if go.numgoroutine() == before then break end
        go.yield()
      end
      assert.equal(before, go.numgoroutine())
      assert.truthy(rec, "goroutine " .. id .. " not listed")
      local keys = {}
      for k in pairs(rec) do keys[k] = true end
      assert.same({ unannotated = {}, absent = {} },
                  both(keys, m.classes["gochan.debug.Goroutine"].fields))
    end)
  end)

  describe("annotations", function()
    it("mark ---@async exactly the calls that can park", function()
      local marked = {}
      for _, f in ipairs(m.funcs) do
        if f.ann.async then marked[f.id] = true end
      end
      assert.same({ unmarked = {}, wrongly = {} },
                  { unmarked = difference(ASYNC, marked), wrongly = difference(marked, ASYNC) })
    end)

    it("make the range iterator an async function", function()
      local f = assert(findfunc(m, "gochan.Chan:range"))
      assert.truthy(f.ann.returns[1]:find("^async fun%("), f.ann.returns[1])
    end)

    it("pair ch:recv()'s value with ok", function()
      local f = assert(findfunc(m, "gochan.Chan:recv"))
      assert.same({ "any value", "boolean ok" }, f.ann.returns)
    end)

    it("mark ---@nodiscard the module functions that make objects", function()
      local missing = {}
      for _, f in ipairs(m.funcs) do
        local ret = f.ann.returns[1] and f.ann.returns[1]:match("^(gochan%.[%w_]+)")
        local object = ret and set(OBJECT_CLASSES)[ret]
        if f.class == "gochan" and object and not DISCARDABLE[f.id] and not f.ann.nodiscard then
          missing[#missing + 1] = f.id
        end
      end
      assert.same({}, missing)
    end)

    it("give go.chan an overload without n", function()
      local f = assert(findfunc(m, "go.chan"))
      assert.same({ "fun(): gochan.Chan" }, f.ann.overloads)
    end)

    it("name the parameters as the functions do, in order", function()
      local wrong = {}
      for _, f in ipairs(m.funcs) do
        local annotated = {}
        for _, p in ipairs(f.ann.params) do annotated[#annotated + 1] = p.name end
        if table.concat(annotated, ",") ~= table.concat(f.params, ",") then
          wrong[#wrong + 1] = f.id .. ": (" .. table.concat(f.params, ", ") .. ") annotated as ("
                              .. table.concat(annotated, ", ") .. ")"
        end
      end
      assert.same({}, wrong)
    end)

    it("refer only to declared gochan types", function()
      local undeclared = {}
      for _, t in ipairs(m.types) do
        for name in t:gmatch("%f[%w_.]gochan%.[%w_.]*[%w_]") do
          if not m.classes[name] and not m.aliases[name] then undeclared[name] = true end
        end
        local first = t:match("^([%a_][%w_.]*)")
        if first and not first:find("^gochan") and not BUILTIN[first] then
          undeclared[first .. " (in '" .. t .. "')"] = true
        end
      end
      assert.same({}, difference(undeclared, {}))
    end)
  end)

  describe("against docs/api.md", function()
    local sigs = docsigs(readfile(DOC))

    it("reads its signatures (the reader works)", function()
      assert.same({ names = { "ch", "v", "handler" }, optional = { handler = true } }, sigs["go.send"])
      assert.same({ names = { "n" }, optional = { n = true } }, sigs["go.chan"])
      assert.same({ names = { "d" }, optional = {} }, sigs["gochan.Ticker:reset"])
    end)

    it("annotates every documented function and method", function()
      local missing = {}
      for id in pairs(sigs) do
        if not findfunc(m, id) then missing[#missing + 1] = id end
      end
      table.sort(missing)
      assert.same({}, missing)
    end)

    it("uses the documented parameter names, optional where the docs have [brackets]", function()
      local wrong = {}
      for _, f in ipairs(m.funcs) do
        local sig = sigs[f.id]
        if not sig then
          wrong[#wrong + 1] = f.id .. ": not in " .. DOC
        else
          local names, optional = {}, {}
          for _, p in ipairs(f.ann.params) do
            names[#names + 1] = p.name
            if p.optional then optional[p.name] = true end
          end
          if table.concat(names, ",") ~= table.concat(sig.names, ",") then
            wrong[#wrong + 1] = f.id .. ": (" .. table.concat(names, ", ") .. "), documented ("
                                .. table.concat(sig.names, ", ") .. ")"
          end
          local a, b = difference(optional, sig.optional), difference(sig.optional, optional)
          if #a + #b > 0 then
            wrong[#wrong + 1] = f.id .. ": optional parameters differ: "
                                .. table.concat(a, ", ") .. " / " .. table.concat(b, ", ")
          end
        end
      end
      table.sort(wrong)
      assert.same({}, wrong)
    end)
  end)

  describe("the reader of this spec", function()
    it("reads classes, methods, values and their annotations", function()
      local r = parsemeta(table.concat({
        "---@meta x",
        "---@class x.T",
        "---@field C x.T|nil doc",
        "---@operator len: integer",
        "local T = {}",
        "---@class x",
        "---@overload fun(f: function): integer",
        "local go = {}",
        "---@type string",
        "go.v = \"1\"",
        "---@async",
        "---@nodiscard",
        "---@param a? integer doc",
        "---@param ... any",
        "---@return any value",
        "---@return boolean ok",
        "function T:m(a, ...) end",
        "return go",
      }, "\n"))
      assert.same({}, r.bad)
      assert.same({ C = true }, r.classes["x.T"].fields)
      assert.same({ len = true }, r.classes["x.T"].operators)
      assert.same({ "fun(f: function): integer" }, r.classes.x.overloads)
      local f = r.funcs[1]
      assert.same({ "x.T:m", true, true, true }, { f.id, f.method, f.ann.async, f.ann.nodiscard })
      assert.same({ "a", "..." }, f.params)
      assert.same({ { name = "a", optional = true, type = "integer doc" },
                    { name = "...", optional = false, type = "any" } }, f.ann.params)
      assert.same({ "any value", "boolean ok" }, f.ann.returns)
      assert.same({ name = "v", value = '"1"', class = "x" },
                  { name = r.values[1].name, value = r.values[1].value, class = r.values[1].class })
    end)

    it("reports lines it does not understand", function()
      local r = parsemeta("---@meta x\nlocal T = setmetatable({}, {})\n---@wat\nx = 1\n")
      assert.equal(3, #r.bad)
    end)
  end)
end)
