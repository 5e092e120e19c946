-- Go-style channels for cqueues, and what every cqueues peer of the gochan
-- benchmarks B1-B9 shares (command line, clocks, /proc/self/status, the
-- output line). cqueues has no channels; this is the small channel a
-- cqueues user would write: a ring-buffer queue in a table plus
-- cqueues.condition objects, signalled only when someone waits.
--
--   local chan = require "chan"
--   local ch = chan.new(cap)       -- cap 0 (default): unbuffered
--   ch:send(v)                     -- blocks while full / until received;
--                                  -- error "send on closed channel"
--   local v, ok = ch:recv()        -- ok == false: closed and drained
--   for v in ch:range() do ... end  -- (ends at a nil value too)
--   ch:close()
--   local i, v, ok = chan.select(chs, n)  -- receive from one of chs[1..n]
--                                         -- (nil entries are skipped)
--   local wg = chan.waitgroup()    -- wg:add(d), wg:done(), wg:wait()
--
-- Blocking calls must run in a coroutine of a cqueues controller (cq:wrap).
--
-- Unbuffered send is Go's rendezvous: when a receiver is parked, the sender
-- hands the value over (the receiver is woken and the value reserved for a
-- receiver) and goes on without blocking; otherwise it queues the value and
-- waits until a receiver has taken it. Values are taken in FIFO order, so a
-- sender's value has been taken once the count of taken values reaches the
-- sender's sequence number.
--
-- Closing an unbuffered channel keeps the values handed over (held, at the
-- head of the queue) and drops those of waiting senders, which raise.
--
-- Waiter counts: rwait (receivers parked in recv) and swait (senders
-- parked) are decremented by whoever signals, so a signal goes out only
-- when somebody is parked and is not already woken. select waiters park on
-- several conditions at once and count themselves in selw (decremented by
-- themselves after waking); a push wakes them all (there is one in practice).
local cqueues = require "cqueues"
local condition = require "cqueues.condition"

local poll, monotime = cqueues.poll, cqueues.monotime
local unpack = table.unpack

local M = {}

local Buf = {}   -- methods of buffered channels
Buf.__index = Buf
local Unbuf = {} -- methods of unbuffered channels
Unbuf.__index = Unbuf

-- The queue is a ring of size 2^k in buf[1..size]: head is the 0-based
-- position of the oldest value, count the number of values.
local function newchan(mt, cap, size)
  return setmetatable({
    buf = {}, size = size, mask = size - 1, head = 0, count = 0,
    cap = cap, closed = false,
    rwait = 0, swait = 0, selw = 0,
    pushed = 0, taken = 0, held = 0, -- unbuffered: sequence numbers, hand-offs
    rcond = condition.new(), scond = condition.new(),
  }, mt)
end

function M.new(cap)
  cap = cap or 0
  if cap == 0 then
    return newchan(Unbuf, 0, 4)
  end
  local size = 1
  while size < cap do
    size = size * 2
  end
  return newchan(Buf, cap, size)
end

-- Unbuffered: the queue holds values handed over or waiting for their
-- sender's receiver; it grows when needed (many senders).
local function grow(ch)
  local buf, size, head = ch.buf, ch.size, ch.head
  local nbuf = {}
  for k = 0, size - 1 do
    nbuf[k + 1] = buf[((head + k) & (size - 1)) + 1]
  end
  ch.buf, ch.size, ch.mask, ch.head = nbuf, size * 2, size * 2 - 1, 0
end

local function closed_error()
  error("send on closed channel", 3)
end

function Unbuf:send(v)
  if self.closed then
    closed_error()
  end
  local n = self.count
  if n == self.size then
    grow(self)
  end
  self.buf[((self.head + n) & self.mask) + 1] = v
  self.count = n + 1
  local seq = self.pushed + 1
  self.pushed = seq
  if self.rwait > 0 then -- hand-off to a parked receiver
    self.rwait = self.rwait - 1
    self.held = self.held + 1
    self.rcond:signal(1)
    return
  end
  if self.selw > 0 then
    self.rcond:signal()
  end
  repeat
    self.swait = self.swait + 1
    self.scond:wait()
    if self.taken < seq and self.closed then
      closed_error()
    end
  until self.taken >= seq
