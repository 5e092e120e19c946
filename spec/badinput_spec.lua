-- Bad inputs: ONE table, BAD, of wrong calls to every public function and
-- method (wrong types, wrong arity, out-of-range sizes, fractional sizes,
-- NaN durations, non-positive ticker intervals, foreign userdata and tables
-- posing as gochan objects, views used the wrong way, objects whose
-- finalizer already ran), each row {description, function, expected error
-- text}. The text is a plain substring, exact as docs/api.md gives it (the
-- "file:line: " prefix aside). The spec runs every row against one set of
-- fixtures shared by all rows and, after each row, checks that every
-- fixture still works (a valid operation on each succeeds), that no
-- goroutine waits on anything (go.debug.stats().waiters == 0) and that no
-- goroutine or thread was started or lost.
--
-- Argument errors name the function after the call site (docs/api.md
-- "Argument errors"): rows call through a field (`F.ch.send(...)`, 'send')
-- or a method (`F.ch:send()`), never through pcall directly.
local go = require "gochan"
local support = require "spec.support"

local NAN = 0 / 0
local HUGE = math.huge

-- F: the fixtures, made once (lazy_setup) and shared by every row.
local F = {}

-- finalized: an object made by 'make' whose own finalizer has run, kept
-- reachable by the finalizer of another object collected in the same
-- cycle (docs/api.md "Known problems": such objects raise a confusing
-- argument error, they must not crash).
local function finalized(make)
  local keep = {}
  do
    local obj = make()
    setmetatable({}, { __gc = function() keep.obj = obj end })
  end
  collectgarbage()
  collectgarbage()
  assert(keep.obj ~= nil, "the object was not resurrected")
  return keep.obj
end

-- nested: a chain of n tables, each the [1] of the one before it.
local function nested(n)
  local t = {}
  for _ = 1, n do t = { t } end
  return t
end

-- raising: run 'call'; then 'cleanup' (which checks that the failed call
-- changed nothing and restores the fixtures); then raise call's error
-- again, unchanged, for the row to match.
local function raising(call, cleanup)
  local ok, err = pcall(call)
  cleanup()
  if ok then return end
  error(err, 0)
end

