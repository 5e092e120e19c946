--- bench/micro.lua: where the time of a channel operation goes.
--
--   lua5.4 bench/micro.lua      (BENCH_RUNS, BENCH_QUICK as run.lua)
--
-- Prints ns per operation (min / median of the runs) of the pieces that the
-- rows of run.lua are made of, so that a ratio in run.lua can be explained:
-- a round trip of the ping-pong is 2 switches + 4 blocking channel calls;
-- an item of the stream is one non-blocking send and one non-blocking recv
-- (plus 2 switches per 128 items).
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. dir .. "/../lua/?.lua;" .. dir .. "/../lua/?/init.lua;" .. package.path
package.cpath = dir .. "/../build/?.so;" .. package.cpath

local lib = require "lib"
local go = require "gochan"

local QUICK = os.getenv("BENCH_QUICK") == "1"
local RUNS = math.tointeger(tonumber(os.getenv("BENCH_RUNS") or "")) or 5
if RUNS < 1 then RUNS = 1 end
if os.getenv("BENCH_GC") then collectgarbage(os.getenv("BENCH_GC")) end
local N = QUICK and 200000 or 2000000

local create, resume, yield = coroutine.create, coroutine.resume, coroutine.yield

local items = {}
local function item (name, per, prepare)
  items[#items + 1] = { name = name, per = per, prepare = prepare }
end

item("empty Lua loop iteration", 1, function (n)
  return function () for _ = 1, n do end end
end)

item("C function call: rawequal(a, a)", 1, function (n)
  local rawequal, a = rawequal, {}
  return function () for _ = 1, n do rawequal(a, a) end end
end)

item("C method call on a channel: ch:len()", 1, function (n)
  local ch = go.chan(1)
  return function () for _ = 1, n do ch:len() end end
end)

item("C method call, method in a local: len(ch)", 1, function (n)
  local ch = go.chan(1)
  local len = ch.len
  return function () for _ = 1, n do len(ch) end end
end)

item("buffered send, non-blocking (main, cap n)", 1, function (n)
  local ch = go.chan(n)
  return function () for i = 1, n do ch:send(i) end end
end)

item("buffered recv, non-blocking (main, full chan)", 1, function (n)
  local ch = go.chan(n)
  for i = 1, n do ch:send(i) end
  return function () for _ = 1, n do ch:recv() end end
end)

item("buffered send+recv pair, non-blocking (main, cap 1)", 1, function (n)
  local ch = go.chan(1)
  return function () for i = 1, n do ch:send(i); ch:recv() end end
end)

item("table queue push+pop pair (Lua)", 1, function (n)
  local t, head, tail = {}, 1, 1
  return function ()
    for i = 1, n do
      t[tail] = i; tail = tail + 1
      local v = t[head]; t[head] = nil; head = head + 1
      if v == nil then error("empty") end
    end
  end
end)

item("select, 1 of 2 ready (main, prebuilt cases)", 1, function (n)
  local c1, c2 = go.chan(1), go.chan(1)
  local cases = { go.recv(c1), go.recv(c2) }
  local select = go.select
  return function ()
    for i = 1, n do c1:send(i); select(cases) end
  end
end)

item("coroutine resume/yield pair (Lua)", 1, function (n)
  local co = create(function () while true do yield() end end)
  return function () for _ = 1, n do resume(co) end end
end)

item("goroutine switch via go.yield() (2 goroutines)", 2, function (n)
  local done = go.chan(2)
  local function f ()
    local y = go.yield
    for _ = 1, n do y() end
    done:send(true)
  end
  return function ()
    go(f); go(f)
    done:recv(); done:recv()
  end
end)

item("goroutine switch via coroutine.yield() (2 goroutines)", 2, function (n)
  local done = go.chan(2)
  local function f ()
    for _ = 1, n do yield() end
    done:send(true)
  end
  return function ()
    go(f); go(f)
    done:recv(); done:recv()
  end
end)

item("unbuffered ping-pong round trip", 1, function (n)
  local ch1, ch2, done = go.chan(), go.chan(), go.chan()
  return function ()
    go(function () for i = 1, n do ch1:send(i); ch2:recv() end; done:send(true) end)
    go(function () for _ = 1, n do ch2:send(ch1:recv()) end end)
    done:recv()
  end
end)

item("unbuffered ping-pong round trip, methods in locals", 1, function (n)
  local ch1, ch2, done = go.chan(), go.chan(), go.chan()
  local send, recv = ch1.send, ch1.recv  -- the same C functions for every channel
  return function ()
    go(function () for i = 1, n do send(ch1, i); recv(ch2) end; send(done, true) end)
    go(function () for _ = 1, n do send(ch2, (recv(ch1))) end end)
    done:recv()
  end
end)

item("buffered stream item (cap 128)", 1, function (n)
  local ch, done = go.chan(128), go.chan()
  return function ()
    go(function () for i = 1, n do ch:send(i) end; ch:close() end)
    go(function ()
      local s = 0
      while true do
        local v, ok = ch:recv()
        if not ok then break end
        s = s + v
      end
      done:send(s)
    end)
    done:recv()
  end
end)

item("buffered stream item (cap 128), methods in locals", 1, function (n)
  local ch, done = go.chan(128), go.chan()
  local send, recv = ch.send, ch.recv
  return function ()
    go(function () for i = 1, n do send(ch, i) end; ch:close() end)
    go(function ()
      local s = 0
      while true do
        local v, ok = recv(ch)
        if not ok then break end
        s = s + v
      end
      done:send(s)
    end)
    done:recv()
  end
end)

local header = { "operation", "ns min / med" }
local rows = {}
for i, it in ipairs(items) do
  local s = {}
  for r = 0, RUNS do
    local body = it.prepare(N)
    local cpu = lib.timed(body)
    go.yield()
    if r > 0 then s[r] = cpu / (N * it.per) * 1e9 end
  end
  local mn, md = lib.stats(s)
  rows[i] = { it.name, lib.fmt(mn) .. " / " .. lib.fmt(md) }
  if go.numgoroutine() ~= 1 then
    rows[i][2] = rows[i][2] .. "  (numgoroutine " .. go.numgoroutine() .. "!)"
  end
end
print(lib.text_table(header, rows, { false, true }))
print(("\nN = %d, %d runs, os.clock CPU time; switch rows are per switch"):format(N, RUNS))