end

-- awaitvalue: wait until the queue has a value (its count) or the
-- channel is closed and empty (nil); the slow path of both receives.
local function awaitvalue(self)
  local n = self.count
  while n == 0 do
    if self.closed then
      return nil
    end
    self.rwait = self.rwait + 1
    self.rcond:wait()
    n = self.count
  end
  return n
end

function Unbuf:recv()
  local n = self.count
  if n == 0 then
    n = awaitvalue(self)
    if not n then
      return nil, false
    end
  end
  local h, buf = self.head, self.buf
  local v = buf[h + 1]
  buf[h + 1] = nil
  self.head = (h + 1) & self.mask
  self.count = n - 1
  self.taken = self.taken + 1
  if self.held > 0 then
    self.held = self.held - 1
  end
  if self.swait > 0 then -- the sender of v is among them: wake them all
    self.swait = 0
    self.scond:signal()
  end
  return v, true
end

function Buf:send(v)
  if self.closed then
    closed_error()
  end
  local n = self.count
  while n >= self.cap do
    self.swait = self.swait + 1
    self.scond:wait()
    if self.closed then
      closed_error()
    end
    n = self.count
  end
  self.buf[((self.head + n) & self.mask) + 1] = v
  self.count = n + 1
  if self.rwait > 0 then
    self.rwait = self.rwait - 1
    self.rcond:signal(1)
  elseif self.selw > 0 then
    self.rcond:signal()
  end
end

function Buf:recv()
  local n = self.count
  if n == 0 then
    n = awaitvalue(self)
    if not n then
      return nil, false
    end
  end
  local h, buf = self.head, self.buf
  local v = buf[h + 1]
  buf[h + 1] = nil
  self.head = (h + 1) & self.mask
  self.count = n - 1
  if self.swait > 0 then
    self.swait = self.swait - 1
    self.scond:signal(1)
  end
  return v, true
end

local function close(self)
  if self.closed then
    error("close of closed channel", 3)
  end
  self.closed = true
  self.rwait, self.swait = 0, 0
  self.rcond:signal()
  self.scond:signal()
end

function Buf:close()
  close(self)
end

function Unbuf:close()
  close(self)
  local buf, mask, head = self.buf, self.mask, self.head
  for k = self.held, self.count - 1 do -- values of waiting senders
    buf[((head + k) & mask) + 1] = nil
  end
  self.count = self.held
end

local function range(self)
  local recv = self.recv
  return function ()
    return (recv(self))
  end
end
Buf.range, Unbuf.range = range, range

-- select over receives: returns the index of the chosen channel, the value
-- and ok (false: that channel is closed). Among ready channels the one
-- chosen rotates (Go picks at random) so that none is starved.
local rot = 0
local conds = {}

function M.select(chs, n)
  while true do
    rot = rot % n + 1
    local i = rot
    for _ = 1, n do
      local ch = chs[i]
      if ch then
        if ch.count > 0 then
          return i, ch:recv()
        elseif ch.closed then
          return i, nil, false
        end
      end
      i = i % n + 1
    end
    local k = 0
    for j = 1, n do
      local ch = chs[j]
      if ch then
        k = k + 1
        conds[k] = ch.rcond
        ch.selw = ch.selw + 1
      end
    end
    if k == 0 then
      error("select with no channels would block forever", 2)
    end
    poll(unpack(conds, 1, k))
    for j = 1, n do
      local ch = chs[j]
      if ch then
        ch.selw = ch.selw - 1
      end
    end
  end
end

local WaitGroup = {}
WaitGroup.__index = WaitGroup

function M.waitgroup()
  return setmetatable({ n = 0, waiters = 0, cond = condition.new() }, WaitGroup)
