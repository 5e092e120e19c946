---@meta gochan
-- LuaLS annotations for gochan (STYLE.md 2.10): the C core and the module
-- table that lua/gochan/init.lua builds. This file is never loaded: it lies
-- outside the require path, for editors (add types/ to the language
-- server's workspace.library). docs/api.md is the reference; the texts here
-- are short forms of it. spec/types_spec.lua checks every name below
-- against the loaded module and its objects, and the reverse.
--
-- `---@async` marks what can park the calling goroutine. Every such call
-- also works outside a goroutine: the main goroutine, or a place where a
-- coroutine cannot yield, runs the scheduler inline until the call can
-- complete (docs/api.md, "Goroutines and the scheduler").


--[[ Classes ]]

--- A channel (`gochan.chan`), or a direction view of one (`ch:recv_only()`,
--- `ch:send_only()`, a timer's `t.C`, `go.after(d)`). Carries any Lua
--- value, `nil` included. `#ch` is `ch:len()`; `ch == other` holds for a
--- channel and its views; a channel or send-only view in a `<close>`
--- variable is closed when the variable goes out of scope.
---@class gochan.Chan
---@operator len: integer
local Chan = {}

--- Blocks the calling goroutine until `wg`'s counter is 0 (`sync.WaitGroup`).
---@class gochan.WaitGroup
local WaitGroup = {}

--- A mutual exclusion lock (`sync.Mutex`), handed to waiters in FIFO order.
---@class gochan.Mutex
local Mutex = {}

--- A reader/writer lock (`sync.RWMutex`); a waiting writer keeps new readers
--- out.
---@class gochan.RWMutex
local RWMutex = {}

--- Runs a function exactly once (`sync.Once`).
---@class gochan.Once
local Once = {}

--- A condition variable bound to a Mutex (`sync.Cond`).
---@class gochan.Cond
local Cond = {}

--- The guard that `mu:lock()`, `rw:lock()` and `rw:rlock()` return, for
--- `local _ <close> = mu:lock()`: closing it unlocks (a read guard calls
--- `runlock`). It has no methods.
---@class gochan.Guard

--- A timer (`time.Timer`), made by `go.timer(d)` or `go.after_func(d, f)`.
---@class gochan.Timer
---@field C gochan.Chan|nil receive-only; receives `go.now()` when the timer fires (`nil` for `after_func`)
local Timer = {}

--- A ticker (`time.Ticker`), made by `go.ticker(d)`.
---@class gochan.Ticker
---@field C gochan.Chan the receive-only channel that receives `go.now()` at each tick (it holds at most one)
local Ticker = {}

--- An OS thread running a function in its own Lua state, made by
--- `go.thread(f, ...)`.
---@class gochan.Thread
local Thread = {}

--- A select case made by `go.recv` or `go.send`: an immutable userdata,
--- reusable in any number of `go.select` calls. It has no methods.
---@class gochan.Case

--- One record of `go.debug.goroutines()`.
---@class gochan.debug.Goroutine
---@field id integer the goroutine's id
---@field thread integer 0 for the main state, else the number of the `go.thread` state (as in deadlock reports)
---@field status "running"|"runnable"|"waiting"
---@field wait string|nil the wait reason of a waiting goroutine ("chan receive", "sleep", "thread join", ...)
---@field created_at string|nil "file:line" where its function is defined; nil for main goroutines and when not known
---@field at string|nil "file:line" of the innermost Lua line it is at; nil when not known

--- The counts `go.debug.stats()` returns.
---@class gochan.debug.Stats
---@field goroutines integer live goroutines of the program (as `go.numgoroutine()`)
---@field threads integer threads started by `go.thread` and not ended yet
---@field channels integer live channels in the process
---@field shared integer live shared objects in the process (channels, sync objects, Threads)
---@field waiters integer operations the calling state's goroutines are blocked in
---@field timers integer armed timers of the calling state, plus those on the process-wide timer thread

--- A receive handler of `go.recv`: called with what `ch:recv()` would return.
---@alias gochan.RecvHandler fun(v: any, ok: boolean): ...

--- The table `go.select` takes: cases in `[1] .. [#cases]`, and `default`.
---@class gochan.SelectCases
---@field [integer] gochan.Case
---@field default? boolean|fun(): ... `true`, or a handler called with no arguments; `nil`/`false`: none


--[[ The module ]]

--- `local go = require "gochan"`: Go's concurrency for Lua 5.4.
--- Calling the module, `go(f, ...)`, is `go.go(f, ...)`.
---@class gochan
---@overload fun(f: function|table, ...: any): integer
local go = {}

--- The version string.
---@type string
go._VERSION = "gochan 0.1.0"

--- Durations are seconds: `go.sleep(300 * go.millisecond)`.
---@type number
go.nanosecond = 1e-9
---@type number
go.microsecond = 1e-6
---@type number
go.millisecond = 1e-3
---@type number
go.second = 1
---@type number
go.minute = 60
---@type number
go.hour = 3600


--[[ Goroutines and the scheduler ]]

--- Starts `f(...)` as a new goroutine; returns its id. Never blocks: the new
--- goroutine first runs when the caller blocks or yields. Every argument is
--- passed, `nil`s included.
---@param f function|table any callable
---@param ... any
---@return integer id
function go.go(f, ...) end

--- Lets other goroutines run (`runtime.Gosched`). In the main goroutine it
--- runs each goroutine that was runnable once, then raises a pending
--- goroutine error, if any.
---@async
function go.yield() end

--- The id of the running goroutine (main is 1 in the first state).
---@nodiscard
---@return integer id
function go.id() end

--- The number of live goroutines of the program (main included), over
--- every state of its family.
---@nodiscard
---@return integer n
function go.numgoroutine() end


--[[ Threads ]]

--- Starts `f(...)` on a new OS thread, in a new Lua state with its own
--- scheduler. `f` and the arguments are copied (channels and sync objects
--- are shared); `f` sees the new state's globals. Never blocks. A Thread
--- that is never joined leaks nothing.
---@param f function a Lua function, or a library function that crosses by name
---@param ... any
---@return gochan.Thread th
function go.thread(f, ...) end

--- Blocks until the thread has finished (its function returned and every
--- goroutine it started has finished); returns the function's results,
--- copied, or raises the thread's error. May be called any number of times.
---@async
---@return any ...
function Thread:join() end


--[[ Channels ]]

--- A new channel with a buffer of `n` values (default 0: unbuffered).
---@nodiscard
---@param n? integer buffer size, 0 .. 2^44
---@return gochan.Chan ch
---@overload fun(): gochan.Chan
function go.chan(n) end

--- Sends `v` (`ch <- v`); `v` must be given (`ch:send(nil)` sends nil).
--- Raises `send on closed channel`.
---@async
---@param v any
function Chan:send(v) end

--- Receives a value (`v, ok := <-ch`): `v, true` for a sent value,
--- `nil, false` once the channel is closed and drained.
---@async
---@return any value
---@return boolean ok
function Chan:recv() end

--- Closes the channel. Raises `close of closed channel`.
function Chan:close() end

--- The number of values in the buffer.
---@nodiscard
---@return integer n
function Chan:len() end

--- The buffer size.
---@nodiscard
---@return integer n
function Chan:cap() end

--- `for v in ch:range() do ... end` (`for v := range ch`): each step
--- receives one value; the loop ends when the channel is closed and
--- drained (or on a received `nil`).
---@nodiscard
---@return async fun(ch: gochan.Chan): any iterator
---@return gochan.Chan ch
function Chan:range() end

--- A receive-only view (`<-chan T`) of the channel.
---@nodiscard
---@return gochan.Chan view
function Chan:recv_only() end

--- A send-only view (`chan<- T`) of the channel.
---@nodiscard
---@return gochan.Chan view
function Chan:send_only() end


--[[ Select ]]

--- Go's `select`. Completes one ready case, chosen at random; else runs the
--- default if there is one; else blocks until a case can proceed. Returns
--- the chosen case's handler results; without a handler, `i, v, ok` for a
--- receive case, `i, nil, nil` for a send case, `0, nil, nil` for the
--- default.
---@async
---@param cases gochan.SelectCases
---@return any i the chosen case's index (0: the default), or the handler's first result
---@return any value the received value (nil for a send case or the default)
---@return boolean|nil ok as `ch:recv()`'s (nil for a send case or the default)
---@return any ... further results of a handler
function go.select(cases) end

--- A receive case for `go.select`. `ch` may be `nil` (the case never
--- proceeds); `handler`, if given, is called with `v, ok`.
---@nodiscard
---@param ch gochan.Chan|nil
---@param handler? gochan.RecvHandler
---@return gochan.Case case
function go.recv(ch, handler) end

--- A send case for `go.select` that sends `v` (captured now). `ch` may be
--- `nil`; `handler`, if given, is called with no arguments once sent.
---@nodiscard
---@param ch gochan.Chan|nil
---@param v any
---@param handler? fun(): ...
---@return gochan.Case case
function go.send(ch, v, handler) end


--[[ sync ]]

--- A new WaitGroup with counter 0.
---@nodiscard
---@return gochan.WaitGroup wg
function go.waitgroup() end

--- Adds `n` (may be negative) to the counter; at 0 the waiters are
--- released. Raises `sync: negative WaitGroup counter`.
---@param n integer
function WaitGroup:add(n) end

--- `wg:add(-1)`.
function WaitGroup:done() end

--- Blocks until the counter is 0.
---@async
function WaitGroup:wait() end

--- A new, unlocked Mutex.
---@nodiscard
---@return gochan.Mutex mu
function go.mutex() end

--- Locks; blocks while another holder has it. Returns the mutex's guard
--- (always the same object), for `local _ <close> = mu:lock()`.
---@async
---@return gochan.Guard guard
function Mutex:lock() end

--- Unlocks (any goroutine may). Raises `sync: unlock of unlocked mutex`.
function Mutex:unlock() end

--- Locks if unlocked and returns `true`, else returns `false`. Never blocks.
---@return boolean locked
function Mutex:try_lock() end

--- A new RWMutex.
---@nodiscard
---@return gochan.RWMutex rw
function go.rwmutex() end

--- Locks for writing; blocks while a writer or any reader holds it.
--- Returns the write guard.
---@async
---@return gochan.Guard guard
function RWMutex:lock() end

--- Releases the write lock. Raises `sync: Unlock of unlocked RWMutex`.
function RWMutex:unlock() end

--- Locks for reading; blocks while a writer holds or waits for the lock.
--- Returns the read guard.
---@async
---@return gochan.Guard guard
function RWMutex:rlock() end

--- Releases one read lock. Raises `sync: RUnlock of unlocked RWMutex`.
function RWMutex:runlock() end

--- A new Once.
---@nodiscard
---@return gochan.Once once
function go.once() end

--- The first call runs `f()` (results dropped); calls made meanwhile block
--- until it returns; later calls return at once. If `f` raises, the error
--- propagates from the first call and the Once counts as done.
---@async
---@param f fun()
function Once:call(f) end

--- A new Cond bound to the Mutex `mu` (not an RWMutex).
---@nodiscard
---@param mu gochan.Mutex
---@return gochan.Cond cond
function go.cond(mu) end

--- Unlocks the mutex, blocks until woken by `signal` or `broadcast`, then
--- locks it again. Call it in a loop that re-checks the condition.
---@async
function Cond:wait() end

--- Wakes the goroutine that has waited longest, if any.
function Cond:signal() end

--- Wakes every waiting goroutine.
function Cond:broadcast() end


--[[ time ]]

--- The monotonic clock in seconds; only differences are meaningful.
---@nodiscard
---@return number seconds
function go.now() end

--- Blocks the calling goroutine for at least `d` seconds (`d <= 0`: returns
--- at once).
---@async
---@param d number seconds
function go.sleep(d) end

--- A receive-only channel that receives `go.now()` once, at least `d`
--- seconds from now.
---@nodiscard
---@param d number seconds
---@return gochan.Chan ch
function go.after(d) end

--- A Timer that fires after `d` seconds: `t.C` then receives `go.now()`.
---@nodiscard
---@param d number seconds
---@return gochan.Timer t
function go.timer(d) end

--- A Ticker whose `tk.C` receives `go.now()` every `d` seconds (`d > 0`).
---@nodiscard
---@param d number seconds
---@return gochan.Ticker tk
function go.ticker(d) end

--- A Timer that starts `f()` in a new goroutine after `d` seconds
--- (`time.AfterFunc`); its `C` is `nil`. It need not be kept.
---@param d number seconds
---@param f fun()
---@return gochan.Timer t
function go.after_func(d, f) end

--- Stops the timer. `true` if it was active (armed, or fired with its value
--- not yet received, which is discarded), else `false`.
---@return boolean active
function Timer:stop() end

--- Re-arms the timer to fire `d` seconds from now; returns what `t:stop()`
--- would have returned.
---@param d number seconds
---@return boolean active
function Timer:reset(d) end

--- Stops the ticker and discards a pending tick.
function Ticker:stop() end

--- Stops the ticker, discards a pending tick and restarts it with period
--- `d` (`d > 0`).
---@param d number seconds
function Ticker:reset(d) end


--[[ Debugging ]]

--- Looking at the goroutines of the program (the calling state's family).
---@class gochan.debug
go.debug = {}

--- One record per live goroutine: the calling state's first (main first),
--- then each thread state's.
---@nodiscard
---@return gochan.debug.Goroutine[] goroutines
function go.debug.goroutines() end

--- Writes the goroutine list to stderr the way Go prints goroutines when it
--- crashes.
function go.debug.dump() end

--- Counts taken at the moment of the call.
---@nodiscard
---@return gochan.debug.Stats stats
function go.debug.stats() end

return go
