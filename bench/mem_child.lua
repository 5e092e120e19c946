--- bench/mem_child.lua MODE N: memory per blocked goroutine, in its own
-- process (run.lua starts it with io.popen, so that 100,000 live coroutines
-- never disturb the timing rows).
--   MODE gochan:    N goroutines, each blocked in ch:recv() on one shared
--                   unbuffered channel.
--   MODE coroutine: the floor: N plain Lua coroutines, each suspended in
--                   coroutine.yield() inside a function call, kept in a table.
-- Prints one line of key=value pairs: heap_kb and rss_kb are the growth per
-- goroutine (Lua heap after a full collection, and VmRSS), ok=1 when the
-- counts checked out, and a note otherwise.
local dir = (arg and arg[0] or ""):match("^(.*)[/\\]") or "."
package.path = dir .. "/?.lua;" .. dir .. "/../lua/?.lua;" .. dir .. "/../lua/?/init.lua;" .. package.path
package.cpath = dir .. "/../build/?.so;" .. package.cpath

local lib = require "lib"
local mode, n = arg[1], math.tointeger(tonumber(arg[2]))
assert(mode == "gochan" or mode == "coroutine", "usage: mem_child.lua gochan|coroutine N")
assert(n and n > 0, "usage: mem_child.lua gochan|coroutine N")
if os.getenv("BENCH_GC") then collectgarbage(os.getenv("BENCH_GC")) end

local go = require "gochan"
local ok, note = true, {}
local function check (cond, msg)
  if not cond then ok = false; note[#note + 1] = msg end
end

local function waiter (ch) ch:recv() end
local function sleeper () coroutine.yield() end

-- everything that exists in both the before and after pictures is made first
local ch = go.chan()
local keep = {}
local create, resume = coroutine.create, coroutine.resume

local function full_collect ()
  collectgarbage("collect")
  collectgarbage("collect")
end

full_collect()
local kb0, rss0 = collectgarbage("count"), lib.vmrss_kb()

if mode == "gochan" then
  for _ = 1, n do go(waiter, ch) end
  go.yield()  -- runs each once: every one parks in ch:recv()
  check(go.numgoroutine() == n + 1,
        ("numgoroutine %d, want %d"):format(go.numgoroutine(), n + 1))
else
  for i = 1, n do
    local co = create(sleeper)
    resume(co)
    keep[i] = co
  end
  check(coroutine.status(keep[n]) == "suspended", "coroutine not suspended")
end

full_collect()
local kb1, rss1 = collectgarbage("count"), lib.vmrss_kb()

-- release them: close wakes every receiver with nil, false
if mode == "gochan" then
  ch:close()
  go.yield()
  check(go.numgoroutine() == 1,
        ("numgoroutine %d after close, want 1"):format(go.numgoroutine()))
else
  for i = 1, n do keep[i] = nil end
end
full_collect()
local kb2 = collectgarbage("count")

local rss = (rss0 and rss1) and (rss1 - rss0) / n or -1
io.write(("heap_kb=%.6f rss_kb=%.6f heap_after_release_kb=%.6f ok=%d note=%s\n"):format(
  (kb1 - kb0) / n, rss, (kb2 - kb0) / n, ok and 1 or 0,
  #note > 0 and table.concat(note, "; "):gsub("%s", "_") or "-"))
