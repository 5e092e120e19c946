-- 09_mutex_tickets.lua: a critical section guarded by sync.Mutex.
--
-- The course's ticket office: 10 tickets, four windows (goroutines) selling
-- them at the same time. Selling a ticket is three steps: look whether a
-- ticket is left, take some time to print it, then count it as sold. If a
-- window can be interrupted between the look and the count, other windows
-- see the last ticket still there and sell it too: depending on where the
-- interruption falls, a ticket is sold twice, or tickets that do not exist
-- (number 0, -1, ...) are sold. The shared counter is a *critical resource*;
-- the code that reads and updates it is a *critical section*.
--
-- A sync.Mutex makes the critical section exclusive: mu.Lock() waits until no
-- one else holds the lock, mu.Unlock() lets the next waiter in. Between the
-- two, one window at a time works on the counter, even if it is interrupted.
--
-- In gochan: local mu = go.mutex(), mu:lock(), mu:unlock(), mu:try_lock().
-- mu:lock() also returns a guard for Lua 5.4's to-be-closed variables:
--
--   do
--     local _ <close> = mu:lock()   -- mu.Lock(); defer mu.Unlock()
--     ...                           -- unlocked when the block ends,
--   end                             -- even when it ends with an error
--
-- The Go program this mirrors:
--
--   var ticket = 10
--   var mutex sync.Mutex
--   var wg sync.WaitGroup
--
--   func saleTickets(name string) {
--       defer wg.Done()
--       for {
--           mutex.Lock()
--           if ticket > 0 {
--               time.Sleep(time.Millisecond)   // printing the ticket
--               fmt.Println(name, "sold", ticket)
--               ticket--
--           } else {
--               mutex.Unlock()
--               fmt.Println(name, "sold out")
--               break
--           }
--           mutex.Unlock()
--       }
--   }
--
--   func main() {
--       wg.Add(4)
--       go saleTickets("window 1")
--       go saleTickets("window 2")
--       go saleTickets("window 3")
--       go saleTickets("window 4")
--       wg.Wait()
--   }
--
-- gochan runs one goroutine at a time, so a goroutine is interrupted only where
-- it lets go: a go.yield(), a go.sleep(), a blocking channel operation. That is
-- enough for the race: part 1 yields between the look and the count, with no
-- lock, and oversells. Part 2 is the Go program above.

local go = require "gochan"

local TICKETS = 10
local WINDOWS = 4

-- Checks a list of sold ticket numbers: each of 1..TICKETS exactly once.
local function check(sold)
  local times = {}                        -- ticket number -> times sold
  for _, t in ipairs(sold) do
    times[t] = (times[t] or 0) + 1
  end
  local twice, bogus, lost = {}, {}, {}
  for t = 1, TICKETS do
    if not times[t] then
      lost[#lost + 1] = t
    elseif times[t] > 1 then
      twice[#twice + 1] = ("%d (%d times)"):format(t, times[t])
    end
  end
  for t in pairs(times) do
    if math.type(t) ~= "integer" or t < 1 or t > TICKETS then
      bogus[#bogus + 1] = t
    end
  end
  table.sort(bogus)
  local function list(l) return #l > 0 and table.concat(l, ", ") or "none" end
  print(("  %d tickets handed out for %d seats"):format(#sold, TICKETS))
  print("  sold more than once: " .. list(twice))
  print("  nonexistent:         " .. list(bogus))
  print("  never sold:          " .. list(lost))
  return #twice == 0 and #bogus == 0 and #lost == 0
end

print("Part 1: no lock, so the windows race")
do
  local ticket = TICKETS
  local sold = {}
  local wg = go.waitgroup()

  local function sale()
    while true do
      if ticket > 0 then                  -- look: a ticket is left...
        go.yield()                        -- ...printing it, another window runs
        sold[#sold + 1] = ticket          -- sell it: but is it still there?
        ticket = ticket - 1
      else
        break
      end
    end
    wg:done()
  end

  wg:add(WINDOWS)
  for _ = 1, WINDOWS do
    go(sale)
  end
  wg:wait()
  print("  tickets left: " .. ticket)
  print("  sold, in order: " .. table.concat(sold, " "))
  print("  all correct: " .. tostring(check(sold)))
end

print()
print("Part 2: the critical section under a mutex")
do
  local ticket = TICKETS
  local sold = {}
  local mu = go.mutex()                   -- var mutex sync.Mutex
  local wg = go.waitgroup()

  local function sale(name)
    while true do
      mu:lock()                           -- mutex.Lock()
      if ticket > 0 then
        go.sleep(go.millisecond)          -- printing the ticket: others run,
                                          -- but they all wait in mu:lock()
        print(("  %s sold ticket %d"):format(name, ticket))
        sold[#sold + 1] = ticket
        ticket = ticket - 1
      else
        mu:unlock()                       -- unlock on this path too!
        print(("  %s: sold out"):format(name))
        break
      end
      mu:unlock()                         -- mutex.Unlock()
    end
    wg:done()
  end

  wg:add(WINDOWS)
  for w = 1, WINDOWS do
    go(sale, "window " .. w)
  end
  wg:wait()
  -- The windows take turns: gochan's Mutex hands the lock to the goroutines
  -- waiting for it in first-come, first-served order, as Go's does, so none
  -- starves. (In Go the turns vary from run to run; the checks do not.)
  print("  tickets left: " .. ticket)
  print("  all correct: " .. tostring(check(sold)))
end

print()
print("Part 3: the same with `local _ <close> = mu:lock()`")
-- Part 2 had to unlock on two paths, and an error between lock and unlock
-- would leave the mutex locked forever. A to-be-closed guard unlocks when its
-- block ends, however it ends: Go's `mu.Lock(); defer mu.Unlock()`.
do
  local ticket = TICKETS
  local sold = {}
  local mu = go.mutex()
  local wg = go.waitgroup()

  -- Sells one ticket; returns false when there are none left.
  local function sell_one()
    local _ <close> = mu:lock()           -- mu.Lock(); defer mu.Unlock()
    if ticket == 0 then
      return false                        -- unlocked here...
    end
    go.yield()                            -- printing the ticket
    sold[#sold + 1] = ticket
    ticket = ticket - 1
    return true                           -- ...and here
  end

  wg:add(WINDOWS)
  for _ = 1, WINDOWS do
    go(function()
      while sell_one() do end
      wg:done()
    end)
  end
  wg:wait()
  print("  tickets left: " .. ticket)
  print("  all correct: " .. tostring(check(sold)))

  -- The guard also unlocks when the critical section raises an error.
  local ok, err = pcall(function()
    local _ <close> = mu:lock()
    error("the printer jammed", 0)
  end)
  print(("  error inside the section: %s, %q"):format(ok, err))
  -- try_lock (Go's TryLock) takes the lock only if it is free at once.
  local got = mu:try_lock()
  print("  after the error, the mutex is free again: try_lock() -> " .. tostring(got))
  mu:unlock()
end
