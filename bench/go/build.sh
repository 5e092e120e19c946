#!/bin/sh
# bench/go/build.sh OUTDIR: builds the Go peers of the benchmarks B1-B9
# (one program per benchmark, bench/go/<name>/main.go) into OUTDIR/<name>.
# Offline: the module has no dependencies (GOFLAGS=-mod=mod, GOPROXY=off).
# GOCACHE and GOPATH default to OUTDIR/.gocache and OUTDIR/.gopath unless
# set in the environment. Without a `go` command it says so on stderr,
# builds nothing and exits 0.
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
if ! command -v go >/dev/null 2>&1; then
  echo "bench/go/build.sh: no go command; Go peers not built" >&2
  exit 0
fi

mkdir -p "$1"
out=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)

export GOFLAGS=-mod=mod GOPROXY=off GO111MODULE=on
export GOCACHE="${GOCACHE:-$out/.gocache}"
export GOPATH="${GOPATH:-$out/.gopath}"

cd "$here"
for name in b1_pingpong b2_stream b3_spawn b4_sieve b5_pingpong_x b5_stream_x \
            b6_select b7_timers b8_pool b9_blocked; do
  go build -o "$out/$name" "./$name"
done
echo "bench/go/build.sh: built into $out ($(go version))" >&2
