-- luacheck configuration (`make lint`): Lua 5.4, no globals of our own.
std = "lua54"
exclude_files = { "build/**", "lua_modules/**", ".luarocks/**" }

-- busted's describe/it/assert/spy/... in the specs and their helpers.
files["spec"] = { std = "+busted" }

-- types/gochan.d.lua is a LuaLS meta file, never run: its functions are
-- stubs that ignore their parameters, and its class tables only collect
-- those stubs (W241: mutated but never accessed).
files["types"] = { unused_args = false, ignore = { "241" } }
