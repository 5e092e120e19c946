-- luacheck configuration (`make lint`): Lua 5.4, no globals of our own.
std = "lua54"
exclude_files = { "build/**", "lua_modules/**", ".luarocks/**" }

-- busted's describe/it/assert/spy/... in the specs and their helpers.
files["spec"] = { std = "+busted" }
