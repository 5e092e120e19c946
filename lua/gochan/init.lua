--- gochan: Go's concurrency for Lua 5.4.
-- The C core (gochan.core) holds the semantics; this file builds the public
-- table and adds what is plain sugar.
local core = require "gochan.core"

local gochan = {
  _VERSION = core._VERSION,
  -- goroutines
  go = core.go,
  yield = core.yield,
  id = core.id,
  numgoroutine = core.numgoroutine,
  thread = core.thread,
  -- channels and select
  chan = core.chan,
  select = core.select,
  recv = core.recv,
  send = core.send,
  -- sync
  waitgroup = core.waitgroup,
  mutex = core.mutex,
  rwmutex = core.rwmutex,
  once = core.once,
  cond = core.cond,
  -- time
  now = core.now,
  sleep = core.sleep,
  after = core.after,
  timer = core.timer,
  ticker = core.ticker,
  after_func = core.after_func,
  -- looking at goroutines
  debug = core.debug,
  -- durations in seconds, so that code reads like Go: 300 * go.millisecond
  nanosecond = 1e-9,
  microsecond = 1e-6,
  millisecond = 1e-3,
  second = 1,
  minute = 60,
  hour = 3600,
}

-- go(f, ...) is go.go(f, ...)
return setmetatable(gochan, { __call = core.__call, __name = "gochan" })
