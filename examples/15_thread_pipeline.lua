-- 15_thread_pipeline.lua: a pipeline whose stages run on different threads.
--
-- A pipeline is a chain of stages connected by channels: each stage
-- receives values from upstream, works on them, and sends the results
-- downstream. When a stage has nothing more to send it closes its output
-- channel; the next stage's range loop then ends, and it closes its own
-- output in turn. So one close at the source travels down the whole chain
-- and every stage ends by itself (the "Go Concurrency Patterns: Pipelines"
-- article on the Go blog).
--
-- Here each stage runs on its own OS thread (go.thread), so the stages
-- really run at the same time. The channels between them are shared by the
-- threads: a channel passed to go.thread is the same channel on both sides,
-- and every value sent on it is copied from the sender's Lua state into the
-- receiver's (a table received is a copy of the table sent).
--
-- The Go program this mirrors:
--
--   func gen(n int) <-chan int {
--       out := make(chan int, 16)
--       go func() {
--           defer close(out)
--           for i := 1; i <= n; i++ { out <- i }
--       }()
--       return out
--   }
--
--   func sq(in <-chan int) <-chan int {
--       out := make(chan int, 16)
--       go func() {
--           defer close(out)
--           for v := range in { out <- v * v }
--       }()
--       return out
--   }
--
--   func main() {
--       sum := 0
--       for v := range sq(gen(1000)) { sum += v }
--       fmt.Println(sum)
--   }
--
-- Part 2 fans the squaring out to three threads reading one channel; a
-- WaitGroup shared by the threads tells main when all of them are done, so
-- the merged output channel can be closed (Go's "fan-out, fan-in").
--
-- Which thread squares which number changes from run to run; the script
-- prints only what does not: sums, counts and the channels' final state.

local go = require "gochan"

local N = 1000

-- The generator stage: sends 1..n, then closes its output. `<close>` is
-- Go's `defer close(out)`: the channel is closed when the function returns,
-- also if it fails, so the stages downstream are never left waiting.
local function generate(n, out)
  local o <close> = out
  for i = 1, n do
    o:send(i)
  end
  return n                                  -- th:join() returns it
end

-- The squaring stage: for each number received, sends a small table. The
-- table is built in this thread's Lua state and arrives as a copy in the
-- receiver's.
local function square(input, out)
  local o <close> = out
  local count = 0
  for v in input:range() do                 -- ends when 'input' is closed and drained
    o:send({ n = v, square = v * v })
    count = count + 1
  end
  return count
end

print(("Part 1: generator thread -> squarer thread -> main, 1..%d"):format(N))
local numbers = go.chan(16)                 -- buffered: the stages need not
local squares = go.chan(16)                 -- take turns value by value

local gen = go.thread(generate, N, numbers:send_only())
local sq = go.thread(square, numbers:recv_only(), squares:send_only())

local sum, received, last = 0, 0, 0
for msg in squares:range() do               -- main is the last stage
  assert(msg.n == last + 1, "values arrive in order: one sender, one FIFO channel")
  last = msg.n
  sum = sum + msg.square
  received = received + 1
end
print(("  main received %d squares, sum %d (expected n(n+1)(2n+1)/6 = %d)")
  :format(received, sum, N * (N + 1) * (2 * N + 1) // 6))
print(("  the generator sent %d numbers, the squarer squared %d"):format(gen:join(), sq:join()))
-- Closed by the stages' <close> variables, on their threads:
print("  numbers: " .. tostring(numbers) .. ", squares: " .. tostring(squares))
assert(sum == N * (N + 1) * (2 * N + 1) // 6)

print()
print("Part 2: fan-out to three squarer threads, fan-in with a shared WaitGroup")
local WORKERS = 3
numbers = go.chan(16)
local merged = go.chan(16)
local wg = go.waitgroup()                   -- shared by every thread it is passed to

-- A squarer worker of the fan-out: several of them read the same input
-- channel (each number goes to exactly one), so none of them may close the
-- merged output; each one says it is done with wg:done() instead.
local function worker(input, out, group)
  local count = 0
  for v in input:range() do
    out:send(v * v)
    count = count + 1
  end
  group:done()                              -- defer wg.Done()
  return count
end

gen = go.thread(generate, N, numbers:send_only())
local workers = {}
for i = 1, WORKERS do
  wg:add(1)                                 -- wg.Add(1) before starting it
  workers[i] = go.thread(worker, numbers:recv_only(), merged:send_only(), wg)
end

-- The closer: a goroutine of main's state that waits until every worker
-- thread has called wg:done(), then closes the merged channel, which ends
-- main's range loop below.
go(function()
  wg:wait()                                 -- blocks this goroutine only
  merged:close()
end)

sum, received = 0, 0
for v in merged:range() do
  sum = sum + v
  received = received + 1
end
local squared = 0
for i = 1, WORKERS do
  squared = squared + workers[i]:join()     -- each worker's share varies
end
print(("  main received %d squares from %d threads, sum %d"):format(received, WORKERS, sum))
print(("  the generator sent %d numbers; the workers' shares add up to %d")
  :format(gen:join(), squared))
print("  numbers: " .. tostring(numbers) .. ", merged: " .. tostring(merged))
assert(sum == N * (N + 1) * (2 * N + 1) // 6 and squared == N)

print()
print("Part 3: every thread has ended")
-- th:join() returned for each thread, so only main is left.
print(("  go.numgoroutine() = %d"):format(go.numgoroutine()))
