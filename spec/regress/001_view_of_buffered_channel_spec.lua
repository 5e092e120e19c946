-- A view of a buffered channel once took itself as the buffer: sending
-- through ch:send_only() crashed and recv_only():recv() returned nil.
local go = require "gochan"

describe("regression 001: views of a buffered channel", function()
  it("share the channel's buffer", function()
    local ch = go.chan(2)
    ch:send_only():send(1)
    ch:send(2)
    local r = ch:recv_only()
    assert.same({1, true}, {r:recv()})
    assert.same({2, true}, {r:recv()})
    assert.equal(0, #ch)
  end)
end)
