-- 17_worker_pool.lua: a worker pool, and a pipeline of stages.
--
-- A worker pool is a fixed number of goroutines fed by one jobs channel.
-- Each worker ranges over the jobs channel, so every job goes to exactly
-- one worker, and sends what it made on a results channel. The pool size,
-- not the number of jobs, decides how many jobs are in progress at once.
-- When the jobs channel is closed and drained the workers' loops end; a
-- WaitGroup then tells a closer goroutine that no worker will send again,
-- and it closes the results channel, which ends main's loop.
--
-- A pipeline is a chain of stages joined by channels. Each stage is a
-- function that takes its input channel, starts a goroutine, and returns
-- its output channel (receive-only). A stage closes its output when its
-- input is closed and drained, so a close at the source travels down the
-- whole chain. A stage that must be able to stop early also watches a
-- `done` channel: closing `done` tells every stage at once to give up.
--
-- The Go program this mirrors (part 1; parts 3 and 4 follow the Go blog's
-- "Go Concurrency Patterns: Pipelines and cancellation"):
--
--   type Result struct{ Job, Worker, Value int }
--
--   func worker(id int, jobs <-chan int, results chan<- Result, wg *sync.WaitGroup) {
--       defer wg.Done()
--       for j := range jobs {
--           fmt.Println("worker", id, "started job", j)
--           for k := 0; k < j%3+1; k++ {       // jobs take 1 to 3 steps
--               runtime.Gosched()
--           }
--           results <- Result{j, id, j * j}
--       }
--   }
--
--   func main() {
--       jobs := make(chan int, 9)
--       results := make(chan Result, 9)
--       var wg sync.WaitGroup
--       for w := 1; w <= 3; w++ {              // a fixed pool of 3
--           wg.Add(1)
--           go worker(w, jobs, results, &wg)
--       }
--       for j := 1; j <= 9; j++ {
--           jobs <- j
--       }
--       close(jobs)                            // no more jobs
--       go func() { wg.Wait(); close(results) }()
--       byJob := map[int]Result{}
--       for r := range results {
--           byJob[r.Job] = r
--       }
--       for j := 1; j <= 9; j++ {
--           r := byJob[j]
--           fmt.Printf("job %d -> %d (worker %d)\n", j, r.Value, r.Worker)
--       }
--   }
--
-- Work is simulated with go.yield() (runtime.Gosched()), so the output is
-- the same on every run: gochan runs goroutines one at a time in FIFO order
-- (Go's workers would take jobs in a different order each run). Part 2 uses
-- go.sleep, and prints its timings only on lines starting with "info:".

local go = require "gochan"

local ms = go.millisecond

print("Part 1: a pool of 3 workers, 9 jobs")
do
  local function worker(id, jobs, results, wg)
    for j in jobs:range() do                -- for j := range jobs
      print(("  worker %d started job %d"):format(id, j))
      for _ = 1, j % 3 + 1 do               -- jobs take 1 to 3 steps
        go.yield()
      end
      results:send({ job = j, worker = id, value = j * j })
    end
    wg:done()                               -- defer wg.Done()
  end

  local jobs = go.chan(9)                   -- jobs := make(chan int, 9)
  local results = go.chan(9)                -- results := make(chan Result, 9)
  local wg = go.waitgroup()
  for w = 1, 3 do                           -- a fixed pool of 3
    wg:add(1)
    go(worker, w, jobs:recv_only(), results:send_only(), wg)
  end
  for j = 1, 9 do
    jobs:send(j)                            -- buffered: main does not wait
  end
  jobs:close()                              -- no more jobs
  go(function() wg:wait(); results:close() end)

  local by_job = {}
  for r in results:range() do               -- ends once results is closed
    by_job[r.job] = r
  end
  for j = 1, 9 do
    local r = by_job[j]
    print(("  job %d -> %2d (worker %d)"):format(j, r.value, r.worker))
  end
end

print()
print("Part 2: the pool size bounds the work in progress")
-- 12 jobs that each wait 20 ms (a network call, say), through a pool of 4:
-- never more than 4 in progress, and the whole batch takes about 3 x 20 ms
-- instead of 12 x 20 ms.
do
  local JOBS, POOL, COST = 12, 4, 20 * ms
  local jobs, done = go.chan(), go.chan()
  local busy, most = 0, 0
  for _ = 1, POOL do
    go(function()
      for _ in jobs:range() do
        busy = busy + 1
        most = math.max(most, busy)
        go.sleep(COST)                      -- waiting costs no CPU
        busy = busy - 1
        done:send(true)
      end
    end)
  end
  local start = go.now()
  go(function()
    for j = 1, JOBS do jobs:send(j) end
    jobs:close()
  end)
  for _ = 1, JOBS do done:recv() end
  local took = go.now() - start
  print(("  %d jobs done; most in progress at once: %d (the pool size)")
    :format(JOBS, most))
  print(("  took at least %d x %d ms: %s"):format(JOBS // POOL, COST / ms,
    took >= (JOBS // POOL) * COST))
  print(("info: %d jobs of %d ms through %d workers took %.0f ms (one by one: %d ms)")
    :format(JOBS, COST / ms, POOL, took / ms, JOBS * COST / ms))
end

print()
print("Part 3: a pipeline: gen -> square -> label -> main")
-- Each stage returns its output channel; `local o <close> = out` closes it
-- when the stage's goroutine ends (Go's `defer close(out)`).
local function gen(...)
  local out = go.chan()
  go(function(...)
    local o <close> = out
    for _, n in ipairs { ... } do o:send(n) end
  end, ...)
  return out:recv_only()
end

local function square(input)
  local out = go.chan()
  go(function()
    local o <close> = out
    for n in input:range() do o:send(n * n) end
  end)
  return out:recv_only()
end

local function label(input)
  local out = go.chan()
  go(function()
    local o <close> = out
    for n in input:range() do
      o:send(("%d is %s"):format(n, n % 2 == 0 and "even" or "odd"))
    end
  end)
  return out:recv_only()
end

for line in label(square(gen(1, 2, 3, 4, 5))):range() do
  print("  " .. line)
end
print(("  goroutines left: %d (every stage ended when its input closed)")
  :format(go.numgoroutine()))

print()
print("Part 4: stopping a pipeline early with a done channel")
-- Main wants only the first 3 squares of an endless stream. Without a way
-- to stop them, the stages would stay blocked in send forever (a goroutine
-- leak). Each stage sends in a select that also watches `done`; closing
-- `done` wakes them all, and each one returns.
do
  local done = go.chan()

  local function naturals()
    local out = go.chan()
    go(function()
      local o <close> = out
      local n = 0
      while true do
        n = n + 1
        local i = go.select {
          go.send(o, n),                    -- case out <- n:
          go.recv(done),                    -- case <-done:
        }
        if i == 2 then return end           --     return
      end
    end)
    return out:recv_only()
  end

  local function squares(input)
    local out = go.chan()
    go(function()
      local o <close> = out
      for n in input:range() do
        local i = go.select { go.send(o, n * n), go.recv(done) }
        if i == 2 then return end
      end
    end)
    return out:recv_only()
  end

  local stream = squares(naturals())
  for _ = 1, 3 do
    print("  got " .. stream:recv())
  end
  print(("  goroutines before closing done: %d"):format(go.numgoroutine()))
  done:close()                              -- close(done): every stage sees it
  go.sleep(go.millisecond)                  -- let them run and return
  print(("  goroutines after closing done:  %d"):format(go.numgoroutine()))
end