local BAD = {
  -- go(f, ...), go.go(f, ...)
  { "go() without a function", function() go() end,
    "bad argument #1 to 'go' (function expected, got no value)" },
  { "go(nil)", function() go(nil) end,
    "bad argument #1 to 'go' (function expected, got nil)" },
  { "go(number)", function() go(1) end,
    "bad argument #1 to 'go' (function expected, got number)" },
  { "go(string)", function() go("print") end,
    "bad argument #1 to 'go' (function expected, got string)" },
  { "go(table without __call)", function() go({}) end,
    "bad argument #1 to 'go' (function expected, got table)" },
  { "go(io.stdout)", function() go(io.stdout, 1) end,
    "bad argument #1 to 'go' (function expected, got FILE*)" },
  { "go(channel)", function() go(F.ch) end,
    "bad argument #1 to 'go' (function expected, got gochan.chan)" },
  { "go() without a function while nil has a __call (debug.setmetatable)",
    function()
      debug.setmetatable(nil, { __call = function() end })
      local _, err = pcall(function() go() end)
      debug.setmetatable(nil, nil)
      error(err, 0)
    end,
    "bad argument #1 to 'go' (function expected, got no value)" },
  { "go.go() without a function", function() go.go() end,
    "bad argument #1 to 'go' (function expected, got no value)" },
  { "go.go(boolean)", function() go.go(true) end,
    "bad argument #1 to 'go' (function expected, got boolean)" },
  { "go.go(coroutine)", function() go.go(coroutine.create(print)) end,
    "bad argument #1 to 'go' (function expected, got thread)" },

  -- go.thread(f, ...)
  { "go.thread() without a function", function() go.thread() end,
    "bad argument #1 to 'thread' (function expected, got no value)" },
  { "go.thread(number)", function() go.thread(1) end,
    "bad argument #1 to 'thread' (function expected, got number)" },
  { "go.thread(callable table)",
    function() go.thread(setmetatable({}, { __call = print })) end,
    "bad argument #1 to 'thread' (function expected, got table)" },
  { "go.thread(f, io.stdout)", function() go.thread(function() end, io.stdout) end,
    "cannot copy userdata to another thread" },
  { "go.thread(f, coroutine)",
    function() go.thread(function() end, coroutine.create(print)) end,
    "cannot copy thread to another thread" },
  { "go.thread(f, non-library C function)", function() go.thread(function() end, F.ch.send) end,
    "cannot copy function to another thread" },
  { "go.thread(f) with an io.stdout upvalue",
    function() local out = io.stdout; go.thread(function() return out end) end,
    "cannot copy userdata to another thread" },
  { "go.thread(f, table nested 250 deep)", function() go.thread(function() end, nested(250)) end,
    "cannot copy a value nested more than 200 levels deep" },
  { "go.thread(f, Timer)", function() go.thread(function() end, F.timer) end,
    "cannot copy userdata to another thread" },
  { "go.thread(f, Ticker)", function() go.thread(function() end, F.ticker) end,
    "cannot copy userdata to another thread" },
  { "go.thread(f, Thread)", function() go.thread(function() end, F.th) end,
    "cannot copy userdata to another thread" },
  { "go.thread(f, select case)", function() go.thread(function() end, go.recv(F.ch)) end,
    "cannot copy userdata to another thread" },
  { "go.thread(f, lock guard)", function() go.thread(function() end, F.rwguard) end,
    "cannot copy userdata to another thread" },
  { "go.thread(f, finalized channel)", function() go.thread(function() end, F.fin.chan) end,
    "cannot copy userdata to another thread" },
  { "go.thread(f, finalized mutex)", function() go.thread(function() end, F.fin.mutex) end,
    "cannot copy userdata to another thread" },

  -- go.chan([n])
  { "go.chan(-1)", function() go.chan(-1) end, "makechan: size out of range" },
  { "go.chan(math.mininteger)", function() go.chan(math.mininteger) end,
    "makechan: size out of range" },
  { "go.chan(2^50)", function() go.chan(2 ^ 50) end, "makechan: size out of range" },
  { "go.chan(2^44 + 1)", function() go.chan((1 << 44) + 1) end, "makechan: size out of range" },
  { "go.chan(math.maxinteger)", function() go.chan(math.maxinteger) end,
    "makechan: size out of range" },
  { "go.chan('-3')", function() go.chan("-3") end, "makechan: size out of range" },
  { "go.chan(1.5)", function() go.chan(1.5) end,
    "bad argument #1 to 'chan' (number has no integer representation)" },
  { "go.chan(-0.5)", function() go.chan(-0.5) end,
    "bad argument #1 to 'chan' (number has no integer representation)" },
  { "go.chan('1.5')", function() go.chan("1.5") end,
    "bad argument #1 to 'chan' (number has no integer representation)" },
  { "go.chan(NaN)", function() go.chan(NAN) end,
    "bad argument #1 to 'chan' (number has no integer representation)" },
  { "go.chan(math.huge)", function() go.chan(HUGE) end,
    "bad argument #1 to 'chan' (number has no integer representation)" },
  { "go.chan(2^63)", function() go.chan(2 ^ 63) end,
    "bad argument #1 to 'chan' (number has no integer representation)" },
  { "go.chan('x')", function() go.chan("x") end,
    "bad argument #1 to 'chan' (number expected, got string)" },
  { "go.chan(true)", function() go.chan(true) end,
    "bad argument #1 to 'chan' (number expected, got boolean)" },
  { "go.chan({})", function() go.chan({}) end,
    "bad argument #1 to 'chan' (number expected, got table)" },
  { "go.chan(channel)", function() go.chan(F.ch) end,
    "bad argument #1 to 'chan' (number expected, got gochan.chan)" },

  -- channel methods: wrong values, views, closed channels
  { "ch:send() without a value", function() F.ch:send() end,
    "bad argument #1 to 'send' (value expected)" },
  { "send on a receive-only view", function() F.ch:recv_only():send(1) end,
    "send to receive-only channel" },
  { "send on a timer channel", function() F.timer.C:send(1) end,
    "send to receive-only channel" },
  { "recv on a send-only view", function() F.ch:send_only():recv() end,
    "receive from send-only channel" },
  { "range on a send-only view", function() F.bch:send_only():range() end,
    "receive from send-only channel" },
  { "close on a receive-only view", function() F.bch:recv_only():close() end,
    "close of receive-only channel" },
  { "close on a timer channel", function() F.ticker.C:close() end,
    "close of receive-only channel" },
  { "send_only() on a receive-only view", function() F.ch:recv_only():send_only() end,
    "cannot convert receive-only channel to send-only" },
  { "send_only() on a timer channel", function() F.timer.C:send_only() end,
    "cannot convert receive-only channel to send-only" },
  { "recv_only() on a send-only view", function() F.ch:send_only():recv_only() end,
    "cannot convert send-only channel to receive-only" },
  { "send on a closed channel", function() F.closed:send(1) end, "send on closed channel" },
  { "send of nil on a closed channel", function() F.closed:send(nil) end,
    "send on closed channel" },
  { "close of a closed channel", function() F.closed:close() end, "close of closed channel" },
  { "close of a closed channel through a send-only view",
    function() F.closed:send_only():close() end, "close of closed channel" },
  { "send on a closed buffered channel with room",
    function()
      local c = go.chan(2)
      c:close()
      c:send(1)
    end, "send on closed channel" },
  { "range iterator called with a table", function() local it = F.ch:range(); it({}) end,
    "bad argument #1 to 'it' (gochan.chan expected, got table)" },
  { "table with the channel metatable, as a method call",
    function() setmetatable({}, getmetatable(F.ch)):send(1) end,
    "calling 'send' on bad self (gochan.chan expected, got gochan.chan)" },
  { "# of a table with the channel metatable",
    function() return #setmetatable({}, getmetatable(F.ch)) end,
    "bad argument #1 to 'len' (gochan.chan expected, got gochan.chan)" },
  { "__close of the channel metatable called with a table",
    function() getmetatable(F.ch).__close({}) end,
    "bad argument #1 to '__close' (gochan.chan expected, got table)" },
  { "__tostring of the channel metatable called with io.stdout",
    function() getmetatable(F.ch).__tostring(io.stdout) end,
    "bad argument #1 to '__tostring' (gochan.chan expected, got FILE*)" },

  -- shared channel: values that cannot be copied
  { "send io.stdout on a shared channel", function() F.sh:send(io.stdout) end,
    "cannot copy userdata to another thread" },
  { "send a coroutine on a shared channel", function() F.sh:send(coroutine.create(print)) end,
    "cannot copy thread to another thread" },
  { "send a table holding a C function on a shared channel",
    function() F.sh:send({ f = F.ch.recv }) end,
    "cannot copy function to another thread" },
  { "send a table nested 250 deep on a shared channel", function() F.sh:send(nested(250)) end,
    "cannot copy a value nested more than 200 levels deep" },
  { "send a Timer on a shared channel", function() F.sh:send(F.timer) end,
    "cannot copy userdata to another thread" },

  -- go.select
  { "go.select() without cases", function() go.select() end,
    "bad argument #1 to 'select' (table expected, got no value)" },
  { "go.select(number)", function() go.select(1) end,
    "bad argument #1 to 'select' (table expected, got number)" },
  { "go.select(a case instead of a table)", function() go.select(go.recv(F.ch)) end,
    "bad argument #1 to 'select' (table expected, got gochan.case)" },
  { "go.select{number}", function() go.select { 1, default = true } end,
    "bad argument #1 to 'select' (case #1 is not a select case (go.recv or go.send))" },
  { "go.select{case, string}", function() go.select { go.recv(F.ch), "x", default = true } end,
    "bad argument #1 to 'select' (case #2 is not a select case (go.recv or go.send))" },
  { "go.select{case, table}", function() go.select { go.recv(F.ch), {}, default = true } end,
    "bad argument #1 to 'select' (case #2 is not a select case (go.recv or go.send))" },
  { "go.select{case, channel}", function() go.select { go.recv(F.ch), F.ch, default = true } end,
    "bad argument #1 to 'select' (case #2 is not a select case (go.recv or go.send))" },
  { "go.select{case, io.stdout}",
    function() go.select { go.recv(F.ch), io.stdout, default = true } end,
    "bad argument #1 to 'select' (case #2 is not a select case (go.recv or go.send))" },
  { "go.select{case, nil, case}",
    function() go.select { go.recv(F.ch), nil, go.recv(F.ch), default = true } end,
    "bad argument #1 to 'select' (case #2 is not a select case (go.recv or go.send))" },
  { "go.select{case, 20 good cases, a bad one last}",
    function()
      local cases = { default = true }
      for i = 1, 20 do cases[i] = go.recv(F.bch) end
      cases[21] = false
      go.select(cases)
    end,
    "bad argument #1 to 'select' (case #21 is not a select case (go.recv or go.send))" },
  { "go.select with default = 1", function() go.select { go.recv(F.ch), default = 1 } end,
    "bad argument #1 to 'select' ('default' must be a function or true)" },
  { "go.select with default = 'x'", function() go.select { go.recv(F.ch), default = "x" } end,
    "bad argument #1 to 'select' ('default' must be a function or true)" },
  { "go.select with default = {} (not callable)",
    function() go.select { go.recv(F.ch), default = {} } end,
    "bad argument #1 to 'select' ('default' must be a function or true)" },
  { "go.select with default = io.stdout",
    function() go.select { go.recv(F.ch), default = io.stdout } end,
    "bad argument #1 to 'select' ('default' must be a function or true)" },
  { "go.select with more than the maximum number of cases",
    function()
      local c, cases = go.recv(nil), { default = true }
      for i = 1, 499993 do cases[i] = c end
      go.select(cases)
    end,
    "bad argument #1 to 'select' (too many select cases)" },
  { "go.select send case on a receive-only view, with a default",
    function() go.select { go.send(F.ch:recv_only(), 1), default = true } end,
    "send to receive-only channel" },
  { "go.select send case on a timer channel",
    function() go.select { go.send(F.timer.C, 1), default = true } end,
    "send to receive-only channel" },
  { "go.select recv case on a send-only view, with a default",
    function() go.select { go.recv(F.ch:send_only()), default = true } end,
    "receive from send-only channel" },
  { "go.select wrong-way view, while another case is ready",
    function()
      raising(function()
        F.bch:send("kept")
        go.select { go.recv(F.bch), go.send(F.bch:recv_only(), 1) }
      end, function()
        assert.equal(1, F.bch:len())  -- the ready case did not run
        assert.equal("kept", (F.bch:recv()))
      end)
    end,
    "send to receive-only channel" },
  { "go.select send case on a closed channel",
    function() go.select { go.send(F.closed, 1) } end, "send on closed channel" },
  { "go.select send case on a closed channel, with a handler and a default",
    function() go.select { go.send(F.closed, 1, function() error("ran") end), default = true } end,
    "send on closed channel" },
  { "go.select send of io.stdout on a shared channel, while another case is ready",
    function()
      raising(function()
        F.bch:send("kept")
        go.select { go.recv(F.bch), go.send(F.sh, io.stdout), default = true }
      end, function()
        assert.equal(1, F.bch:len())
        assert.equal("kept", (F.bch:recv()))
        assert.equal(0, F.sh:len())
      end)
    end,
    "cannot copy userdata to another thread" },
  { "go.select send of a coroutine on a shared channel",
    function() go.select { go.send(F.sh, coroutine.create(print)), default = true } end,
    "cannot copy thread to another thread" },

  -- go.recv / go.send (select cases)
  { "go.recv() without a channel", function() go.recv() end,
    "bad argument #1 to 'recv' (gochan.chan expected, got no value)" },
  { "go.recv(false)", function() go.recv(false) end,
    "bad argument #1 to 'recv' (gochan.chan expected, got boolean)" },
  { "go.recv(number)", function() go.recv(1) end,
    "bad argument #1 to 'recv' (gochan.chan expected, got number)" },
  { "go.recv(table)", function() go.recv({}) end,
    "bad argument #1 to 'recv' (gochan.chan expected, got table)" },
  { "go.recv(io.stdout)", function() go.recv(io.stdout) end,
    "bad argument #1 to 'recv' (gochan.chan expected, got FILE*)" },
  { "go.recv(WaitGroup)", function() go.recv(F.wg) end,
    "bad argument #1 to 'recv' (gochan.chan expected, got gochan.waitgroup)" },
  { "go.recv(Timer) instead of its C", function() go.recv(F.timer) end,
    "bad argument #1 to 'recv' (gochan.chan expected, got gochan.timer)" },
  { "go.recv(table with the channel metatable)",
    function() go.recv(setmetatable({}, getmetatable(F.ch))) end,
    "bad argument #1 to 'recv' (gochan.chan expected, got gochan.chan)" },
  { "go.recv(ch, number handler)", function() go.recv(F.ch, 1) end,
    "bad argument #2 to 'recv' (function expected, got number)" },
  { "go.recv(ch, table handler)", function() go.recv(F.ch, {}) end,
    "bad argument #2 to 'recv' (function expected, got table)" },
  { "go.recv(nil, false handler)", function() go.recv(nil, false) end,
    "bad argument #2 to 'recv' (function expected, got boolean)" },
  { "go.send() without a channel", function() go.send() end,
    "bad argument #1 to 'send' (gochan.chan expected, got no value)" },
  { "go.send(string, v)", function() go.send("ch", 1) end,
    "bad argument #1 to 'send' (gochan.chan expected, got string)" },
  { "go.send(Mutex, v)", function() go.send(F.mu, 1) end,
    "bad argument #1 to 'send' (gochan.chan expected, got gochan.mutex)" },
  { "go.send(ch, v, number handler)", function() go.send(F.ch, 1, 2) end,
    "bad argument #3 to 'send' (function expected, got number)" },
  { "go.send(ch, v, string handler)", function() go.send(F.ch, 1, "f") end,
    "bad argument #3 to 'send' (function expected, got string)" },

  -- WaitGroup
  { "wg:add() without n", function() F.wg:add() end,
    "bad argument #1 to 'add' (number expected, got no value)" },
  { "wg:add(1.5)", function() F.wg:add(1.5) end,
    "bad argument #1 to 'add' (number has no integer representation)" },
  { "wg:add(NaN)", function() F.wg:add(NAN) end,
    "bad argument #1 to 'add' (number has no integer representation)" },
  { "wg:add('x')", function() F.wg:add("x") end,
    "bad argument #1 to 'add' (number expected, got string)" },
  { "wg:add(-1) at 0", function() F.wg:add(-1) end, "sync: negative WaitGroup counter" },
  { "wg:add(math.mininteger) at 0", function() F.wg:add(math.mininteger) end,
    "sync: negative WaitGroup counter" },
  { "wg:done() at 0", function() F.wg:done() end, "sync: negative WaitGroup counter" },
  { "wg:add(-3) at 2 (counter left unchanged)",
    function()
      raising(function()
        F.wg:add(2)
        F.wg:add(-3)
      end, function()
        F.wg:add(-2)  -- still 2: this brings it back to 0
        F.wg:wait()
      end)
    end, "sync: negative WaitGroup counter" },
  { "wg:add(1) overflowing math.maxinteger",
    function()
      raising(function()
        F.wg:add(math.maxinteger)
        F.wg:add(1)
      end, function()
        F.wg:add(-math.maxinteger)
      end)
    end, "sync: negative WaitGroup counter" },

  -- Mutex, RWMutex, guards
  { "mu:unlock() of an unlocked mutex", function() F.mu:unlock() end,
    "sync: unlock of unlocked mutex" },
  { "mu guard closed after mu:unlock()",
    function()
      local _ <close> = F.mu:lock()
      F.mu:unlock()
    end, "sync: unlock of unlocked mutex" },
  { "rw:unlock() of an unlocked RWMutex", function() F.rw:unlock() end,
    "sync: Unlock of unlocked RWMutex" },
  { "rw:unlock() while only readers hold it",
    function()
      raising(function()
        F.rw:rlock()
        F.rw:unlock()
      end, function() F.rw:runlock() end)
    end, "sync: Unlock of unlocked RWMutex" },
  { "rw:runlock() of an unlocked RWMutex", function() F.rw:runlock() end,
    "sync: RUnlock of unlocked RWMutex" },
  { "rw:runlock() while only a writer holds it",
    function()
      raising(function()
        F.rw:lock()
        F.rw:runlock()
      end, function() F.rw:unlock() end)
    end, "sync: RUnlock of unlocked RWMutex" },
  { "rw write guard closed after rw:unlock()",
    function()
      local _ <close> = F.rw:lock()
      F.rw:unlock()
    end, "sync: Unlock of unlocked RWMutex" },
  { "rw read guard closed after rw:runlock()",
    function()
      local _ <close> = F.rw:rlock()
      F.rw:runlock()
    end, "sync: RUnlock of unlocked RWMutex" },
  { "guard __close called with a table",
    function() getmetatable(F.rwguard).__close({}) end,
    "bad argument #1 to '__close' (gochan.guard expected, got table)" },

  -- Once
  { "once:call() without f", function() F.once:call() end,
    "bad argument #1 to 'call' (function expected, got no value)" },
  { "once:call(number)", function() F.once:call(1) end,
    "bad argument #1 to 'call' (function expected, got number)" },
  { "once:call(table without __call)", function() F.once:call({}) end,
    "bad argument #1 to 'call' (function expected, got table)" },
  { "once:call(channel)", function() F.once:call(F.ch) end,
    "bad argument #1 to 'call' (function expected, got gochan.chan)" },

  -- Cond
  { "go.cond() without a mutex", function() go.cond() end,
    "bad argument #1 to 'cond' (gochan.mutex expected, got no value)" },
  { "go.cond(RWMutex)", function() go.cond(F.rw) end,
    "bad argument #1 to 'cond' (gochan.mutex expected, got gochan.rwmutex)" },
  { "go.cond(table)", function() go.cond({}) end,
    "bad argument #1 to 'cond' (gochan.mutex expected, got table)" },
  { "go.cond(io.stdout)", function() go.cond(io.stdout) end,
    "bad argument #1 to 'cond' (gochan.mutex expected, got FILE*)" },
  { "go.cond(mutex guard)", function() go.cond(F.rwguard) end,
    "bad argument #1 to 'cond' (gochan.mutex expected, got gochan.guard)" },
  { "go.cond(finalized mutex)", function() go.cond(F.fin.mutex) end,
    "bad argument #1 to 'cond' (gochan.mutex expected, got gochan.mutex)" },
  { "cond:wait() with its mutex unlocked", function() F.cond:wait() end,
    "sync: unlock of unlocked mutex" },

  -- time: durations
  { "go.sleep() without d", function() go.sleep() end,
    "bad argument #1 to 'sleep' (number expected, got no value)" },
  { "go.sleep('x')", function() go.sleep("x") end,
    "bad argument #1 to 'sleep' (number expected, got string)" },
  { "go.sleep(NaN)", function() go.sleep(NAN) end,
    "bad argument #1 to 'sleep' (duration is NaN)" },
  { "go.sleep(-NaN)", function() go.sleep(-NAN) end,
    "bad argument #1 to 'sleep' (duration is NaN)" },
  { "go.sleep(inf - inf)", function() go.sleep(HUGE - HUGE) end,
    "bad argument #1 to 'sleep' (duration is NaN)" },
  { "go.after(NaN)", function() go.after(NAN) end,
    "bad argument #1 to 'after' (duration is NaN)" },
  { "go.after(nil)", function() go.after(nil) end,
    "bad argument #1 to 'after' (number expected, got nil)" },
  { "go.after({})", function() go.after({}) end,
    "bad argument #1 to 'after' (number expected, got table)" },
  { "go.timer(NaN)", function() go.timer(NAN) end,
    "bad argument #1 to 'timer' (duration is NaN)" },
  { "go.timer() without d", function() go.timer() end,
    "bad argument #1 to 'timer' (number expected, got no value)" },
  { "go.timer(true)", function() go.timer(true) end,
    "bad argument #1 to 'timer' (number expected, got boolean)" },
  { "go.ticker(NaN) (the NaN error comes first)", function() go.ticker(NAN) end,
    "bad argument #1 to 'ticker' (duration is NaN)" },
  { "go.ticker('1s')", function() go.ticker("1s") end,
    "bad argument #1 to 'ticker' (number expected, got string)" },
  { "go.ticker(0)", function() go.ticker(0) end, "non-positive interval for NewTicker" },
  { "go.ticker(-0.0)", function() go.ticker(-0.0) end, "non-positive interval for NewTicker" },
  { "go.ticker(-1)", function() go.ticker(-1) end, "non-positive interval for NewTicker" },
  { "go.ticker(-math.huge)", function() go.ticker(-HUGE) end,
    "non-positive interval for NewTicker" },
  { "go.ticker(math.mininteger)", function() go.ticker(math.mininteger) end,
    "non-positive interval for NewTicker" },
  { "go.after_func(NaN, f)", function() go.after_func(NAN, print) end,
    "bad argument #1 to 'after_func' (duration is NaN)" },
  { "go.after_func('x', f)", function() go.after_func("x", print) end,
    "bad argument #1 to 'after_func' (number expected, got string)" },
  { "go.after_func(d) without f", function() go.after_func(1) end,
    "bad argument #2 to 'after_func' (function expected, got no value)" },
  { "go.after_func(d, number)", function() go.after_func(1, 2) end,
    "bad argument #2 to 'after_func' (function expected, got number)" },
  { "go.after_func(d, table without __call)", function() go.after_func(1, {}) end,
    "bad argument #2 to 'after_func' (function expected, got table)" },
  { "go.after_func(NaN, number): the duration is checked first", function() go.after_func(NAN, 2) end,
    "bad argument #1 to 'after_func' (duration is NaN)" },

  -- Timer / Ticker methods
  { "t:reset() without d", function() F.timer:reset() end,
    "bad argument #1 to 'reset' (number expected, got no value)" },
  { "t:reset(NaN)", function() F.timer:reset(NAN) end,
    "bad argument #1 to 'reset' (duration is NaN)" },
  { "t:reset('soon')", function() F.timer:reset("soon") end,
    "bad argument #1 to 'reset' (number expected, got string)" },
  { "after_func timer reset(NaN)", function() F.af:reset(NAN) end,
    "bad argument #1 to 'reset' (duration is NaN)" },
  { "tk:reset(NaN)", function() F.ticker:reset(NAN) end,
    "bad argument #1 to 'reset' (duration is NaN)" },
  { "tk:reset(0)", function() F.ticker:reset(0) end, "non-positive interval for Ticker.Reset" },
  { "tk:reset(-1e-9)", function() F.ticker:reset(-1e-9) end,
    "non-positive interval for Ticker.Reset" },
  { "tk:reset(-math.huge)", function() F.ticker:reset(-HUGE) end,
    "non-positive interval for Ticker.Reset" },
  { "t.C of a table with the Timer metatable",
    function() return setmetatable({}, getmetatable(F.timer)).C end,
    "gochan.timer expected, got gochan.timer" },

  -- Thread
  { "th:join() through a table with join", function() local t = { join = F.th.join }; t:join() end,
    "calling 'join' on bad self (gochan.thread expected, got table)" },
  { "__tostring of the Thread metatable called with a table",
    function() getmetatable(F.th).__tostring({}) end,
    "bad argument #1 to '__tostring' (gochan.thread expected, got table)" },

  -- objects whose finalizer ran (resurrected by another finalizer)
  { "send on a finalized channel", function() F.fin.chan:send(1) end,
    "calling 'send' on bad self (gochan.chan expected, got gochan.chan)" },
  { "recv on a finalized channel", function() F.fin.chan:recv() end,
    "calling 'recv' on bad self (gochan.chan expected, got gochan.chan)" },
  { "close of a finalized channel", function() F.fin.chan:close() end,
    "calling 'close' on bad self (gochan.chan expected, got gochan.chan)" },
  { "# of a finalized channel", function() return #F.fin.chan end,
    "gochan.chan expected, got gochan.chan" },
  { "tostring of a finalized channel", function() return tostring(F.fin.chan) end,
    "gochan.chan expected, got gochan.chan" },
  { "go.recv(finalized channel)", function() go.recv(F.fin.chan) end,
    "bad argument #1 to 'recv' (gochan.chan expected, got gochan.chan)" },
  { "go.select with a case made before its channel was finalized",
    function() return go.select { F.fin.case, default = true } end,
    "bad argument #1 to 'select' (case #1 uses a collected channel)" },
  { "go.select with a good case, then one made before its channel was finalized",
    function() return go.select { go.recv(F.ch), F.fin.case, default = true } end,
    "bad argument #1 to 'select' (case #2 uses a collected channel)" },
  { "wg:wait() on a finalized WaitGroup", function() F.fin.wg:wait() end,
    "calling 'wait' on bad self (gochan.waitgroup expected, got gochan.waitgroup)" },
  { "mu:lock() on a finalized Mutex", function() F.fin.mutex:lock() end,
    "calling 'lock' on bad self (gochan.mutex expected, got gochan.mutex)" },
  { "rw:rlock() on a finalized RWMutex", function() F.fin.rw:rlock() end,
    "calling 'rlock' on bad self (gochan.rwmutex expected, got gochan.rwmutex)" },
  { "once:call(f) on a finalized Once", function() F.fin.once:call(print) end,
    "calling 'call' on bad self (gochan.once expected, got gochan.once)" },
  { "cond:signal() on a finalized Cond", function() F.fin.cond:signal() end,
    "calling 'signal' on bad self (gochan.cond expected, got gochan.cond)" },
  { "closing a finalized guard", function() local _ <close> = F.fin.guard end,
    "gochan.guard expected, got gochan.guard" },
  { "t:stop() on a finalized Timer", function() F.fin.timer:stop() end,
    "gochan.timer expected, got gochan.timer" },
  { "t.C of a finalized Timer", function() return F.fin.timer.C end,
    "gochan.timer expected, got gochan.timer" },
  { "th:join() on a finalized Thread", function() F.fin.thread:join() end,
    "calling 'join' on bad self (gochan.thread expected, got gochan.thread)" },
}

