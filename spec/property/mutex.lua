--- (e) Mutex. Goroutines take one Mutex with lock/unlock, with the
-- <close> guard, and with try_lock, and yield inside the critical section
-- (a read-yield-write increment that loses updates if two get in).
-- Invariants: the number of goroutines inside never exceeds 1; the
-- counter equals the number of critical sections exactly; try_lock fails
-- while someone holds the lock; unlock of an unlocked mutex raises.
package.path = (arg[0]:match("^(.*)/") or ".") .. "/lib/?.lua;" .. package.path
local P = require "prop"
local go = P.go

local function has(msg, text)
  return string.find(tostring(msg), text, 1, true) ~= nil
end

P.main(function()
  local mu = go.mutex()
  local inside, maxinside, counter, sections = 0, 0, 0, 0
  local held = false

  local function critical(who)
    inside = inside + 1
    if inside > maxinside then maxinside = inside end
    P.check(inside == 1, "%s: %d goroutines inside the critical section", who, inside)
    P.check(not held, "%s: got the lock while it was held", who)
    held = true
    local c = counter
    for _ = 1, math.random(0, 3) do go.yield() end
    P.check(inside == 1, "%s: %d goroutines inside after yielding", who, inside)
    counter = c + 1
    sections = sections + 1
    held = false
    inside = inside - 1
  end

  local n, k = math.random(2, 8), math.random(5, 30)
  local wg = go.waitgroup()
  wg:add(n)
  for g = 1, n do
    go(function()
      local who = "goroutine " .. g
      for _ = 1, k do
        local how = math.random(3)
        if how == 1 then
          mu:lock()
          P.op()
          critical(who)
          mu:unlock()
        elseif how == 2 then
          do
            local _ <close> = mu:lock()
            P.op()
            critical(who)
          end
        else
          while true do
            local ok = mu:try_lock()
            P.op()
            if ok then break end
            go.yield()
          end
          critical(who)
          mu:unlock()
        end
        if P.maybe(0.3) then go.yield() end
      end
      wg:done()
    end)
  end

  -- an observer: try_lock never succeeds while the lock is held
  local stop = false
  wg:add(1)
  go(function()
    while not stop do
      if mu:try_lock() then
        P.check(not held, "try_lock succeeded while the lock was held")
        P.check(inside == 0, "try_lock succeeded with %d inside", inside)
        mu:unlock()
      end
      P.op()
      go.yield()
    end
    wg:done()
  end)

  go(function()
    -- stop the observer once the workers are done (counter complete)
    while sections < n * k do go.yield() end
    stop = true
  end)
  wg:wait()

  P.check(maxinside == 1, "max inside = %d", maxinside)
  P.check(counter == n * k, "counter = %d, want %d (lost or extra increments)", counter, n * k)
  P.check(sections == n * k, "sections = %d, want %d", sections, n * k)
  local ok, err = pcall(mu.unlock, mu)
  P.check(not ok and has(err, "sync: unlock of unlocked mutex"),
    "unlock of an unlocked mutex: %s, %s", tostring(ok), tostring(err))
  P.check(mu:try_lock(), "try_lock of a free mutex failed")
  mu:unlock()
end)