end

function WaitGroup:add(d)
  local n = self.n + d
  if n < 0 then
    error("negative WaitGroup counter", 2)
  end
  self.n = n
  if n == 0 and self.waiters > 0 then
    self.waiters = 0
    self.cond:signal()
  end
end

function WaitGroup:done()
  local n = self.n - 1
  if n < 0 then
    error("negative WaitGroup counter", 2)
  end
  self.n = n
  if n == 0 and self.waiters > 0 then
    self.waiters = 0
    self.cond:signal()
  end
end

function WaitGroup:wait()
  while self.n > 0 do
    self.waiters = self.waiters + 1
    self.cond:wait()
  end
end

------------------------------------------------------------------------
-- Benchmark harness (the same for every script).

M.monotime = monotime

-- N (arg[1], def when absent) and MODE (arg[2] or "").
function M.args(def)
  local n = def
  if arg[1] and arg[1] ~= "" then
    n = math.tointeger(tonumber(arg[1]))
    if not n or n <= 0 then
      io.stderr:write("usage: lua5.4 ", arg[0], " [N > 0] [MODE]\n")
      os.exit(2)
    end
  end
  return n, arg[2] or ""
end

-- wrong=<why> (spaces as '_') and exit status 1.
function M.wrong(fmt, ...)
  local why = string.format(fmt, ...):gsub(" ", "_")
  io.stdout:write("wrong=", why, "\n")
  io.stdout:flush()
  os.exit(1)
end

-- A field of /proc/self/status given in kB (VmRSS, VmHWM, ...).
function M.status_kb(field)
  local f = assert(io.open("/proc/self/status"))
  local s = f:read("a")
  f:close()
  local v = s:match("\n" .. field .. ":%s*(%d+) kB")
  if not v then
    M.wrong("no %s in /proc/self/status", field)
  end
  return tonumber(v)
end

-- The measured region: a full collection, then the clocks (wall: cqueues
-- monotime; cpu: os.clock, the process CPU time).
function M.start()
  collectgarbage()
  collectgarbage()
  return { wall = monotime(), cpu = os.clock() }
end

function M.stop(r)
  local cpu = os.clock() - r.cpu
  return monotime() - r.wall, cpu
end

-- The result line; extra: further "key=value" strings.
function M.report(wall, cpu, n, ...)
  local line = string.format("wall=%.9f cpu=%.9f n=%d", wall, cpu, n)
  local extra = table.concat({ ... }, " ")
  if extra ~= "" then
    line = line .. " " .. extra
  end
  io.stdout:write(line, "\n")
  io.stdout:flush()
end

-- Runs main(cq) as the main goroutine of a new controller and steps the
-- controller until main returns; as in Go, goroutines still blocked then
-- are abandoned (B4's sieve chain). A goroutine's error is wrong=error.
function M.run(main)
  local cq = cqueues.new()
  local finished = false
  cq:wrap(function ()
    main(cq)
    finished = true
  end)
  while not finished do
    local ok, err = cq:step()
    if not ok then
      io.stderr:write(tostring(err), "\n")
      M.wrong("error: %s", tostring(err):match("[^\n]*"))
    end
  end
end

-- Runs the shape of B1, B2 and B6: body(cq, n) works on 1..n and returns
-- the sum of what it received, n(n+1)/2: a warm-up of n/10, the measured
-- run, both sums checked, the result line.
function M.run_sum(def, body)
  M.run(function (cq)
    local n = M.args(def)
    local w = n // 10
    if w > 0 then
      local got, want = body(cq, w), w * (w + 1) // 2
      if got ~= want then
        M.wrong("warm-up sum %d, want %d", got, want)
      end
    end
    local r = M.start()
    local sum = body(cq, n)
    local wall, cpu = M.stop(r)
    local want = n * (n + 1) // 2
    if sum ~= want then
      M.wrong("sum %d, want %d", sum, want)
    end
    M.report(wall, cpu, n)
  end)
end

return M
