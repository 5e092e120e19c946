--- Shared helpers for the specs: `local support = require "spec.support"`.
local support = {}

local LUA = os.getenv("LUA") or "lua5.4"
local ROOT = os.getenv("PWD") or "."

--- has(msg, text): plain find of 'text' in tostring(msg).
function support.has(msg, text)
  return string.find(tostring(msg), text, 1, true) ~= nil
end

--- Run Lua source in a fresh lua5.4 process that can require the built
-- gochan; returns its combined output and exit code. For behaviour that
-- must not leak into this process: deadlocks, exit with goroutines alive,
-- memory measurements. 'prefix' (optional) goes before the interpreter in
-- the command: "timeout 30 ", "taskset -c 0 ".
function support.run_lua(src, prefix)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(string.format(
    "package.path = %q .. package.path\npackage.cpath = %q .. package.cpath\n",
    ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;",
    ROOT .. "/build/?.so;"))
  f:write(src)
  f:close()
  local p = assert(io.popen((prefix or "") .. LUA .. " " .. path .. " 2>&1; echo \"EXIT:$?\""))
  local out = p:read("a")
  p:close()
  os.remove(path)
  local code = tonumber(out:match("EXIT:(%d+)%s*$"))
  return out:gsub("EXIT:%d+%s*$", ""), code
end

--- Run fn as a goroutine and wait for it from the main goroutine; errors
-- inside it reach the caller with their traceback.
function support.run(fn, ...)
  local go = require "gochan"
  local done = go.chan(1)
  local args = table.pack(...)
  go(function()
    fn(table.unpack(args, 1, args.n))
    done:send(true)
  end)
  assert(done:recv())
end

--- settle: let every other runnable goroutine run until it blocks.
function support.settle(n)
  local go = require "gochan"
  for _ = 1, n or 20 do go.yield() end
end

--- logger: a list plus a function that appends to it.
function support.logger()
  local log = {}
  return log, function(e) log[#log + 1] = e end
end

--- leakcheck(kinds [, nowaiters]) -> before, after: STYLE.md 2.11's leak
-- check, as the functions for before_each and after_each: after a case, once
-- garbage is collected and the threads it started have ended,
-- go.debug.stats() counts no more of 'kinds' than before it (and, with
-- nowaiters, nothing waits at all). Fails after 5 s.
function support.leakcheck(kinds, nowaiters)
  local go = require "gochan"
  local before
  return function() before = go.debug.stats() end, function()
    local deadline = go.now() + 5
    while true do
      collectgarbage()
      collectgarbage()
      local now, extra = go.debug.stats(), {}
      for _, k in ipairs(kinds) do
        if now[k] > before[k] then extra[#extra + 1] = ("%s %d -> %d"):format(k, before[k], now[k]) end
      end
      if #extra == 0 and (not nowaiters or now.waiters == 0) then return end
      assert(go.now() < deadline, "still alive after the case: " .. table.concat(extra, ", ")
             .. (nowaiters and " (waiters " .. now.waiters .. ")" or ""))
      go.sleep(0.005)
    end
  end
end

--- objects() -> objs, cleanup: one object of each class the module makes,
-- keyed by class name ("gochan.Chan", ...), and a function that releases
-- them (api_spec and types_spec compare them with the docs).
function support.objects()
  local go = require "gochan"
  local mu = go.mutex()
  local t, tk = go.timer(3600), go.ticker(3600)
  local objs = {
    ["gochan.Chan"] = go.chan(), ["gochan.WaitGroup"] = go.waitgroup(), ["gochan.Mutex"] = mu,
    ["gochan.RWMutex"] = go.rwmutex(), ["gochan.Once"] = go.once(),
    ["gochan.Cond"] = go.cond(go.mutex()), ["gochan.Guard"] = mu:lock(), ["gochan.Timer"] = t,
    ["gochan.Ticker"] = tk, ["gochan.Thread"] = go.thread(function() end),
    ["gochan.Case"] = go.recv(nil),
  }
  return objs, function()
    mu:unlock()
    t:stop()
    tk:stop()
    objs["gochan.Thread"]:join()
  end
end

--- timermethods(index) -> the method table of a timer, found among the
-- upvalues of its __index function (the only table of functions with no
-- __name); or nil and why.
function support.timermethods(index)
  local found
  for i = 1, 255 do
    local name, v = debug.getupvalue(index, i)
    if name == nil then break end
    if type(v) == "table" and rawget(v, "__name") == nil and next(v) ~= nil then
      local allfuncs = true
      for _, f in pairs(v) do
        if type(f) ~= "function" then allfuncs = false end
      end
      if allfuncs then
        if found then return nil, "two method tables behind a timer's __index" end
        found = v
      end
    end
  end
  if not found then return nil, "cannot find the method table behind a timer's __index" end
  return found
end

return support
