-- LuaRocks build of gochan: `luarocks --lua-version=5.4 make rockspec/gochan-scm-1.rockspec`
-- from the top of a checkout (offline). The developer Makefile is not used:
-- `make lint` checks that the lists below match csrc/*.c and lua/.
rockspec_format = "3.0"
package = "gochan"
version = "scm-1"

source = {
  url = "git+https://example.invalid/gochan.git",
}

description = {
  summary = "Go's concurrency for Lua 5.4: goroutines, channels, select, sync, timers",
  detailed = [[
gochan is a C extension that gives Lua 5.4 Go's concurrency: goroutines
(coroutines run by a per-state scheduler), channels, select, the sync
package, timers, and OS threads with their own Lua state.
]],
}

dependencies = {
  "lua >= 5.4, < 5.5",
}

build = {
  type = "builtin",
  modules = {
    ["gochan.core"] = {
      sources = {
        "csrc/chan.c",
        "csrc/chanshared.c",
        "csrc/copy.c",
        "csrc/core.c",
        "csrc/debug.c",
        "csrc/sched.c",
        "csrc/select.c",
        "csrc/shared.c",
        "csrc/sync.c",
        "csrc/thread.c",
        "csrc/timer.c",
      },
      incdirs = { "csrc" },
      libraries = { "pthread", "dl" },
    },
    ["gochan"] = "lua/gochan/init.lua",
  },
}

test_dependencies = {
  "busted",
}

test = {
  type = "busted",
}