-- Every method called with a wrong self through a field (`F.ch.send(bad)`),
-- and through a method call on a look-alike table. The calls are compiled
-- with load so that the method's name is a constant in the call (Lua names
-- the function after it).
local METHODS = {
  { "ch", "gochan.chan", { "send", "recv", "close", "len", "cap", "range", "recv_only", "send_only" },
    other = "wg", otype = "gochan.waitgroup" },
  { "tchan", "gochan.chan", { "recv", "len" }, other = "timer", otype = "gochan.timer" },
  { "wg", "gochan.waitgroup", { "add", "done", "wait" }, other = "mu", otype = "gochan.mutex" },
  { "mu", "gochan.mutex", { "lock", "unlock", "try_lock" }, other = "rw", otype = "gochan.rwmutex" },
  { "rw", "gochan.rwmutex", { "lock", "unlock", "rlock", "runlock" },
    other = "mu", otype = "gochan.mutex" },
  { "once", "gochan.once", { "call" }, other = "cond", otype = "gochan.cond" },
  { "cond", "gochan.cond", { "wait", "signal", "broadcast" }, other = "once", otype = "gochan.once" },
  { "timer", "gochan.timer", { "stop", "reset" }, other = "ch", otype = "gochan.chan" },
  { "ticker", "gochan.timer", { "stop", "reset" }, other = "th", otype = "gochan.thread" },
  { "af", "gochan.timer", { "stop", "reset" }, other = "rwguard", otype = "gochan.guard" },
  { "th", "gochan.thread", { "join" }, other = "ch", otype = "gochan.chan" },
}

