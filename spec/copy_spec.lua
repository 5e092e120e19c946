-- Values that cross from one Lua state to another: API.md "Threads and
-- values that cross them". Every case runs both ways a value crosses: as go.thread's
-- arguments and join's results, and as values sent on a channel shared
-- with the thread. Every case starts a thread, hence #thread everywhere.
--
-- busted runs spec blocks in environment tables of its own, not in the
-- globals: functions made here have such an _ENV, which must (and does)
-- become the target's globals like the globals themselves would.
-- luacheck: globals GOCHAN_COPY_SPEC_GLOBAL
local go = require "gochan"
local support = require "spec.support"

-- The two ways a value crosses. Each 'there(f, ...)' runs f in a new
-- thread's state with the values given, carried there by that way, and
-- returns f's results, carried back the same way.
local carriers = {
  {
    name = "go.thread arguments and join results",
    there = function(f, ...)
      return go.thread(f, ...):join()
    end,
  },
  {
    name = "a channel shared with a thread",
    there = function(f, ...)
      local inbox, outbox = go.chan(), go.chan()
      local th = go.thread(function()
        local n = inbox:recv()
        local args = { n = n }
        for i = 1, n do args[i] = inbox:recv() end
        local res = table.pack(f(table.unpack(args, 1, n)))
        outbox:send(res.n)
        for i = 1, res.n do outbox:send(res[i]) end
      end)
      local args = table.pack(...)
      local ok, res = pcall(function()
        inbox:send(args.n)
        for i = 1, args.n do inbox:send(args[i]) end
        local r = { n = outbox:recv() }
        for i = 1, r.n do r[i] = outbox:recv() end
        return r
      end)
      th:join()  -- if the thread failed, its error tells more than ours
      if not ok then error(res, 0) end
      return table.unpack(res, 1, res.n)
    end,
  },
}

-- errof: the error message raised by fn(...), or fails if none.
local function errof(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok, "expected an error")
  return tostring(err)
end

local has = support.has

-- nested: a chain of n tables, each the [1] of the one before it.
local function nested(n)
  local t = {}
  local cur = t
  for _ = 2, n do
    cur[1] = {}
    cur = cur[1]
  end
  return t
end

-- depth: how many tables deep the [1] chain of t goes.
local function depth(t)
  local d = 0
  while type(t) == "table" do
    d = d + 1
    t = t[1]
  end
  return d
end

-- settle: give a thread that might (wrongly) have started time to run.
local function settle()
  go.sleep(0.05)
end

-- leakcheck(): STYLE.md 2.11's leak check, for the describe it is called
-- in: after each case, once garbage is collected and the threads the case
-- started have ended, go.debug.stats() counts nothing more than before it.
local function leakcheck()
  local before, after = support.leakcheck({ "goroutines", "threads", "shared", "waiters", "channels", "timers" })
  before_each(before)
  after_each(after)
end

-- A global that the _ENV cases read on both sides.
GOCHAN_COPY_SPEC_GLOBAL = "main"


