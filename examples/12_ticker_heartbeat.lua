-- 12_ticker_heartbeat.lua: time.Ticker, and a worker's heartbeat.
--
-- A Timer fires once; a Ticker fires again and again, every d, until it is
-- stopped. Its channel tk.C receives the time of each tick. A reader that is
-- too slow does not get a backlog: the ticks it misses are dropped, and at
-- most one tick waits for it.
--
-- A common use is a heartbeat: a long-running worker tells whoever watches it
-- "I am still alive, and here is my progress" at a regular pace, driven by a
-- ticker. The worker must not get stuck when nobody listens, so it sends each
-- beat with a select that has a default (a send that never blocks).
--
-- In gochan: local tk = go.ticker(d), tk.C, tk:stop(), tk:reset(d).
--
-- The Go program this mirrors (part 2):
--
--   func worker(heartbeat chan<- Beat, quit <-chan struct{}, wg *sync.WaitGroup) {
--       defer wg.Done()
--       ticker := time.NewTicker(10 * time.Millisecond)
--       defer ticker.Stop()
--       units, beats := 0, 0
--       for {
--           time.Sleep(2 * time.Millisecond)   // one unit of work
--           units++
--           select {
--           case <-quit:
--               return
--           case <-ticker.C:
--               select {                       // never block on a beat
--               case heartbeat <- Beat{beats + 1, units}:
--                   beats++
--               default:                       // nobody listening: drop it
--               }
--           default:                           // no tick yet: keep working
--           }
--       }
--   }
--
--   func main() {
--       heartbeat := make(chan Beat)
--       quit := make(chan struct{})
--       var wg sync.WaitGroup
--       wg.Add(1)
--       go worker(heartbeat, quit, &wg)
--       for i := 0; i < 5; i++ {
--           b := <-heartbeat
--           fmt.Println("beat", b.n, "units done", b.units)
--       }
--       close(quit)
--       wg.Wait()
--   }
--
-- How much work fits between two beats depends on the machine, so the script
-- prints the facts the program guarantees: beats come numbered 1, 2, 3, ...,
-- beat n comes from a tick at least n periods after the ticker started, and
-- the worker made progress between two beats.

local go = require "gochan"

local ms = go.millisecond
local PERIOD = 10 * ms
local BEATS = 5

-- Receives from ch if a value comes within `within`; returns what happened.
local function try_recv(ch, within)
  return go.select {
    go.recv(ch, function() return "received a tick" end),
    go.recv(go.after(within), function() return "nothing received" end),
  }
end

print("Part 1: a ticker, stopped after 5 ticks")
do
  local start = go.now()
  local tk = go.ticker(PERIOD)              -- time.NewTicker(10ms)
  for i = 1, BEATS do
    local t = tk.C:recv()                   -- <-tk.C: the time of the tick
    print(("  tick %d, at least %d ms after the start: %s")
      :format(i, i * PERIOD / ms, t - start >= i * PERIOD))
  end
  tk:stop()                                 -- tk.Stop()
  print("  stopped; waiting 30 ms on tk.C: " .. try_recv(tk.C, 30 * ms))

  -- A slow reader: sleep through three periods. The missed ticks are not
  -- queued up: exactly one tick is waiting, the next one comes on time.
  tk:reset(PERIOD)                          -- restart it: tk.Reset(10ms)
  go.sleep(3.5 * PERIOD)
  local waiting = 0
  while go.select { go.recv(tk.C), default = true } ~= 0 do
    waiting = waiting + 1                   -- count the ticks ready at once
  end
  print(("  after sleeping 35 ms, ticks waiting: %d"):format(waiting))
  tk:stop()
end

print()
print("Part 2: a worker's heartbeat")
local Beat = {}
Beat.__index = Beat
function Beat:__tostring()
  return ("beat %d"):format(self.n)
end

local function worker(heartbeat, quit, wg)
  local start = go.now()
  local tk = go.ticker(PERIOD)
  local units, beats = 0, 0
  local stop = false
  while not stop do
    go.sleep(2 * ms)                        -- one unit of work
    units = units + 1
    go.select {
      go.recv(quit, function() stop = true end),
      go.recv(tk.C, function(t)
        local b = { n = beats + 1, units = units, at = t - start }
        go.select {                         -- never block on a beat
          go.send(heartbeat, setmetatable(b, Beat),
            function() beats = beats + 1 end),
          default = true,                   -- nobody listening: drop it
        }
      end),
      default = true,                       -- no tick yet: keep working
    }
  end
  tk:stop()                                 -- defer ticker.Stop()
  print(("  worker: quit after %d beats; ticker stopped"):format(beats))
  wg:done()                                 -- defer wg.Done()
end

local heartbeat = go.chan()
local quit = go.chan()
local wg = go.waitgroup()
wg:add(1)
go(worker, heartbeat:send_only(), quit:recv_only(), wg)

local prev_units = 0
for _ = 1, BEATS do
  local b = heartbeat:recv()                -- b := <-heartbeat
  print(("  main: %s, at least %d ms into the work: %s, progress since the last beat: %s")
    :format(tostring(b), b.n * PERIOD / ms, b.at >= b.n * PERIOD, b.units > prev_units))
  prev_units = b.units
end
print(("  main: %d beats seen, telling the worker to quit"):format(BEATS))
quit:close()                                -- close(quit): every receiver sees it
wg:wait()
print("  main: the worker is gone")