-- the wrong selves: Lua source of the value, and the type name Lua shows
local function wrong_selves(m)
  return {
    { "{}", "table" },
    { "io.stdout", "FILE*" },
    { "42", "number" },
    { "nil", "nil" },
    { "F." .. m.other, m.otype },
    { "setmetatable({}, getmetatable(F." .. m[1] .. "))", m[2] },
  }
end

local function compile(src)
  local chunk = assert(load("local F, go = ...; return function() " .. src .. " end",
                            "=(" .. src .. ")", "t", _ENV))
  return chunk(F, go)
end

for _, m in ipairs(METHODS) do
  local obj, tname = m[1], m[2]
  for _, name in ipairs(m[3]) do
    -- the other arguments are valid, so that only self is wrong
    local rest = (name == "send" or name == "add" or name == "reset") and ", 1"
                 or name == "call" and ", print" or ""
    for _, bad in ipairs(wrong_selves(m)) do
      local src = string.format("F.%s.%s(%s%s)", obj, name, bad[1], rest)
      BAD[#BAD + 1] = { src, compile(src),
        string.format("bad argument #1 to '%s' (%s expected, got %s)", name, tname, bad[2]) }
    end
  end
  local first = m[3][1]
  local args = (first == "send" or first == "add" or first == "reset") and "1"
               or first == "call" and "print" or ""
  local src = string.format("local t = { %s = F.%s.%s }; t:%s(%s)", first, obj, first, first, args)
  BAD[#BAD + 1] = { src, compile(src),
    string.format("calling '%s' on bad self (%s expected, got table)", first, tname) }
