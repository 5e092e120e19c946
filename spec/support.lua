--- Shared helpers for the specs: `local support = require "spec.support"`.
local support = {}

local LUA = os.getenv("LUA") or "lua5.4"
local ROOT = os.getenv("PWD") or "."

--- Run Lua source in a fresh lua5.4 process that can require the built
-- gochan; returns its combined output and exit code. For behaviour that
-- must not leak into this process: deadlocks, exit with goroutines alive,
-- memory measurements.
function support.run_lua(src)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(string.format(
    "package.path = %q .. package.path\npackage.cpath = %q .. package.cpath\n",
    ROOT .. "/lua/?.lua;" .. ROOT .. "/lua/?/init.lua;",
    ROOT .. "/build/?.so;"))
  f:write(src)
  f:close()
  local p = assert(io.popen(LUA .. " " .. path .. " 2>&1; echo \"EXIT:$?\""))
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

return support
