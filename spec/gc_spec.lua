--- Garbage collection and memory: dropped channels are collected, blocked
-- goroutines are kept (and reported), churn leaves memory flat, closing
-- the Lua state frees everything (API.md "Channels", "Goroutines").
-- Memory measurements run in a fresh process (support.run_lua) so that
-- other specs cannot disturb them.
local go = require "gochan"
local support = require "spec.support"

--- Lua source shared by the measuring scripts: rss() in KB from
-- /proc/self/status, heap() in KB after two full collections.
local MEASURE = [[
local go = require "gochan"
local function rss()
  for l in io.lines("/proc/self/status") do
    local v = l:match("^VmRSS:%s+(%d+)")
    if v then return tonumber(v) end
  end
end
local function heap()
  collectgarbage(); collectgarbage()
  return collectgarbage("count")
end
]]

--- Run a measuring script that prints "key=number" pairs; returns a table
-- of them (fails with the whole output when the script fails).
local function measure(src)
  local out, code = support.run_lua(MEASURE .. src)
  assert(code == 0, out)
  local t = {}
  for k, v in out:gmatch("(%w+)=([%d%.%-e]+)") do t[k] = tonumber(v) end
  return t, out
end

local function full_gc()
  collectgarbage(); collectgarbage()
end

describe("gochan garbage collection", function()

  describe("a dropped channel", function()
    it("is collected when it has no waiters (unbuffered)", function()
      local weak = setmetatable({}, { __mode = "k" })
      weak[go.chan()] = true
      full_gc()
      assert.is_nil(next(weak))
    end)

    it("is collected with the values still in its buffer", function()
      local weak = setmetatable({}, { __mode = "k" })
      local wv = setmetatable({}, { __mode = "v" })
      do
        local c = go.chan(4)
        local v = {}
        c:send(v); c:send("x"); c:send(v)
        weak[c], wv[1] = true, v
      end
      full_gc()
      assert.is_nil(next(weak))
      assert.is_nil(next(wv))
    end)

    it("is collected with its direction views", function()
      local weak = setmetatable({}, { __mode = "k" })
      do
        local c = go.chan(2)
        local r, s = c:recv_only(), c:send_only()
        s:send(1)
        weak[c], weak[r], weak[s] = 1, 2, 3
      end
      full_gc()
      assert.is_nil(next(weak))
    end)

    it("is collected after goroutines used it and finished", function()
      local weak = setmetatable({}, { __mode = "k" })
      do
        local c, sel, done = go.chan(), go.chan(1), go.chan()
        weak[c], weak[sel] = true, true
        go(function() c:send(1); c:send(2); done:send(true) end)
        go(function()
          c:recv()
          go.select { go.recv(c), go.recv(sel) }
          done:send(true)
        end)
        done:recv(); done:recv()
      end
      full_gc()
      assert.is_nil(next(weak))
    end)

    it("is collected after a select that did not choose it", function()
      local weak = setmetatable({}, { __mode = "k" })
      local ready = go.chan(1)
      do
        local idle1, idle2 = go.chan(), go.chan(3)
        weak[idle1], weak[idle2] = true, true
        go(function() ready:send("r") end)
        -- blocks: waiters on all three, then the send on 'ready' wins
        local i = go.select { go.recv(idle1), go.recv(ready), go.send(idle2, nil) }
        assert.is_true(i == 2 or i == 3)
      end
      full_gc()
      assert.is_nil(next(weak))
    end)

    it("is collected even when closed and a receiver got nil, false", function()
      local weak = setmetatable({}, { __mode = "k" })
      do
        local c = go.chan()
        weak[c] = true
        go(function() c:close() end)
        assert.same({ nil, false }, { c:recv() })
      end
      full_gc()
      assert.is_nil(next(weak))
    end)
  end)

  describe("a finished goroutine", function()
    it("keeps neither its function, its arguments nor its locals reachable", function()
      local weak = setmetatable({}, { __mode = "k" })
      local c = go.chan()
      do
        local up, arg, loc = {}, {}, {}
        weak[up], weak[arg] = "upvalue", "argument"
        local f = function(a) local l = loc; go.yield(); c:send(a ~= nil and up ~= nil and l ~= nil) end
        weak[f], weak[loc] = "function", "local"
        go(f, arg)
      end
      assert.is_true((c:recv()))
      go.yield()
      full_gc()
      assert.same({}, weak)
    end)

    it("that failed keeps neither its function nor its error value reachable", function()
      local weak = setmetatable({}, { __mode = "k" })
      local c = go.chan()
      do
        local e = setmetatable({}, { __tostring = function() return "E" end })
        local f = function() error(e) end
        weak[e], weak[f] = "error value", "function"
        go(f)
      end
      assert.is_false((pcall(c.recv, c)))
      full_gc()
      assert.same({}, weak)
    end)
  end)

  describe("goroutines blocked forever on a dropped channel", function()
    it("are kept alive, do not crash the collector and appear in the deadlock report", function()
      local out, code = support.run_lua([[
        local go = require "gochan"
        local cos = setmetatable({}, { __mode = "k" })
        local ids = {}
        do
          local c, b = go.chan(), go.chan(1)
          b:send(0)
          for i = 1, 3 do
            ids[#ids + 1] = go(function() cos[coroutine.running()] = true; c:recv() end)
          end
          ids[#ids + 1] = go(function() cos[coroutine.running()] = true; b:send(1) end)
          ids[#ids + 1] = go(function()
            cos[coroutine.running()] = true
            go.select { go.recv(c), go.send(b, 2) }
          end)
        end
        go.yield()
        for _ = 1, 3 do collectgarbage() end
        go.yield()
        for _ = 1, 3 do collectgarbage() end
        local n = 0
        for co in pairs(cos) do n = n + 1; assert(coroutine.status(co) == "suspended") end
        print("kept=" .. n .. " live=" .. go.numgoroutine())
        local ok, err = pcall(go.select, {})
        print(ok)
        print(err)
        print("ids=" .. table.concat(ids, ","))
      ]])
      assert.equal(0, code, out)
      assert.truthy(out:find("kept=5 live=6\n", 1, true), out)
      assert.truthy(out:find("\nfalse\n", 1, true), out)
      assert.truthy(out:find("all goroutines are asleep - deadlock!", 1, true), out)
      local ids = {}
      for id in out:match("ids=([%d,]+)"):gmatch("%d+") do ids[#ids + 1] = id end
      assert.equal(5, #ids)
      for i = 1, 3 do
        assert.truthy(out:find("\ngoroutine " .. ids[i] .. " [chan receive]: ", 1, true), out)
      end
      assert.truthy(out:find("\ngoroutine " .. ids[4] .. " [chan send]: ", 1, true), out)
      assert.truthy(out:find("\ngoroutine " .. ids[5] .. " [select]: ", 1, true), out)
    end)

    it("survive many collection cycles while other channels churn", function()
      local out, code = support.run_lua([[
        local go = require "gochan"
        local got = {}
        do
          local c = go.chan()
          for i = 1, 100 do go(function() local v = c:recv(); got[#got + 1] = v end) end
          -- a sender that only starts once everything else was collected
          local gate = go.chan()
          go(function() gate:recv(); for i = 1, 100 do c:send(i) end end)
          go.yield()
          _G.gate = gate
        end
        for i = 1, 200000 do local x = go.chan(i % 3) end
        collectgarbage(); collectgarbage()
        _G.gate:send(true)
        go.yield(); go.yield()
        print(#got, go.numgoroutine())
      ]])
      assert.equal(0, code, out)
      assert.equal("100\t1\n", out)
    end)
  end)

  describe("memory", function()
    it("stays flat after 1,000,000 channels are created and dropped #rss", function()
      local m = measure([[
        local function churn(n)
          for i = 1, n do
            local k, c = i % 4
            if k == 0 then c = go.chan()
            elseif k == 1 then c = go.chan(1)
            elseif k == 2 then c = go.chan(8); c:send(i); c:send("s" .. (i % 100))
            else c = go.chan(100); c:send(i); c:close(); c:recv_only() end
          end
        end
        churn(50000)
        local h0, r0 = heap(), rss()
        churn(1000000)
        local h1, r1 = heap(), rss()
        print(("h0=%.1f h1=%.1f r0=%d r1=%d"):format(h0, h1, r0, r1))
      ]])
      assert.is_true(m.h1 - m.h0 < 64, ("heap grew %.1f KB"):format(m.h1 - m.h0))
      assert.is_true(m.r1 - m.r0 < 20 * 1024, ("RSS grew %d KB"):format(m.r1 - m.r0))
    end)

    it("stays flat after 100,000 channels each used for a goroutine hand-off #rss", function()
      local m = measure([[
        local function churn(n)
          local res = go.chan()
          for i = 1, n do
            local c = go.chan(i % 2)
            go(function() c:send(i) end)
            go(function() res:send((c:recv())) end)
            assert(res:recv() == i)
          end
          go.yield()  -- the last sender was readied while main returned
        end
        churn(5000)
        local h0, r0 = heap(), rss()
        churn(100000)
        local h1, r1 = heap(), rss()
        print(("h0=%.1f h1=%.1f r0=%d r1=%d live=%d"):format(h0, h1, r0, r1, go.numgoroutine()))
      ]])
      assert.equal(1, m.live)
      assert.is_true(m.h1 - m.h0 < 64, ("heap grew %.1f KB"):format(m.h1 - m.h0))
      assert.is_true(m.r1 - m.r0 < 20 * 1024, ("RSS grew %d KB"):format(m.r1 - m.r0))
    end)

    it("stays flat after 100,000 goroutines run one after another #rss", function()
      local m = measure([[
        local c = go.chan()
        local function spawn(n)
          for i = 1, n do go(function(x) c:send(x) end, i); assert(c:recv() == i) end
        end
        spawn(5000)
        local h0, r0 = heap(), rss()
        spawn(100000)
        local h1, r1 = heap(), rss()
        print(("h0=%.1f h1=%.1f r0=%d r1=%d live=%d"):format(h0, h1, r0, r1, go.numgoroutine()))
      ]])
      assert.equal(1, m.live)
      assert.is_true(m.h1 - m.h0 < 64, ("heap grew %.1f KB"):format(m.h1 - m.h0))
      assert.is_true(m.r1 - m.r0 < 20 * 1024, ("RSS grew %d KB"):format(m.r1 - m.r0))
    end)

    it("does not grow across bursts of 100,000 live goroutines #rss", function()
      local m = measure([[
        local function burst(n)
          local c = go.chan(n)
          for i = 1, n do go(function(x) c:send(x) end, i) end
          assert(go.numgoroutine() == n + 1)
          local sum = 0
          for _ = 1, n do sum = sum + c:recv() end
          assert(sum == n * (n + 1) // 2)
          go.yield()
        end
        burst(100000)
        local h0, r0 = heap(), rss()
        for _ = 1, 3 do burst(100000) end
        local h1, r1 = heap(), rss()
        print(("h0=%.1f h1=%.1f r0=%d r1=%d live=%d"):format(h0, h1, r0, r1, go.numgoroutine()))
      ]])
      assert.equal(1, m.live)
      assert.is_true(m.h1 - m.h0 < 64, ("heap grew %.1f KB"):format(m.h1 - m.h0))
      assert.is_true(m.r1 - m.r0 < 20 * 1024, ("RSS grew %d KB"):format(m.r1 - m.r0))
    end)

    it("keeps no goroutine coroutine reachable once it finished (beyond a bounded pool)", function()
      local out, code = support.run_lua([[
        local go = require "gochan"
        local cos = setmetatable({}, { __mode = "k" })
        local c = go.chan(10000)
        for i = 1, 10000 do go(function() cos[coroutine.running()] = true; c:send(i) end) end
        for i = 1, 10000 do c:recv() end
        go.yield()
        collectgarbage(); collectgarbage()
        local n = 0
        for _ in pairs(cos) do n = n + 1 end
        print(n, go.numgoroutine())
      ]])
      assert.equal(0, code, out)
      local kept, live = out:match("^(%d+)\t(%d+)\n$")
      assert.equal("1", live)
      -- a reuse pool may keep some coroutines, but not one per goroutine
      assert.is_true(tonumber(kept) <= 2048, out)
    end)
  end)

  describe("closing the Lua state", function()
    local SCRIPT = [[
      local go = require "gochan"
      local a, b, c = go.chan(), go.chan(2), go.chan()
      for i = 1, 5 do go(function() a:recv() end) end
      for i = 1, 5 do go(function() c:send({ i }) end) end
      go(function() b:send(1); b:send(2); b:send("third blocks") end)
      go(function() go.select { go.recv(a), go.send(c, 1), go.recv(go.chan(4)) } end)
      go(function() go.select {} end)
      go(function()
        local _ <close> = a
        local co = coroutine.wrap(function() return c:recv() end)
        co()
      end)
      go(function() table.sort({ 3, 2, 1 }, function(x, y) return #tostring(a:recv()) > 0 end) end)
      for i = 1, 2000 do go(function() end) end
      local r = a:recv_only()
      go.yield()
      go(function() go.yield() end)  -- runnable at exit
      go(function() error("never raised") end)
      io.write("end of main\n")
    ]]

    it("exits cleanly with goroutines blocked on channels", function()
      local out, code = support.run_lua(SCRIPT)
      assert.equal(0, code)
      assert.equal("end of main\n", out)
    end)

    --- Run `src` under valgrind memcheck; returns output, exit code.
    local function valgrind(src)
      local root = os.getenv("PWD") or "."
      local path = os.tmpname()
      local f = assert(io.open(path, "w"))
      f:write(string.format(
        "package.path = %q .. package.path\npackage.cpath = %q .. package.cpath\n",
        root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;", root .. "/build/?.so;"))
      f:write(src)
      f:close()
      local p = assert(io.popen(
        "valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite "
        .. (os.getenv("LUA") or "lua5.4") .. " " .. path .. " 2>&1; echo \"EXIT:$?\""))
      local out = p:read("a")
      p:close()
      os.remove(path)
      return out, tonumber(out:match("EXIT:(%d+)%s*$"))
    end

    local function assert_clean(out, code)
      assert.equal(0, code, out)
      assert.truthy(out:find("ERROR SUMMARY: 0 errors", 1, true), out)
      assert.truthy(out:find("definitely lost: 0 bytes", 1, true)
        or out:find("All heap blocks were freed", 1, true), out)
    end

    local has_valgrind = os.execute("command -v valgrind >/dev/null 2>&1")
    local vit = has_valgrind and it or pending

    vit("frees everything under valgrind with goroutines blocked on channels #valgrind", function()
      local out, code = valgrind(SCRIPT)
      assert_clean(out, code)
      assert.truthy(out:find("end of main\n", 1, true), out)
    end)

    vit("frees everything under valgrind with one goroutine still runnable #valgrind", function()
      assert_clean(valgrind([[
        local go = require "gochan"
        go(function() end)
      ]]))
    end)

    vit("frees everything under valgrind after goroutines failed, were resumed or closed by user code"
        .. " #valgrind", function()
      assert_clean(valgrind([[
        local go = require "gochan"
        local c = go.chan()
        go(function() error("raised") end)
        assert(not pcall(c.recv, c))
        local cos = {}
        for i = 1, 3 do go(function() cos[i] = coroutine.running(); c:recv() end) end
        go.yield()
        coroutine.resume(cos[1])
        coroutine.close(cos[2])
        go(function() c:send(1) end)
        go.yield()
        local c2, got = go.chan(), nil
        go(function()
          table.sort({ 2, 1 }, function(a, b) got = got or c2:recv(); return a < b end)
          c:send("sorted")
        end)
        go(function() error("never raised") end)  -- runs nested, then main returns first
        go(function() c2:send(1) end)
        assert(c:recv() == "sorted")
        -- the error stays pending: the process ends without another blocking call
      ]]))
    end)
  end)
end)
