-- 02_producer_consumer.lua: hens, a basket of 8 eggs, and a hungry eater.
--
-- The producer-consumer model from the Go course: a basket (a buffered
-- channel with room for 8 eggs) sits between two hens (producers: goroutines
-- that send) and an eater (the consumer: a goroutine that receives).
--
--   * A hen lays an egg into the basket: `basket <- egg`. If the basket is
--     full, the hen waits (the send blocks) until the eater makes room.
--   * The eater takes an egg: `egg := <-basket`. If the basket is empty, the
--     eater waits (the receive blocks) until a hen lays one.
--   * When both hens are done, the basket is closed: "no more eggs are
--     coming". The eater's `for egg := range basket` loop then eats what is
--     left and ends.
--
-- The sender closes a channel, never the receiver. With two senders, neither
-- hen can close the basket alone (the other may still be laying), so a small
-- "farmer" goroutine waits for both hens to report on a `done` channel and
-- then closes it. (A WaitGroup, go.waitgroup(), is the usual tool for that:
-- see examples/08_waitgroup.lua and 16_producer_consumer_shapes.lua.)
--
-- When the eater takes an egg from a full basket while a hen is waiting, the
-- waiting hen's egg takes the freed place at once (as in Go), so the picture
-- printed by the eater can still show a full basket.
--
-- There are no clocks here: "laying takes a while" and "eating takes longer"
-- are go.yield() calls (runtime.Gosched()), one per egg laid and two per egg
-- eaten, so the eater falls behind and the hens fill the basket. The output is
-- the same on every run.
--
-- The Go program this mirrors:
--
--   func hen(name string, eggs int, basket chan<- string, done chan<- string) {
--       for i := 1; i <= eggs; i++ {
--           basket <- fmt.Sprintf("%s's egg #%d", name, i)
--           runtime.Gosched()
--       }
--       done <- name
--   }
--
--   func eater(basket <-chan string, finished chan<- int) {
--       eaten := 0
--       for egg := range basket {
--           fmt.Println("eater eats", egg)
--           eaten++
--           runtime.Gosched(); runtime.Gosched()
--       }
--       finished <- eaten
--   }
--
--   func main() {
--       basket := make(chan string, 8)
--       done := make(chan string)
--       finished := make(chan int)
--       go hen("Henrietta", 8, basket, done)
--       go hen("Clucky", 8, basket, done)
--       go func() { <-done; <-done; close(basket) }()
--       go eater(basket, finished)
--       fmt.Println("eggs eaten:", <-finished)
--   }

local go = require "gochan"

local BASKET_SIZE = 8
local EGGS_PER_HEN = 8

-- A picture of the basket: one "o" per egg, one "." per free place.
local function show(basket)
  local n = #basket                        -- len(basket)
  return "[" .. ("o"):rep(n) .. ("."):rep(basket:cap() - n) .. "]"
end

-- A hen only ever sends on the basket and on done, so she gets send-only
-- views (chan<- in Go): she could not take an egg by mistake.
local function hen(name, eggs, basket, done)
  for i = 1, eggs do
    local egg = ("%s's egg #%d"):format(name, i)
    if #basket == basket:cap() then
      print(("  %-9s basket full %s, waiting..."):format(name, show(basket)))
    end
    basket:send(egg)                       -- basket <- egg (blocks when full)
    print(("  %-9s lays %-20s %s"):format(name, egg, show(basket)))
    go.yield()                             -- laying an egg takes a while...
  end
  print(("  %-9s is done laying"):format(name))
  done:send(name)                          -- done <- name
end

-- The eater only receives (<-chan in Go).
local function eater(basket, finished)
  local eaten = 0
  for egg in basket:range() do             -- for egg := range basket
    eaten = eaten + 1
    print(("  eater     eats %-20s %s"):format(egg, show(basket)))
    go.yield()                             -- ...and eating one takes longer
    go.yield()
  end
  print("  eater     the basket is closed and empty: no more eggs")
  finished:send(eaten)
end

local basket = go.chan(BASKET_SIZE)        -- make(chan string, 8)
local done = go.chan()                     -- make(chan string)
local finished = go.chan()                 -- make(chan int)

print(("A basket for %d eggs, two hens laying %d eggs each, one eater.\n")
  :format(basket:cap(), EGGS_PER_HEN))

go(hen, "Henrietta", EGGS_PER_HEN, basket:send_only(), done:send_only())
go(hen, "Clucky", EGGS_PER_HEN, basket:send_only(), done:send_only())

-- The farmer: waits until both hens are done, then closes the basket.
go(function()
  local first = done:recv()
  local second = done:recv()
  print(("  farmer    %s and %s are done: closing the basket %s")
    :format(first, second, show(basket)))
  basket:close()                           -- close(basket)
end)

go(eater, basket:recv_only(), finished:send_only())

-- Main waits for the eater's total: this receive blocks the main goroutine,
-- and while it is blocked the hens, the farmer and the eater run.
local eaten = finished:recv()
print(("\nEggs laid: %d, eggs eaten: %d. Nothing left over: %s")
  :format(2 * EGGS_PER_HEN, eaten, tostring(basket)))
