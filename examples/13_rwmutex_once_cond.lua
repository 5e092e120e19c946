-- 13_rwmutex_once_cond.lua: sync.RWMutex, sync.Once and sync.Cond.
--
-- Three more tools of Go's sync package, each shown on its own:
--
--   * RWMutex: a lock with two modes. Any number of readers may hold it at
--     once (RLock/RUnlock), but a writer (Lock/Unlock) holds it alone. A
--     writer waiting for the readers to leave keeps new readers out, so it
--     is not starved.
--   * Once: once.Do(f) runs f the first time it is called, and never again.
--     Callers that come while f is running wait until it has finished, so
--     nobody sees a half-done initialisation.
--   * Cond: a place where goroutines wait for a condition on shared state
--     to become true. c.Wait() unlocks the mutex, sleeps until woken, and
--     locks it again; c.Signal() wakes one waiter, c.Broadcast() all.
--
-- In gochan: go.rwmutex() (rlock, runlock, lock, unlock), go.once()
-- (once:call(f)), go.cond(mu) (wait, signal, broadcast).
--
-- The Go program this mirrors (part 3; parts 1 and 2 follow the same lines):
--
--   var mu sync.Mutex
--   cond := sync.NewCond(&mu)
--   started := false
--   for i := 1; i <= 3; i++ {
--       go func(i int) {
--           mu.Lock()
--           for !started {             // always wait in a loop
--               cond.Wait()
--           }
--           mu.Unlock()
--           fmt.Println("runner", i, "runs")
--       }(i)
--   }
--   mu.Lock()
--   started = true                     // change the state under the lock,
--   mu.Unlock()
--   cond.Broadcast()                   // then wake everyone to look at it
--
-- Here the goroutines yield (runtime.Gosched()) where Go's would take time,
-- and gochan runs them one at a time in FIFO order, so the logs below are the
-- same on every run. In Go, the order of the lines would vary.

local go = require "gochan"

print("Part 1: RWMutex: readers together, a writer alone")
do
  local rw = go.rwmutex()                   -- var rw sync.RWMutex
  local readers, writers = 0, 0             -- who is inside right now
  local max_readers, clash = 0, false
  local wg = go.waitgroup()

  local function reader(name)
    print(("  %s wants to read"):format(name))
    rw:rlock()                              -- rw.RLock()
    readers = readers + 1
    max_readers = math.max(max_readers, readers)
    if writers > 0 then clash = true end
    print(("  %s reads   (readers inside: %d)"):format(name, readers))
    go.yield()                              -- reading takes a while
    go.yield()
    readers = readers - 1
    print(("  %s is done reading"):format(name))
    rw:runlock()                            -- rw.RUnlock()
    wg:done()
  end

  local function writer(name)
    print(("  %s wants to write"):format(name))
    local _ <close> = rw:lock()             -- rw.Lock(); defer rw.Unlock()
    writers = writers + 1
    if readers > 0 or writers > 1 then clash = true end
    print(("  %s writes  (readers inside: %d)"):format(name, readers))
    go.yield()                              -- writing takes a while
    writers = writers - 1
    print(("  %s is done writing"):format(name))
    wg:done()
  end

  wg:add(6)
  go(reader, "R1")
  go(reader, "R2")
  go(reader, "R3")
  go(writer, "W")                           -- must wait for R1..R3
  go(reader, "R4")                          -- come after W: wait for W
  go(reader, "R5")
  wg:wait()
  print(("  most readers inside at once: %d; a writer never shared the lock: %s")
    :format(max_readers, not clash))
end

print()
print("Part 2: Once: initialisation done once, for everyone")
do
  local once = go.once()                    -- var once sync.Once
  local config                              -- set up by the first caller
  local runs = 0
  local wg = go.waitgroup()

  local function load_config()
    runs = runs + 1
    print("  loading the configuration...")
    go.yield()                              -- slow: the others come meanwhile
    go.yield()
    config = { workers = 4 }
    print("  ...loaded")
  end

  for i = 1, 5 do
    wg:add(1)
    go(function()
      once:call(load_config)                -- once.Do(loadConfig)
      -- Whoever called first, and whoever came while it ran: everyone gets
      -- here only after load_config has finished.
      print(("  goroutine %d sees workers = %d"):format(i, config.workers))
      wg:done()
    end)
  end
  wg:wait()
  print(("  load_config ran %d time(s) for 5 callers"):format(runs))

  -- If f raises, the error goes to the caller, and f still counts as done:
  -- a Once never runs anything a second time.
  local broken = go.once()
  local ok, err = pcall(broken.call, broken, function() error("no config file", 0) end)
  print(("  first call raised: %s, %q"):format(ok, err))
  local called = false
  broken:call(function() called = true end)
  print(("  second call ran its function: %s"):format(called))
end

print()
print("Part 3: Cond: runners wait for the starting gun")
do
  local mu = go.mutex()
  local cond = go.cond(mu)                  -- sync.NewCond(&mu)
  local started = false
  local finished = go.waitgroup()

  local function runner(i)
    mu:lock()
    while not started do                    -- wake-ups are hints: re-check
      print(("  runner %d waits at the line"):format(i))
      cond:wait()                           -- unlocks mu while asleep
    end
    mu:unlock()
    print(("  runner %d runs"):format(i))
    finished:done()
  end

  finished:add(3)
  for i = 1, 3 do go(runner, i) end
  go.yield()                                -- let them all reach the line

  mu:lock()
  started = true                            -- change the state under the lock
  mu:unlock()
  print("  main: bang! (broadcast)")
  cond:broadcast()                          -- wake every waiter
  finished:wait()

  -- Signal wakes a single waiter: here, a queue of jobs where each job is
  -- announced with one signal and taken by exactly one worker.
  print("  signal: one job, one worker woken")
  local jobs = {}
  local done = go.waitgroup()
  local function worker(name)
    mu:lock()
    while #jobs == 0 do cond:wait() end
    local job = table.remove(jobs, 1)
    mu:unlock()
    print(("  %s took %s"):format(name, job))
    done:done()
  end
  done:add(2)
  go(worker, "worker A")
  go(worker, "worker B")
  go.yield()                                -- both are waiting now
  for _, job in ipairs { "job 1", "job 2" } do
    mu:lock()
    jobs[#jobs + 1] = job
    mu:unlock()
    cond:signal()                           -- wake one waiter for this job
    go.yield()
  end
  done:wait()
end
