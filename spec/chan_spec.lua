-- Channels: every promise of API.md "Channels", black-box through the
-- public module. Ordering is checked with event logs, never with time.
local go = require "gochan"
local support = require "spec.support"

local run = support.run

local settle = support.settle

local logger = support.logger

-- indexof: position of 'e' in list 'log' (nil if absent).
local function indexof(log, e)
  for i, x in ipairs(log) do
    if x == e then return i end
  end
end

-- errof: the error message raised by fn(...), or fails if none.
local function errof(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok, "expected an error")
  return tostring(err)
end

local has = support.has


describe("gochan.chan", function()

  describe("go.chan()", function()
    it("makes an unbuffered channel", function()
      local ch = go.chan()
      assert.equal(0, ch:cap())
      assert.equal(0, ch:len())
    end)

    it("makes a buffered channel of capacity n with go.chan(n)", function()
      local ch = go.chan(5)
      assert.equal(5, ch:cap())
      assert.equal(0, ch:len())
    end)

    it("accepts go.chan(0) as unbuffered", function()
      assert.equal(0, go.chan(0):cap())
    end)

    it("accepts a float with an exact integer value (2.0)", function()
      local ch = go.chan(2.0)
      assert.equal(2, ch:cap())
      assert.equal("integer", math.type(ch:cap()))
    end)

    it("raises 'makechan: size out of range' for a negative size", function()
      assert.error_matches(function() go.chan(-1) end,
                           "makechan: size out of range", 1, true)
    end)

    it("raises 'makechan: size out of range' for math.mininteger", function()
      assert.error_matches(function() go.chan(math.mininteger) end,
                           "makechan: size out of range", 1, true)
    end)

    it("raises 'makechan: size out of range' for a huge size", function()
      assert.error_matches(function() go.chan(math.maxinteger) end,
                           "makechan: size out of range", 1, true)
      assert.error_matches(function() go.chan(1 << 62) end,
                           "makechan: size out of range", 1, true)
    end)

    it("raises a luaL argument error for a non-integral float", function()
      assert.error_matches(function() go.chan(2.5) end,
        "bad argument #1 to 'chan' (number has no integer representation)",
        1, true)
    end)

    it("raises a luaL argument error for a string", function()
      assert.error_matches(function() go.chan("x") end,
        "bad argument #1 to 'chan' (number expected, got string)", 1, true)
    end)
  end)

  describe(":send() and :recv() on an unbuffered channel", function()
    it("blocks the sender until a receiver takes the value", function()
      run(function()
        local ch = go.chan()
        local log, add = logger()
        go(function()
          add("send")
          ch:send("v")
          add("sent")
        end)
        settle()
        assert.same({ "send" }, log)  -- still blocked: nobody received
        add("recv")
        local v, ok = ch:recv()
        assert.equal("v", v)
        assert.is_true(ok)
        settle()
        assert.equal(1, indexof(log, "send"))
        assert.equal(2, indexof(log, "recv"))
        assert.equal(3, indexof(log, "sent"))
      end)
    end)

    it("blocks the receiver until a sender gives a value", function()
      run(function()
        local ch = go.chan()
        local log, add = logger()
        go(function()
          add("recv")
          local v = ch:recv()
          add("got " .. v)
        end)
        settle()
        assert.same({ "recv" }, log)  -- still blocked: nothing sent
        add("send")
        ch:send("x")
        settle()
        assert.same({ "recv", "send", "got x" }, log)
      end)
    end)

    it("works from the main goroutine without a wrapper", function()
      local ch = go.chan()
      go(function() ch:send(42) end)
      local v, ok = ch:recv()
      assert.equal(42, v)
      assert.is_true(ok)
    end)

    it("lets the main goroutine receive many values from several senders", function()
      local ch = go.chan()
      for p = 1, 3 do
        go(function()
          for k = 1, 200 do ch:send(p * 1000 + k) end
        end)
      end
      local sum, last = 0, { 1000, 2000, 3000 }
      for _ = 1, 600 do
        local v, ok = ch:recv()
        assert.is_true(ok)
        local p = v // 1000
        assert.equal(last[p] + 1, v)  -- each sender's values in order
        last[p] = v
        sum = sum + v
      end
      assert.equal(6000 * 200 + 3 * 200 * 201 // 2, sum)
    end)

    it("lets the main goroutine send to a goroutine", function()
      local ch = go.chan()
      local res = go.chan(1)
      go(function()
        local a, b = ch:recv(), ch:recv()
        res:send(a + b)
      end)
      ch:send(1)
      ch:send(2)
      assert.equal(3, (res:recv()))
    end)

    it("works in a plain script as in the API example", function()
      local out, code = support.run_lua [[
        local go = require "gochan"
        local ch = go.chan()
        go(function() ch:send(42) end)
        print(ch:recv())
      ]]
      assert.equal(0, code)
      assert.equal("42\ttrue\n", out)
    end)

    it("delivers values in the order they were sent", function()
      run(function()
        local ch = go.chan()
        go(function()
          for i = 1, 100 do ch:send(i) end
        end)
        for i = 1, 100 do assert.equal(i, (ch:recv())) end
      end)
    end)

    it("serves blocked senders first-come, first-served", function()
      run(function()
        local ch = go.chan()
        for i = 1, 5 do
          go(function() ch:send(i) end)
          settle()  -- sender i is parked before sender i+1 starts
        end
        local got = {}
        for i = 1, 5 do got[i] = ch:recv() end
        assert.same({ 1, 2, 3, 4, 5 }, got)
      end)
    end)

    it("serves blocked receivers first-come, first-served", function()
      run(function()
        local ch = go.chan()
        local res = go.chan(5)
        for i = 1, 5 do
          go(function()
            local v = ch:recv()
            res:send(i .. "=" .. v)
          end)
          settle()
        end
        for _, v in ipairs { "a", "b", "c", "d", "e" } do ch:send(v) end
        local got = {}
        for i = 1, 5 do got[i] = res:recv() end
        table.sort(got)
        assert.same({ "1=a", "2=b", "3=c", "4=d", "5=e" }, got)
      end)
    end)

    it("carries nil: recv returns nil, true", function()
      run(function()
        local ch = go.chan()
        go(function() ch:send(nil) end)
        local v, ok = ch:recv()
        assert.is_nil(v)
        assert.is_true(ok)
      end)
    end)

    it("passes a table by reference (the same table)", function()
      run(function()
        local ch = go.chan()
        local t = { 1, 2 }
        go(function() ch:send(t) end)
        local v = ch:recv()
        assert.is_true(rawequal(t, v))
      end)
    end)

    it("carries values of every Lua type unchanged", function()
      run(function()
        local ch = go.chan()
        local f = function() end
        local co = coroutine.create(f)
        local ud = io.stdout
        local vals = { true, false, 0, 1.5, math.maxinteger, "s", f, co, ud, ch }
        go(function()
          for i = 1, #vals do ch:send(vals[i]) end
        end)
        for i = 1, #vals do
          local v = ch:recv()
          assert.is_true(rawequal(vals[i], v) or v == vals[i])
          assert.equal(math.type(vals[i]), math.type(v))
        end
      end)
    end)
  end)

  describe(":send() and :recv() on a buffered channel", function()
    it("does not block the sender until the buffer is full", function()
      run(function()
        local ch = go.chan(3)
        ch:send(1)
        ch:send(2)
        ch:send(3)
        assert.equal(3, ch:len())
      end)
    end)

    it("blocks the sender when the buffer is full", function()
      run(function()
        local ch = go.chan(2)
        local log, add = logger()
        go(function()
          for i = 1, 3 do
            ch:send(i)
            add("sent " .. i)
          end
        end)
        settle()
        assert.same({ "sent 1", "sent 2" }, log)
        assert.equal(1, (ch:recv()))
        settle()
        assert.same({ "sent 1", "sent 2", "sent 3" }, log)
      end)
    end)

    it("blocks the receiver only when the buffer is empty", function()
      run(function()
        local ch = go.chan(2)
        local log, add = logger()
        go(function()
          add("recv " .. ch:recv())
          add("recv " .. ch:recv())
        end)
        settle()
        assert.same({}, log)
        ch:send("a")
        settle()
        assert.same({ "recv a" }, log)
        ch:send("b")
        settle()
        assert.same({ "recv a", "recv b" }, log)
      end)
    end)

    it("delivers values in FIFO order", function()
      run(function()
        local ch = go.chan(5)
        for i = 1, 5 do ch:send(i) end
        for i = 1, 5 do assert.equal(i, (ch:recv())) end
      end)
    end)

    it("keeps FIFO order across many wrap-arounds of the buffer", function()
      run(function()
        local ch = go.chan(3)
        go(function()
          for i = 1, 200 do ch:send(i) end
        end)
        for i = 1, 200 do assert.equal(i, (ch:recv())) end
      end)
    end)

    it("keeps FIFO order in a large buffer", function()
      run(function()
        local ch = go.chan(3000)
        for i = 1, 3000 do ch:send(i) end
        assert.equal(3000, ch:len())
        for i = 1, 1500 do assert.equal(i, (ch:recv())) end
        for i = 3001, 4500 do ch:send(i) end  -- wraps around
        for i = 1501, 4500 do assert.equal(i, (ch:recv())) end
        assert.equal(0, ch:len())
      end)
    end)

    it("puts blocked senders' values after the buffered ones, in arrival order", function()
      run(function()
        local ch = go.chan(1)
        ch:send("a")
        go(function() ch:send("b") end)
        settle()
        go(function() ch:send("c") end)
        settle()
        local got = {}
        for i = 1, 3 do got[i] = ch:recv() end
        assert.same({ "a", "b", "c" }, got)
      end)
    end)

    it("serves blocked receivers first-come, first-served", function()
      run(function()
        local ch = go.chan(2)
        local res = go.chan(3)
        for i = 1, 3 do
          go(function() res:send(i .. "=" .. ch:recv()) end)
          settle()
        end
        for _, v in ipairs { "a", "b", "c" } do ch:send(v) end
        local got = {}
        for i = 1, 3 do got[i] = res:recv() end
        table.sort(got)
        assert.same({ "1=a", "2=b", "3=c" }, got)
      end)
    end)

    it("carries nil: recv returns nil, true", function()
      run(function()
        local ch = go.chan(3)
        ch:send(nil)
        ch:send(2)
        assert.equal(2, ch:len())
        local v, ok = ch:recv()
        assert.is_nil(v)
        assert.is_true(ok)
        v, ok = ch:recv()
        assert.equal(2, v)
        assert.is_true(ok)
      end)
    end)

    it("passes a table by reference (the same table)", function()
      run(function()
        local ch = go.chan(1)
        local t = {}
        ch:send(t)
        assert.is_true(rawequal(t, (ch:recv())))
      end)
    end)
  end)

  describe(":close()", function()
    it("lets buffered values be received after close, then nil, false", function()
      run(function()
        local ch = go.chan(3)
        ch:send(1)
        ch:send(2)
        ch:close()
        assert.same({ 1, true }, { ch:recv() })
        assert.same({ 2, true }, { ch:recv() })
        local v, ok = ch:recv()
        assert.is_nil(v)
        assert.is_false(ok)
      end)
    end)

    it("makes recv return nil, false repeatedly once closed and drained", function()
      local ch = go.chan()
      ch:close()
      for _ = 1, 3 do
        local v, ok = ch:recv()
        assert.is_nil(v)
        assert.is_false(ok)
      end
    end)

    it("makes a later send raise 'send on closed channel'", function()
      local ch = go.chan(1)
      ch:close()
      assert.error_matches(function() ch:send(1) end,
                           "send on closed channel", 1, true)
    end)

    it("makes a later send raise even when the buffer has room", function()
      local ch = go.chan(5)
      ch:send(1)
      ch:close()
      assert.error_matches(function() ch:send(2) end,
                           "send on closed channel", 1, true)
      assert.equal(1, ch:len())
    end)

    it("raises 'close of closed channel' when closed twice", function()
      local ch = go.chan()
      ch:close()
      assert.error_matches(function() ch:close() end,
                           "close of closed channel", 1, true)
    end)

    it("makes blocked senders raise 'send on closed channel'", function()
      run(function()
        local ch = go.chan()
        local res = go.chan(3)
        for i = 1, 3 do
          go(function()
            local ok, err = pcall(ch.send, ch, i)
            res:send({ ok, tostring(err) })
          end)
        end
        settle()
        ch:close()
        for _ = 1, 3 do
          local r = res:recv()
          assert.is_false(r[1])
          assert.is_true(has(r[2], "send on closed channel"), r[2])
        end
      end)
    end)

    it("makes a blocked main goroutine's send raise 'send on closed channel'", function()
      local ch = go.chan()
      go(function() ch:close() end)
      assert.error_matches(function() ch:send(1) end,
                           "send on closed channel", 1, true)
    end)

    it("wakes a blocked main goroutine's recv with nil, false", function()
      local ch = go.chan()
      go(function() ch:close() end)
      assert.same({ n = 2, nil, false }, table.pack(ch:recv()))
    end)

    it("makes a sender blocked on a full buffer raise 'send on closed channel'", function()
      run(function()
        local ch = go.chan(1)
        local res = go.chan(1)
        ch:send("kept")
        go(function()
          local ok, err = pcall(ch.send, ch, "lost")
          res:send({ ok, tostring(err) })
        end)
        settle()
        ch:close()
        local r = res:recv()
        assert.is_false(r[1])
        assert.is_true(has(r[2], "send on closed channel"), r[2])
        assert.same({ "kept", true }, { ch:recv() })
        assert.same({ nil, false }, { ch:recv() })
      end)
    end)

    it("wakes every blocked receiver with nil, false", function()
      run(function()
        local ch = go.chan()
        local res = go.chan(3)
        for _ = 1, 3 do
          go(function()
            local v, ok = ch:recv()
            res:send({ v = v, ok = ok })
          end)
        end
        settle()
        ch:close()
        for _ = 1, 3 do
          local r = res:recv()
          assert.is_nil(r.v)
          assert.is_false(r.ok)
        end
      end)
    end)

    it("closes the channel at scope end when declared <close>", function()
      local ch = go.chan(1)
      do
        local c <close> = ch
        c:send(1)
      end
      assert.same({ 1, true }, { ch:recv() })
      assert.same({ nil, false }, { ch:recv() })
    end)

    it("does not fail at scope end when a <close> channel is already closed", function()
      local ch = go.chan()
      assert.has_no.errors(function()
        local c <close> = ch
        c:close()
      end)
      assert.same({ nil, false }, { ch:recv() })
    end)

    it("closes a <close> channel also when the scope ends by an error", function()
      local ch = go.chan()
      local ok = pcall(function()
        local c <close> = ch
        error("boom: " .. tostring(c))
      end)
      assert.is_false(ok)
      assert.same({ nil, false }, { ch:recv() })
    end)
  end)

  describe(":range()", function()
    it("iterates the values and ends when closed and drained", function()
      run(function()
        local ch = go.chan()
        go(function()
          for i = 1, 3 do ch:send(i) end
          ch:close()
        end)
        local got = {}
        for v in ch:range() do got[#got + 1] = v end
        assert.same({ 1, 2, 3 }, got)
      end)
    end)

    it("drains the buffer of a closed buffered channel", function()
      run(function()
        local ch = go.chan(3)
        ch:send("a")
        ch:send("b")
        ch:close()
        local got = {}
        for v in ch:range() do got[#got + 1] = v end
        assert.same({ "a", "b" }, got)
      end)
    end)

    it("stops on a nil value, leaving the rest receivable (documented)", function()
      run(function()
        local ch = go.chan(3)
        ch:send(1)
        ch:send(nil)
        ch:send(3)
        local got = {}
        for v in ch:range() do got[#got + 1] = v end
        assert.same({ 1 }, got)
        assert.same({ 3, true }, { ch:recv() })
      end)
    end)

    it("blocks between values like recv", function()
      run(function()
        local ch = go.chan()
        local log, add = logger()
        go(function()
          for v in ch:range() do add(v) end
          add("end")
        end)
        settle()
        assert.same({}, log)
        ch:send("x")
        settle()
        assert.same({ "x" }, log)
        ch:close()
        settle()
        assert.same({ "x", "end" }, log)
      end)
    end)

    it("works on a receive-only view", function()
      run(function()
        local ch = go.chan(2)
        ch:send(1)
        ch:send(2)
        ch:close()
        local got = {}
        for v in ch:recv_only():range() do got[#got + 1] = v end
        assert.same({ 1, 2 }, got)
      end)
    end)
  end)

  describe(":len(), # and :cap()", function()
    it("report the buffered count and capacity of a buffered channel", function()
      local ch = go.chan(4)
      ch:send(1)
      ch:send(2)
      assert.equal(2, ch:len())
      assert.equal(2, #ch)
      assert.equal(4, ch:cap())
      ch:recv()
      assert.equal(1, ch:len())
      assert.equal(1, #ch)
    end)

    it("report 0 and 0 for an unbuffered channel, even with a blocked sender", function()
      run(function()
        local ch = go.chan()
        go(function() ch:send(1) end)
        settle()
        assert.equal(0, ch:len())
        assert.equal(0, #ch)
        assert.equal(0, ch:cap())
        ch:recv()
      end)
    end)

    it("keep counting buffered values after close", function()
      local ch = go.chan(2)
      ch:send(1)
      ch:close()
      assert.equal(1, ch:len())
      assert.equal(2, ch:cap())
    end)

    it("report the same on views", function()
      local ch = go.chan(3)
      ch:send(1)
      local r, s = ch:recv_only(), ch:send_only()
      assert.equal(1, r:len())
      assert.equal(1, #s)
      assert.equal(3, r:cap())
      assert.equal(3, s:cap())
    end)
  end)

  describe("tostring()", function()
    it("shows chan(len/cap)", function()
      local ch = go.chan(8)
      ch:send(1)
      ch:send(2)
      assert.equal("chan(2/8)", tostring(ch))
    end)

    it("shows <-chan(len/cap) for a receive-only view", function()
      local ch = go.chan(8)
      ch:send(1)
      ch:send(2)
      assert.equal("<-chan(2/8)", tostring(ch:recv_only()))
    end)

    it("shows chan<-(len/cap) for a send-only view", function()
      local ch = go.chan(8)
      ch:send(1)
      ch:send(2)
      assert.equal("chan<-(2/8)", tostring(ch:send_only()))
    end)

    it("shows a closed channel as chan(0/0, closed)", function()
      local ch = go.chan()
      ch:close()
      assert.equal("chan(0/0, closed)", tostring(ch))
    end)
  end)

  describe("direction views", function()
    it("raise 'send to receive-only channel' on send to a receive-only view", function()
      assert.error_matches(function() go.chan(1):recv_only():send(1) end,
                           "send to receive-only channel", 1, true)
    end)

    it("do not buffer the value of a refused send", function()
      local ch = go.chan(1)
      pcall(function() ch:recv_only():send(1) end)
      assert.equal(0, ch:len())
    end)

    it("raise 'receive from send-only channel' on recv from a send-only view", function()
      local ch = go.chan(1)
      ch:send(1)
      assert.error_matches(function() ch:send_only():recv() end,
                           "receive from send-only channel", 1, true)
      assert.equal(1, ch:len())
    end)

    it("raise 'receive from send-only channel' on range over a send-only view", function()
      assert.error_matches(function()
        for _ in go.chan(1):send_only():range() do end
      end, "receive from send-only channel", 1, true)
    end)

    it("raise 'close of receive-only channel' on close of a receive-only view", function()
      local ch = go.chan()
      assert.error_matches(function() ch:recv_only():close() end,
                           "close of receive-only channel", 1, true)
      assert.equal("chan(0/0)", tostring(ch))  -- still open
    end)

    it("allow close through a send-only view", function()
      local ch = go.chan()
      ch:send_only():close()
      assert.same({ nil, false }, { ch:recv() })
    end)

    it("raise 'cannot convert receive-only channel to send-only'", function()
      assert.error_matches(function() go.chan():recv_only():send_only() end,
                           "cannot convert receive-only channel to send-only", 1, true)
    end)

    it("raise 'cannot convert send-only channel to receive-only'", function()
      assert.error_matches(function() go.chan():send_only():recv_only() end,
                           "cannot convert send-only channel to receive-only", 1, true)
    end)

    it("convert to their own direction", function()
      local ch = go.chan()
      local r = ch:recv_only()
      local s = ch:send_only()
      assert.equal("<-chan(0/0)", tostring(r:recv_only()))
      assert.equal("chan<-(0/0)", tostring(s:send_only()))
    end)

    it("are == to their channel and to every other view of it", function()
      local ch = go.chan()
      local r, s = ch:recv_only(), ch:send_only()
      assert.is_true(r == ch)
      assert.is_true(ch == s)
      assert.is_true(r == s)
      assert.is_true(r == ch:recv_only())
      assert.is_true(s:send_only() == ch:send_only())
    end)

    it("are not == to another channel or its views", function()
      local a, b = go.chan(), go.chan()
      assert.is_false(a == b)
      assert.is_false(a:recv_only() == b)
      assert.is_false(a:send_only() == b:send_only())
      assert.is_false(a == {})
    end)

    it("share the buffer with the channel", function()
      local ch = go.chan(2)
      local s, r = ch:send_only(), ch:recv_only()
      s:send("x")
      assert.equal(1, ch:len())
      assert.same({ "x", true }, { r:recv() })
      ch:send("y")
      assert.same({ "y", true }, { r:recv() })
    end)

    it("receive buffered values through a receive-only view, in order", function()
      local ch = go.chan(3)
      ch:send("a")
      ch:send("b")
      local r = ch:recv_only()
      assert.same({ "a", true }, { r:recv() })
      assert.same({ "b", true }, { r:recv() })
      assert.equal(0, ch:len())
    end)

    it("buffer values sent through a send-only view for the channel", function()
      local ch = go.chan(3)
      local s = ch:send_only()
      s:send("a")
      s:send("b")
      assert.equal("chan<-(2/3)", tostring(s))
      assert.same({ "a", true }, { ch:recv() })
      assert.same({ "b", true }, { ch:recv() })
    end)

    it("share the buffer when made before any value is sent and used after GC", function()
      local ch = go.chan(2)
      local s, r = ch:send_only(), ch:recv_only()
      collectgarbage()
      collectgarbage()
      s:send(1)
      assert.same({ 1, true }, { r:recv() })
    end)

    it("rendezvous with each other on an unbuffered channel", function()
      run(function()
        local ch = go.chan()
        local s, r = ch:send_only(), ch:recv_only()
        go(function() s:send("z") end)
        assert.same({ "z", true }, { r:recv() })
      end)
    end)

    it("see a close made through the channel", function()
      local ch = go.chan()
      local r = ch:recv_only()
      ch:close()
      assert.same({ nil, false }, { r:recv() })
      assert.equal("<-chan(0/0, closed)", tostring(r))
    end)
  end)

  describe("garbage collection", function()
    it("collects a channel no Lua state references, even holding values", function()
      local weak = setmetatable({}, { __mode = "k" })
      do
        local ch = go.chan(3)
        ch:send(ch)   -- a cycle through its own buffer
        ch:send({})
        weak[ch] = true
        weak[ch:recv_only()] = true
      end
      collectgarbage()
      collectgarbage()
      assert.is_nil(next(weak))
    end)

    it("reports goroutines blocked forever on unreferenced channels as deadlocked, without crashing", function()
      local out, code = support.run_lua [[
        local go = require "gochan"
        go(function() go.chan():recv() end)
        go(function() go.chan(1):send(1) go.chan(1):send(1) end)
        go(function() local c = go.chan() c:send(1) end)
        go.yield()
        collectgarbage() collectgarbage()
        local ok, err = pcall(function() go.chan():recv() end)
        collectgarbage() collectgarbage()
        print(ok)
        print(err)
        print("end")
      ]]
      assert.equal(0, code, out)
      assert.equal("false", (out:match("[^\n]*")))
      assert.is_true(has(out, "all goroutines are asleep - deadlock!"), out)
      assert.is_true(has(out, "chan receive"), out)
      assert.is_true(has(out, "chan send"), out)
      assert.is_true(has(out, "\nend\n"), out)
    end)
  end)

  describe("methods called on a non-channel", function()
    it("raise 'bad argument #1 to 'send'' for ch.send(42, 1)", function()
      local msg = errof(function() go.chan().send(42, 1) end)
      assert.is_true(has(msg, "bad argument #1 to 'send'"), msg)
    end)

    it("raise 'bad argument #1 to 'recv'' for recv({})", function()
      local msg = errof(function()
        getmetatable(go.chan()).__index.recv({})
      end)
      assert.is_true(has(msg, "bad argument #1 to 'recv' (gochan.chan expected, got table)"), msg)
    end)

    it("raise a bad argument error for every method given a non-channel", function()
      local methods = getmetatable(go.chan()).__index
      for _, name in ipairs { "send", "recv", "close", "len", "cap", "range",
                              "recv_only", "send_only" } do
        -- a direct call m.<name>(...) lets Lua name the function
        local call = assert(load("local m, bad = ...; return m." .. name .. "(bad, 1)"))
        for _, bad in ipairs { 42, "s", {}, io.stdout } do
          local msg = errof(call, methods, bad)
          assert.is_true(has(msg, "bad argument #1 to '" .. name .. "' (gochan.chan expected, got "),
                         name .. ": " .. msg)
        end
      end
    end)

    it("raise a bad argument error for metamethods given a non-channel", function()
      local mt = getmetatable(go.chan())
      for _, name in ipairs { "__len", "__tostring", "__close" } do
        local ok, msg = pcall(mt[name], {})
        assert.is_false(ok, name)
        assert.is_true(has(tostring(msg), "bad argument #1"), name .. ": " .. tostring(msg))
      end
    end)
  end)
end)