describe("values crossing into another Lua state", function()
  leakcheck()

  for _, carrier in ipairs(carriers) do
    local there = carrier.there

    describe("through " .. carrier.name, function()

      describe("scalars", function()
        it("keep nil, true and false, nil in the middle included #thread", function()
          local r = table.pack(there(function(...)
            return select("#", ...), ...
          end, nil, true, false, nil))
          assert.equal(5, r.n)
          assert.equal(4, r[1])
          assert.is_nil(r[2])
          assert.is_true(r[3])
          assert.is_false(r[4])
          assert.is_nil(r[5])
        end)

        it("keep an integer an integer and a float a float (3 vs 3.0) #thread", function()
          local a, b, ta, tb = there(function(x, y)
            return x, y, math.type(x), math.type(y)
          end, 3, 3.0)
          assert.equal("integer", ta)
          assert.equal("float", tb)
          assert.equal("integer", math.type(a))
          assert.equal("float", math.type(b))
          assert.equal("3", tostring(a))
          assert.equal("3.0", tostring(b))
        end)

        it("keep the extreme integers exactly #thread", function()
          local a, b = there(function(x, y) return x, y end,
                             math.maxinteger, math.mininteger)
          assert.equal(math.maxinteger, a)
          assert.equal(math.mininteger, b)
          assert.equal("integer", math.type(a))
          assert.equal("integer", math.type(b))
        end)

        it("keep floats bit for bit: 0.1, -0.0, inf, -inf, nan, 2^53 + 1.0 #thread", function()
          local r = table.pack(there(function(...)
            return ...
          end, 0.1, -0.0, math.huge, -math.huge, 0 / 0, 2.0 ^ 53 + 1.0, 1e308))
          assert.equal(string.pack("d", 0.1), string.pack("d", r[1]))
          assert.equal(-math.huge, 1 / r[2])  -- the sign of zero kept
          assert.equal(math.huge, r[3])
          assert.equal(-math.huge, r[4])
          assert.is_true(r[5] ~= r[5])
          assert.equal(2.0 ^ 53 + 1.0, r[6])
          assert.equal(1e308, r[7])
          for i = 1, 7 do assert.equal("float", math.type(r[i])) end
        end)

        it("keep strings binary-safe: '\\0' inside, every byte, empty #thread", function()
          local bytes = {}
          for i = 0, 255 do bytes[#bytes + 1] = string.char(i) end
          local all = table.concat(bytes)
          local a, b, c, lens = there(function(x, y, z)
            return x, y, z, { #x, #y, #z }
          end, "a\0b\0", all, "")
          assert.equal("a\0b\0", a)
          assert.equal(all, b)
          assert.equal("", c)
          assert.same({ 4, 256, 0 }, lens)
        end)

        it("keep a 1 MB string intact #thread", function()
          local parts = {}
          for i = 1, 1024 do
            parts[i] = string.rep(string.char(i % 256), 1023) .. "\0"
          end
          local big = table.concat(parts)
          assert.equal(1024 * 1024, #big)
          local len, sum, back = there(function(s)
            local acc = 0
            for i = 1, #s, 97 do acc = acc + s:byte(i) end
            return #s, acc, s
          end, big)
          local acc = 0
          for i = 1, #big, 97 do acc = acc + big:byte(i) end
          assert.equal(#big, len)
          assert.equal(acc, sum)
          assert.is_true(back == big)
        end)
      end)

      describe("tables", function()
        it("arrive as deep copies with every key and value kind #thread", function()
          local src = {
            1, 2.5, "three", true,
            [10] = "hole before me",
            name = "n",
            [1.5] = "float key",
            [true] = "true key",
            [false] = "false key",
            nested = { a = { b = { c = { "deep" } } } },
          }
          local back = there(function(t) return t end, src)
          assert.are_not.equal(src, back)  -- a copy, not the same table
          assert.same(src, back)
          assert.equal("integer", math.type(back[1]))
          assert.equal("float", math.type(back[2]))
        end)

        it("arrive with a table used as a key #thread", function()
          local k = { "key" }
          local t = { [k] = "v", k = k }
          local ok, kk = there(function(x)
            return x[x.k] == "v", x.k
          end, t)
          assert.is_true(ok)  -- the key and the field are one table there
          assert.same({ "key" }, kk)
        end)

        it("arrive with a big array and a big hash intact #thread", function()
          local t = { hash = {} }
          for i = 1, 10000 do
            t[i] = i * 3
            t.hash["k" .. i] = i
          end
          local n, sum, hn = there(function(x)
            local s, c = 0, 0
            for _, v in ipairs(x) do s = s + v end
            for _ in pairs(x.hash) do c = c + 1 end
            return #x, s, c
          end, t)
          assert.equal(10000, n)
          assert.equal(3 * 10000 * 10001 // 2, sum)
          assert.equal(10000, hn)
        end)

        it("keep a shared sub-table shared (t.a == t.b) #thread", function()
          local sub = { "sub" }
          local t = { a = sub, b = sub, list = { sub, sub } }
          local same_there, back = there(function(x)
            return x.a == x.b and x.a == x.list[1] and x.list[1] == x.list[2], x
          end, t)
          assert.is_true(same_there)
          assert.is_true(rawequal(back.a, back.b))
          assert.is_true(rawequal(back.a, back.list[2]))
          assert.are_not.equal(sub, back.a)
        end)

        it("keep cycles (t.self == t, a <-> b) #thread", function()
          local t = { name = "t" }
          t.self = t
          t.other = { back = t }
          local ok_there, back = there(function(x)
            return x.self == x and x.other.back == x, x
          end, t)
          assert.is_true(ok_there)
          assert.is_true(rawequal(back, back.self))
          assert.is_true(rawequal(back, back.other.back))
          assert.equal("t", back.name)
        end)

        it("arrive independent: changes there do not reach here #thread", function()
          local t = { n = 1, sub = { 1 } }
          local back = there(function(x)
            x.n = 2
            x.sub[1] = 2
            x.added = true
            return x
          end, t)
          assert.same({ n = 1, sub = { 1 } }, t)
          assert.same({ n = 2, sub = { 2 }, added = true }, back)
        end)

        it("arrive without their metatables #thread", function()
          local mt = { __index = { hidden = "from mt" }, __len = function() return 99 end }
          local t = setmetatable({ own = "own" }, mt)
          assert.equal("from mt", t.hidden)
          local hasmt, hidden, own, len = there(function(x)
            return getmetatable(x) ~= nil, x.hidden, x.own, #x
          end, t)
          assert.is_false(hasmt)
          assert.is_nil(hidden)
          assert.equal("own", own)
          assert.equal(0, len)
        end)

        it("are copied nested 200 levels deep #thread", function()
          local d = there(function(x)
            local n = 0
            while type(x) == "table" do
              n = n + 1
              x = x[1]
            end
            return n
          end, nested(200))
          assert.equal(200, d)
        end)
      end)

      describe("functions", function()
        it("arrive with their upvalues' values (a counter closure) #thread", function()
          local n = 0
          local function counter()
            n = n + 1
            return n
          end
          counter()
          counter()
          local a, b = there(function(c) return c(), c() end, counter)
          assert.equal(3, a)
          assert.equal(4, b)
          assert.equal(3, counter())  -- ours is untouched
        end)

        it("keep a table shared by two functions' upvalues shared #thread", function()
          local shared = { n = 0 }
          local function inc()
            shared.n = shared.n + 1
            return shared
          end
          local function get() return shared end
          local same, n = there(function(fs) return fs[1]() == fs[2](), fs[2]().n end,
                                { inc, get })  -- one value
          assert.is_true(same)
          assert.equal(1, n)
          assert.equal(0, shared.n)
        end)

        it("keep a cycle through a function's upvalue (t.f() == t) #thread", function()
          local t = {}
          t.f = function() return t end
          assert.is_true(there(function(x) return x.f() == x end, t))
        end)

        it("arrive callable as a recursive local function #thread", function()
          local function fib(k)
            if k < 2 then return k end
            return fib(k - 1) + fib(k - 2)
          end
          local r = there(function(f) return f(20) end, fib)
          assert.equal(6765, r)
        end)

        it("arrive as functions that can be called here again #thread", function()
          local base = 10
          local f = there(function(g) return g end, function(x) return base + x end)
          assert.equal("function", type(f))
          assert.equal(15, f(5))
        end)

        it("use string.format and a captured gochan module there #thread", function()
          local gomod = require "gochan"
          local fmt = string.format
          local function describe_me(x)
            local ch = gomod.chan(1)
            gomod(function() ch:send(fmt("%s-%d", x, gomod.id())) end)
            local s = ch:recv()
            return string.format("<%s>", s), gomod.id()
          end
          local s, mainid = there(function(f) return f("v") end, describe_me)
          local id = tonumber(s:match("^<v%-(%d+)>$"))
          assert.is_not_nil(id, s)
          assert.is_true(id ~= mainid)
          assert.is_true(mainid ~= go.id())  -- there is another goroutine
        end)

        it("read globals of the target state (_ENV becomes its globals) #thread", function()
          local function reader() return GOCHAN_COPY_SPEC_GLOBAL end
          assert.equal("main", reader())
          local before, after = there(function(r)
            local b = r()
            GOCHAN_COPY_SPEC_GLOBAL = "thread"
            return b, r()
          end, reader)
          assert.is_nil(before)
          assert.equal("thread", after)
          assert.equal("main", GOCHAN_COPY_SPEC_GLOBAL)
        end)

        it("read the target's globals when _ENV is an environment other than the " ..
           "globals (busted's, a sandbox inheriting them) #thread", function()
          local env = setmetatable({ GOCHAN_COPY_SPEC_GLOBAL = "main" }, { __index = _G })
          local reader = load("return GOCHAN_COPY_SPEC_GLOBAL, string.rep('x', 2)",
                              "=reader", "t", env)
          assert.same({ "main", "xx" }, { reader() })
          local ok, a, b = pcall(there, function(r)
            GOCHAN_COPY_SPEC_GLOBAL = "thread"
            return r()
          end, reader)
          assert.is_true(ok, a)
          assert.equal("thread", a)
          assert.equal("xx", b)
        end)

        it("read the target's globals even when _ENV is a plain table #thread", function()
          local function make()
            local _ENV = { GOCHAN_COPY_SPEC_GLOBAL = "mine" }  -- luacheck: ignore 211
            return function() return GOCHAN_COPY_SPEC_GLOBAL end
          end
          assert.equal("mine", make()())
          local r = there(function(f)
            GOCHAN_COPY_SPEC_GLOBAL = "thread"
            return f()
          end, make())
          assert.equal("thread", r)
        end)
      end)

      describe("library values", function()
        it("arrive as the target's own string, table.insert and gochan #thread", function()
          local gomod = require "gochan"
          local a, b, c, d = there(function(s, ins, g, fmt)
            return s == string, ins == table.insert, g == require("gochan"),
                   fmt == string.format
          end, string, table.insert, gomod, string.format)
          assert.is_true(a)
          assert.is_true(b)
          assert.is_true(c)
          assert.is_true(d)
        end)

        it("arrive as the target's own table.insert and string.format when other " ..
           "modules re-export them (as Penlight's pl.List.push) #thread", function()
          -- many such modules, so that one of them comes before 'table' and
          -- 'string' in a traversal of package.loaded
          for i = 1, 50 do
            package.loaded["gochan_copy_spec.alias" .. i] = { push = table.insert,
                                                              fmt = string.format }
          end
          local ok, a, b = pcall(there, function(ins, fmt)
            return ins == table.insert, fmt == string.format
          end, table.insert, string.format)
          for i = 1, 50 do package.loaded["gochan_copy_spec.alias" .. i] = nil end
          assert.is_true(ok, a)
          assert.is_true(a)
          assert.is_true(b)
        end)

        it("cross when they come from a module whose name has a dot #thread", function()
          local ok, a, b = pcall(there, function(f, m)
            return type(f), type(m.run_lua)
          end, support.run, support)
          assert.is_true(ok, a)
          assert.equal("function", a)
          assert.equal("function", b)
        end)

        it("arrive as the target's own base functions (print, pairs, require) #thread",
           function()
          local r = table.pack(there(function(p, pr, ts, rq, w)
            return p == print, pr == pairs, ts == tostring, rq == require, w == io.write
          end, print, pairs, tostring, require, io.write))
          assert.same({ n = 5, true, true, true, true, true }, r)
        end)

        it("arrive as the target's own gochan functions (go.chan, go.select), " ..
           "whatever the order of package.loaded #thread", function()
          -- go.chan is gochan.core.chan too; modules added to package.loaded
          -- change the order in which a traversal meets the two names
          local results = {}
          for n = 0, 8 do
            if n > 0 then package.loaded["gochan_copy_spec.extra" .. n] = {} end
            local ok, a, b = pcall(there, function(c, sel)
              local g = require "gochan"
              return c == g.chan, sel == g.select
            end, go.chan, go.select)
            results[#results + 1] = not ok and tostring(a) or a and b and "ok"
                                    or ("go.chan same: %s, go.select same: %s"):format(a, b)
          end
          for n = 1, 8 do package.loaded["gochan_copy_spec.extra" .. n] = nil end
          assert.same({ "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok", "ok" }, results)
        end)

        it("do not include a global function of yours: it arrives as a copy, " ..
           "also when defined after an earlier copy #thread", function()
          local G = package.loaded._G  -- the globals (busted runs specs in its own)
          there(function() end)  -- an earlier copy out of this state
          G.GOCHAN_COPY_SPEC_DOUBLE = function(x) return 2 * x end
          local double = G.GOCHAN_COPY_SPEC_DOUBLE
          local ok1, a = pcall(there, double, 21)
          local ok2, b = pcall(there, function(x) return double(x) end, 21)
          package.loaded["gochan_copy_spec.touch"] = {}  -- package.loaded changes
          local ok3, c = pcall(there, function(t) return t.f(21) end, { f = double })
          package.loaded["gochan_copy_spec.touch"] = nil
          G.GOCHAN_COPY_SPEC_DOUBLE = nil
          assert.same({ true, 42, true, 42, true, 42 }, { ok1, a, ok2, b, ok3, c })
        end)

        it("do not include what you add to a standard library (string.twice) #thread",
           function()
          local twice = function(s) return s .. s end
          string.gochan_copy_spec_twice = twice  -- luacheck: ignore 142 143
          package.loaded["gochan_copy_spec.touch2"] = {}  -- package.loaded changes:
          package.loaded["gochan_copy_spec.touch3"] = {}  -- two more entries
          local ok, a, b = pcall(there, function(f, t) return f("ab"), t.g("c") end,
                                 twice, { g = string.gochan_copy_spec_twice })  -- luacheck: ignore 143
          package.loaded["gochan_copy_spec.touch2"] = nil
          package.loaded["gochan_copy_spec.touch3"] = nil
          string.gochan_copy_spec_twice = nil  -- luacheck: ignore 142 143
          assert.same({ true, "abab", "cc" }, { ok, a, b })
        end)

        it("come back as this state's own #thread", function()
          local s, ins, g = there(function()
            return string, table.insert, require("gochan")
          end)
          assert.equal(string, s)
          assert.equal(table.insert, ins)
          assert.equal(go, g)
        end)
      end)

      describe("gochan objects", function()
        it("arrive as the same channel, shared #thread", function()
          local ch = go.chan(4)
          there(function(c) c:send("from there") end, ch)
          assert.equal(1, ch:len())
          assert.same({ "from there", true }, { ch:recv() })
        end)

        it("come back as the very same userdata #thread", function()
          local ch = go.chan()
          local back = there(function(c) return c end, ch)
          assert.is_true(rawequal(ch, back))
        end)

        it("keep a view's direction #thread", function()
          local ch = go.chan(1)
          local msg, kind = there(function(r)
            local ok, err = pcall(r.send, r, 1)
            return (not ok) and tostring(err) or "sent", tostring(r)
          end, ch:recv_only())
          assert.is_true(has(msg, "send to receive-only channel"), msg)
          assert.is_true(has(kind, "<-chan"), kind)
          assert.equal(0, ch:len())
        end)

        it("share WaitGroup, Mutex, RWMutex, Once and Cond #thread", function()
          local wg, mu, rw = go.waitgroup(), go.mutex(), go.rwmutex()
          local once, cond = go.once(), go.cond(go.mutex())
          wg:add(1)
          mu:lock()
          local tried, back = there(function(w, m, r, o, c)
            w:done()
            local t = m:try_lock()
            r:rlock()
            r:runlock()
            o:call(function() end)
            c:broadcast()
            return t, { w, m, r, o, c }
          end, wg, mu, rw, once, cond)
          assert.is_false(tried)  -- the same mutex: we hold it
          wg:wait()  -- the same WaitGroup: done() reached it
          mu:unlock()
          local called = false
          once:call(function() called = true end)
          assert.is_false(called)  -- the same Once: already done there
          assert.is_true(rawequal(wg, back[1]))
          assert.is_true(rawequal(mu, back[2]))
          assert.is_true(rawequal(rw, back[3]))
          assert.is_true(rawequal(once, back[4]))
          assert.is_true(rawequal(cond, back[5]))
        end)

        it("share a timer's channel #thread", function()
          local t = go.timer(0.01)
          local v, ok = there(function(c) return c:recv() end, t.C)
          assert.is_true(ok)
          assert.equal("float", math.type(v))
          assert.is_true(v <= go.now())
        end)

        it("carry 1,000 channels in one table, each usable there #thread", function()
          local chans = {}
          for i = 1, 1000 do chans[i] = go.chan(1) end
          local n = there(function(cs)
            for i, c in ipairs(cs) do c:send(i) end
            return #cs
          end, chans)
          assert.equal(1000, n)
          local sum = 0
          for i = 1, 1000 do sum = sum + chans[i]:recv() end
          assert.equal(500500, sum)
        end)

        it("arrive as one userdata when one value holds it twice #thread", function()
          local ch = go.chan()
          local same = there(function(t) return rawequal(t.a, t.b) end, { a = ch, b = ch })
          assert.is_true(same)
        end)
      end)
    end)
  end


  describe("a local channel that reaches itself", function()
    -- sharing it encodes what it holds, which holds it: one switch to shared
    -- mode, not an endless recursion (a crash before)
    local shapes = {
      { what = "through its own buffer (c:send(c))", make = function()
          local c = go.chan(1)
          c:send(c)
          return c
        end },
      { what = "through a sender parked on it (c:send(c), unbuffered)", make = function()
          local c = go.chan()
          go(function() c:send(c) end)
          go.yield()
          return c
        end },
      { what = "through another channel's buffer (a:send(b), b:send(a))", make = function()
          local a, b = go.chan(1), go.chan(1)
          a:send(b)
          b:send(a)
          return a, b
        end },
    }
    for _, shape in ipairs(shapes) do
      it("crosses into a thread " .. shape.what .. " #thread", function()
        local c, other = shape.make()
        local ok, a, b = pcall(function()
          return go.thread(function(ch, two)
            local v = ch:recv()
            if not two then return v == ch end
            return v ~= ch, v:recv() == ch  -- a holds b, b holds a
          end, c, other ~= nil):join()
        end)
        assert.is_true(ok, a)
        assert.is_true(a)
        if other then assert.is_true(b) end
      end)
    end
  end)

  describe("a local channel with stale senders parked on it", function()
    it("does not copy the value of a sender whose coroutine was closed #thread", function()
      local c = go.chan()
      local co
      go(function() co = coroutine.running(); c:send("x") end)
      go.yield()
      assert(coroutine.close(co))
      local got = go.thread(function(ch)
        return go.select { go.recv(ch, function(v, ok) return "received " .. tostring(v) .. " " .. tostring(ok) end),
                           go.recv(go.after(0.05), function() return "nothing" end) }
      end, c):join()
      assert.equal("nothing", got)
    end)

    it("does not copy the value of a select already won by another case #thread",
       function()
      local c, d = go.chan(), go.chan()
      local res = go.chan(1)
      go(function() res:send((go.select { go.send(c, coroutine.create(print)), go.recv(d) })) end)
      go.yield()  -- parked in the select
      d:send(1)   -- won by the receive; its goroutine has not run yet
      local ok, err = pcall(go.thread, function() end, c)
      assert.is_true(ok, err)  -- the coroutine was not copied (it cannot be)
      err:join()
      assert.equal(2, res:recv())
    end)
  end)

  describe("one value at a time on a shared channel", function()
    -- nil, booleans and integers of at most 62 bits travel inside the
    -- message pointer (no allocation); the others as allocated messages:
    -- both sides of the boundary must come out exact, with their type.
    it("keeps integers exact either side of the 62-bit boundary; nil, booleans, floats, strings #thread", function()
      local B = 1 << 61
      local values = { 0, 1, -1, B - 1, -B, B, -B - 1, math.maxinteger, math.mininteger,
                       false, true, 3.0, -0.5, "s", "" }
      local ch, back = go.chan(), go.chan()
      local th = go.thread(function(c, r)
        for _ = 1, 16 do
          local v = c:recv()
          r:send(v)
          r:send(math.type(v) or type(v))
        end
      end, ch, back)
      for i = 1, #values + 1 do  -- the extra one is nil
        local v = values[i]
        ch:send(v)
        local got, kind = back:recv(), back:recv()
        assert.equal(v, got)
        assert.equal(math.type(v) or type(v), kind)
      end
      th:join()
    end)

    it("keeps them exact through a buffered shared channel and a select #thread", function()
      local B = 1 << 61
      local values = { B - 1, -B, B, -B - 1, 7, false, true }
      local ch = go.chan(16)
      local th = go.thread(function(c, vs)
        for i = 1, #vs do c:send(vs[i]) end
        c:send(nil)
      end, ch, values)
      th:join()
      for i = 1, #values do
        local _, v, ok = go.select { go.recv(ch) }
        assert.is_true(ok)
        assert.equal(values[i], v)
        assert.equal(math.type(values[i]) or type(values[i]), math.type(v) or type(v))
      end
      assert.is_nil(ch:recv())
    end)
  end)

  describe("values that cannot cross", function()
    local cases = {
      { what = "a coroutine", make = function() return coroutine.create(print) end,
        err = "cannot copy thread to another thread" },
      { what = "io.stdout", make = function() return io.stdout end,
        err = "cannot copy userdata to another thread" },
      { what = "a C function from no library (coroutine.wrap)",
        make = function() return coroutine.wrap(function() end) end,
        err = "cannot copy function to another thread" },
      { what = "a channel method (a C function from no library)",
        make = function() return go.chan().send end,
        err = "cannot copy function to another thread" },
      { what = "a C function of yours stored as a global (not a library value)",
        make = function()
          local f = coroutine.wrap(function() end)
          package.loaded._G.GOCHAN_COPY_SPEC_CFUNC = f  -- the globals, not busted's
          return f
        end,
        err = "cannot copy function to another thread" },
    }

    for _, c in ipairs(cases) do
      describe(c.what, function()
        it("raises '" .. c.err .. "' from go.thread and starts no thread #thread", function()
          local ch = go.chan(1)
          local before = go.numgoroutine()
          local v = c.make()
          local msg = errof(go.thread, function() ch:send("started") end, 1, v)
          assert.is_true(has(msg, c.err), msg)
          settle()
          assert.equal(before, go.numgoroutine())
          assert.equal(0, ch:len())
        end)

        it("raises '" .. c.err .. "' inside a table argument, nothing started #thread",
           function()
          local before = go.numgoroutine()
          local v = c.make()
          local arg = { 1, { 2, { k = v } } }
          local msg = errof(go.thread, function() end, arg)
          assert.is_true(has(msg, c.err), msg)
          assert.equal(v, arg[2][2].k)  -- the value is untouched
          settle()
          assert.equal(before, go.numgoroutine())
        end)

        it("raises '" .. c.err .. "' as an upvalue of the thread function #thread",
           function()
          local before = go.numgoroutine()
          local v = c.make()
          local msg = errof(go.thread, function() return v end)
          assert.is_true(has(msg, c.err), msg)
          settle()
          assert.equal(before, go.numgoroutine())
        end)

        it("raises '" .. c.err .. "' from send on a shared channel, losing nothing #thread",
           function()
          local ch = go.chan(2)
          go.thread(function() end, ch):join()  -- now shared
          ch:send("first")
          local v = c.make()
          local msg = errof(ch.send, ch, v)
          assert.is_true(has(msg, c.err), msg)
          assert.equal(1, ch:len())
          local t = { "x", { v } }
          msg = errof(ch.send, ch, t)
          assert.is_true(has(msg, c.err), msg)
          assert.equal(1, ch:len())
          assert.equal(v, t[2][1])  -- the value is untouched
          assert.equal("x", t[1])
          assert.same({ "first", true }, { ch:recv() })
          ch:send("after")  -- the channel still works
          assert.same({ "after", true }, { ch:recv() })
        end)

        it("raises '" .. c.err .. "' from a thread's result, in join #thread", function()
          local th = go.thread(function(mk) return mk() end, c.make)
          local msg = errof(th.join, th)
          assert.is_true(has(msg, c.err), msg)
        end)
      end)
    end

    it("keeps a coroutine usable after it failed to cross #thread", function()
      local co = coroutine.create(function(a) return a * 2 end)
      errof(go.thread, function() end, co)
      assert.equal("suspended", coroutine.status(co))
      assert.same({ true, 42 }, { coroutine.resume(co, 21) })
    end)

    it("raises 'cannot copy a value nested more than 200 levels deep' #thread", function()
      local before = go.numgoroutine()
      local t = nested(1000)
      local msg = errof(go.thread, function() end, t)
      assert.is_true(has(msg, "cannot copy a value nested more than 200 levels deep"), msg)
      assert.equal(1000, depth(t))  -- untouched
      settle()
      assert.equal(before, go.numgoroutine())
    end)

    it("raises the nesting error from send on a shared channel, losing nothing #thread",
       function()
      local ch = go.chan(1)
      go.thread(function() end, ch):join()
      local msg = errof(ch.send, ch, nested(250))
      assert.is_true(has(msg, "cannot copy a value nested more than 200 levels deep"), msg)
      assert.equal(0, ch:len())
      ch:send(nested(100))
      assert.equal(100, depth((ch:recv())))
    end)

    it("counts functions' upvalues as nesting #thread", function()
      local f = function() return 0 end
      for _ = 1, 300 do
        local g = f
        f = function() return g() + 1 end
      end
      local msg = errof(go.thread, f)
      assert.is_true(has(msg, "cannot copy a value nested more than 200 levels deep"), msg)
    end)

    it("does not count a cycle as nesting #thread", function()
      local t = {}
      t[1] = t
      local ok = go.thread(function(x) return x[1][1][1] == x end, t):join()
      assert.is_true(ok)
    end)
  end)
end)