end


-- healthy: every fixture still works, nothing waits, nothing was started.
local function healthy()
  -- unbuffered channel: a send/recv pair through a goroutine, both ways
  go(function() F.ch:send("ping") end)
  local v, ok = F.ch:recv()
  assert.equal("ping", v)
  assert.is_true(ok)
  go(function() F.bch:send(F.ch:recv()) end)
  F.ch:send("pong")
  assert.equal("pong", (F.bch:recv()))
  -- buffered channel through its views
  F.bch:send_only():send(1)
  F.bch:send(2)
  assert.equal(2, F.bch:len())
  assert.equal(1, (F.bch:recv_only():recv()))
  assert.equal(2, (F.bch:recv()))
  assert.equal(0, F.bch:len())
  assert.equal(4, F.bch:cap())
  -- shared channel: a table is copied through it
  F.sh:send({ k = "v" })
  assert.equal("v", F.sh:recv().k)
  assert.equal(0, F.sh:len())
  -- the closed channel stays closed and drained
  v, ok = F.closed:recv()
  assert.is_nil(v)
  assert.is_false(ok)
  assert.equal("chan(0/0, closed)", tostring(F.closed))
  -- WaitGroup: at 0, add/done/wait across a goroutine
  F.wg:wait()
  F.wg:add(1)
  go(function() F.wg:done() end)
  F.wg:wait()
  -- Mutex: unlocked; lock/unlock, try_lock, guard
  assert.is_true(F.mu:try_lock())
  assert.is_false(F.mu:try_lock())
  F.mu:unlock()
  do local _ <close> = F.mu:lock() end
  -- RWMutex: free; readers, then a writer
  F.rw:rlock(); F.rw:rlock()
  F.rw:runlock(); F.rw:runlock()
  do local _ <close> = F.rw:lock() end
  do local _ <close> = F.rw:rlock() end
  -- Once: done, f never runs again
  F.once:call(function() error("once ran twice") end)
  -- Cond on F.mu: a goroutine waits, main signals
  local flag, done = false, go.chan(1)
  go(function()
    F.mu:lock()
    while not flag do F.cond:wait() end
    F.mu:unlock()
    done:send(true)
  end)
  go.yield()
  F.mu:lock()
  flag = true
  F.cond:signal()
  F.mu:unlock()
  assert.is_true((done:recv()))
  -- Timer, Ticker and after_func timer: armed for an hour
  assert.is_true(F.timer:stop())
  assert.is_false(F.timer:reset(3600))
  assert.equal("gochan.timer (active)", tostring(F.timer))
  F.ticker:reset(3600)
  assert.equal("gochan.ticker (active)", tostring(F.ticker))
  assert.is_true(F.af:reset(3600))
  -- the finished Thread joins again
  assert.same({ 42, "x" }, { F.th:join() })
  -- nothing waits, nothing was started, nothing was lost
  local st = go.debug.stats()
  assert.equal(0, st.waiters)
  assert.equal(F.goroutines, go.numgoroutine())
  assert.equal(F.threads, st.threads)
