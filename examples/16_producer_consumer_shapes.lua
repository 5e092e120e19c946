-- 16_producer_consumer_shapes.lua: producer-consumer in four shapes.
--
-- The course's producer-consumer model puts a channel between goroutines
-- that make things (producers: they send) and goroutines that use them
-- (consumers: they receive). The same code works for any number on either
-- side; the course names the shapes 1-1, 1-n, n-1 and n-n:
--
--   1-1  one producer,   one consumer
--   1-n  one producer,   n consumers share the work (each item goes to
--        exactly one of them: a channel hands every value to one receiver)
--   n-1  n producers,    one consumer collects everything (fan-in)
--   n-n  n producers,    n consumers
--
-- Two rules make every shape end cleanly:
--
--   * Only a sender closes a channel, and only when nothing more will be
--     sent. With several producers no single one knows that, so each
--     producer calls wg.Done() when it has finished, and a small closer
--     goroutine waits for all of them (wg.Wait()) and then closes the
--     channel. With one producer the same code works (it could also close
--     the channel itself).
--   * Consumers range over the channel: their loops end when it is closed
--     and drained. A second WaitGroup tells main that every consumer has
--     finished.
--
-- The Go program this mirrors:
--
--   func producer(name string, n int, out chan<- string, wg *sync.WaitGroup) {
--       defer wg.Done()
--       for i := 1; i <= n; i++ {
--           out <- fmt.Sprintf("%s%d", name, i)
--       }
--   }
--
--   func consumer(name string, in <-chan string, wg *sync.WaitGroup) {
--       defer wg.Done()
--       var got []string
--       for item := range in {
--           got = append(got, item)
--           runtime.Gosched()               // using an item takes a while
--       }
--       fmt.Println(name, "got", got)
--   }
--
--   func run(producers, consumers, items int) {
--       ch := make(chan string)
--       var pwg, cwg sync.WaitGroup
--       for p := 0; p < producers; p++ {
--           pwg.Add(1)
--           go producer(string(rune('A'+p)), items, ch, &pwg)
--       }
--       for c := 1; c <= consumers; c++ {
--           cwg.Add(1)
--           go consumer(fmt.Sprintf("consumer %d", c), ch, &cwg)
--       }
--       go func() {
--           pwg.Wait()                      // every producer is done:
--           close(ch)                       // now the channel may be closed
--       }()
--       cwg.Wait()                          // every consumer is done
--   }
--
--   func main() {
--       run(1, 1, 4)   // 1-1
--       run(1, 3, 6)   // 1-n
--       run(3, 1, 2)   // n-1
--       run(2, 3, 3)   // n-n
--   }
--
-- gochan runs goroutines one at a time in FIFO order, so which consumer
-- gets which item is the same on every run (Go's would vary); the script
-- also checks what holds in any order: every item is consumed exactly once.

local go = require "gochan"

-- A producer sends its items ("A1", "A2", ...) and then says it is done.
local function producer(name, n, out, wg)
  for i = 1, n do
    out:send(name .. i)                     -- out <- item
  end
  wg:done()                                 -- defer wg.Done()
end

-- A consumer takes items until the channel is closed and drained. It
-- writes what it got into its own list, which main prints at the end.
local function consumer(input, wg, got, seen)
  for item in input:range() do              -- for item := range in
    got[#got + 1] = item
    seen[item] = (seen[item] or 0) + 1
    go.yield()                              -- using an item takes a while
  end
  wg:done()                                 -- defer wg.Done()
end

local function run(shape, producers, consumers, items)
  print(("%s: %d producer(s) x %d items, %d consumer(s)")
    :format(shape, producers, items, consumers))
  local ch = go.chan()                      -- ch := make(chan string)
  local pwg, cwg = go.waitgroup(), go.waitgroup()
  local got, seen = {}, {}
  for p = 1, producers do
    pwg:add(1)
    go(producer, string.char(64 + p), items, ch:send_only(), pwg)
  end
  for c = 1, consumers do
    got[c] = {}
    cwg:add(1)
    go(consumer, ch:recv_only(), cwg, got[c], seen)
  end
  go(function()                             -- the closer
    pwg:wait()                              -- every producer is done:
    ch:close()                              -- now the channel may be closed
  end)
  cwg:wait()                                -- every consumer is done
  for c = 1, consumers do
    print(("  consumer %d got %s"):format(c, table.concat(got[c], " ")))
  end

  -- Whatever the order, each item was consumed exactly once.
  local total, once = 0, true
  for p = 1, producers do
    for i = 1, items do
      local n = seen[string.char(64 + p) .. i]
      once = once and n == 1
      total = total + (n or 0)
    end
  end
  print(("  %d items consumed, each exactly once: %s; channel: %s")
    :format(total, once, tostring(ch)))
  print()
end

run("1-1", 1, 1, 4)
run("1-n", 1, 3, 6)
run("n-1", 3, 1, 2)
run("n-n", 2, 3, 3)

print(("goroutines left: %d (main only)"):format(go.numgoroutine()))
