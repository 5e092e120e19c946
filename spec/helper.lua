--- busted helper (see .busted): runs before every spec file.
-- GOCHAN_GC=aggressive makes the Lua collector run as often as it can
-- (generational mode, minor collections after 1% growth), so that the
-- sanitizer runs exercise finalizers, weak caches and collected channels
-- at every step: `make test-asan` sets it.
if os.getenv("GOCHAN_GC") == "aggressive" then
  collectgarbage("generational", 1, 10)
end