end


describe("bad inputs", function()
  local watchdog

  lazy_setup(function()
    F.ch = go.chan()
    F.bch = go.chan(4)
    F.sh = go.chan(4)
    assert.equal(4, go.thread(function(c) return c:cap() end, F.sh):join())  -- now shared
    F.closed = go.chan()
    F.closed:close()
    F.wg = go.waitgroup()
    F.mu = go.mutex()
    F.rw = go.rwmutex()
    F.rwguard = F.rw:rlock()
    F.rw:runlock()
    F.once = go.once()
    F.once:call(function() end)
    F.cond = go.cond(F.mu)
    F.timer = go.timer(3600)
    F.tchan = F.timer.C
    F.ticker = go.ticker(3600)
    F.af = go.after_func(3600, function() error("the after_func fixture fired") end)
    F.th = go.thread(function() return 42, "x" end)
    assert.same({ 42, "x" }, { F.th:join() })
    F.fin = {
      chan = finalized(function() local c = go.chan(2); c:send("buffered"); return c end),
      case = finalized(function() return go.recv(go.chan(1)) end),
      wg = finalized(go.waitgroup),
      mutex = finalized(go.mutex),
      rw = finalized(go.rwmutex),
      once = finalized(go.once),
      cond = finalized(function() return go.cond(go.mutex()) end),
      guard = finalized(function() return go.mutex():lock() end),
      timer = finalized(function() local t = go.timer(3600); t:stop(); return t end),
      thread = finalized(function() local th = go.thread(function() end); th:join(); return th end),
    }
    -- threads joined by earlier spec files may still be ending
    local deadline = go.now() + 5
    while go.debug.stats().threads > 0 and go.now() < deadline do go.sleep(0.001) end
    F.goroutines = go.numgoroutine()
    F.threads = go.debug.stats().threads
    healthy()
  end)

  lazy_teardown(function()
    -- no timer of ours may stay armed: it would delay deadlock reports
    -- of later spec files
    if F.timer then F.timer:stop() end
    if F.ticker then F.ticker:stop() end
    if F.af then F.af:stop() end
  end)

  before_each(function()
    -- a row that blocks instead of raising fails after 10 s instead of
    -- hanging: the watchdog's error interrupts main's blocking call
    watchdog = go.after_func(10, function() error("watchdog: the row blocked") end)
  end)

  after_each(function()
    watchdog:stop()
  end)

  for i, row in ipairs(BAD) do
    local desc, fn, text = row[1], row[2], row[3]
    assert(type(desc) == "string" and type(fn) == "function" and type(text) == "string",
           "malformed row " .. i)
    it(string.format("row %d: %s raises '%s'", i, desc, text), function()
      local ok, err = pcall(fn)
      assert.is_false(ok, "no error raised")
      err = tostring(err)
      assert.is_truthy(err:find(text, 1, true),
                       string.format("expected %q in %q", text, err))
      healthy()
    end)
  end

  it("has one row per bad input, " .. #BAD .. " rows", function()
    assert.is_true(#BAD >= 200)
  end)
end)


describe("valid extreme inputs", function()
  it("accept inf and huge durations, which never fire, and -inf, which fires at once", function()
    -- in a fresh process: go.after(math.huge) can never be stopped
    local out, code = support.run_lua [[
      local go = require "gochan"
      local t1 = go.timer(math.huge)
      local t2 = go.timer(1e18)
      local t3 = go.timer(math.maxinteger)
      local tk = go.ticker(math.huge)
      local a = go.after(math.huge)
      local af = go.after_func(math.huge, function() print("after_func fired") end)
      go.sleep(-math.huge)
      assert(t1:reset(math.huge) == true)
      tk:reset(math.huge)
      local got = go.select {
        go.recv(t1.C), go.recv(t2.C), go.recv(t3.C), go.recv(tk.C), go.recv(a),
        go.recv(go.after(0.05), function() return "timeout" end),
      }
      print(got)
      print(go.select { go.recv(go.after(-math.huge)), go.recv(a) })
      print(t1:stop(), t2:stop(), t3:stop(), af:stop())
      tk:stop()
      go(function() go.sleep(math.huge) end)
      go.yield()
      print("stats", go.debug.stats().waiters, go.numgoroutine())
    ]]
    assert.equal(0, code, out)
    local lines = {}
    for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equal("timeout", lines[1], out)
    assert.truthy(lines[2]:match("^1\t%d"), out)
    assert.equal("true\ttrue\ttrue\ttrue", lines[3], out)
    assert.equal("stats\t0\t2", lines[4], out)
    assert.equal(4, #lines, out)
  end)

  it("accept strings that convert to numbers where luaL_check* does", function()
    local c = go.chan("3")
    assert.equal(3, c:cap())
    assert.equal(2, go.chan(2.0):cap())
    local wg = go.waitgroup()
    wg:add("2")
    wg:add(-2.0)
    wg:wait()
    go.sleep("0")
    local t = go.timer("-1")
    assert.is_true(t:stop())
  end)

  it("ignore extra arguments of functions that take none", function()
    local out, code = support.run_lua [[
      local go = require "gochan"
      go.yield(1, 2)
      assert(go.id({}) == 1)
      assert(go.numgoroutine("x") == 1)
      assert(type(go.now(io.stdout)) == "number")
      assert(type(go.debug.goroutines(1, nil, {})) == "table")
      assert(type(go.debug.stats(true)) == "table")
      go.debug.dump(io.stdout, 42)
      local ch = go.chan(1)
      ch:send(1, 2, 3)
      assert(select("#", ch:recv(9)) == 2)
      local mu = go.mutex()
      mu:lock("x"); mu:unlock({})
      print("ok")
    ]]
    assert.equal(0, code, out)
    assert.truthy(out:find("ok\n", 1, true), out)
  end)
end)
