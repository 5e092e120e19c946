// Package bench holds what every Go peer of the gochan benchmarks B1-B9
// shares: the command line (<program> <N> [MODE]), timing of the measured
// region (wall clock and process CPU time of all threads), /proc/self/status
// readings, and the one output line:
//
//	wall=<s> cpu=<s> n=<N> [key=value ...]
//
// or `wrong=<why>` and exit status 1.
package bench

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Args returns N (os.Args[1], def when absent) and MODE (os.Args[2], "" when absent).
func Args(def int) (n int, mode string) {
	n = def
	if len(os.Args) > 1 && os.Args[1] != "" { // "" = the default
		v, err := strconv.Atoi(os.Args[1])
		if err != nil || v <= 0 {
			fmt.Fprintf(os.Stderr, "usage: %s [N > 0] [MODE]\n", os.Args[0])
			os.Exit(2)
		}
		n = v
	}
	if len(os.Args) > 2 {
		mode = os.Args[2]
	}
	return n, mode
}

// CPU returns the CPU time (user + system) of the process, all threads, in seconds.
func CPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		Wrong("getrusage: %v", err)
	}
	return tv(ru.Utime) + tv(ru.Stime)
}

func tv(t syscall.Timeval) float64 {
	return float64(t.Sec) + float64(t.Usec)/1e6
}

// Region is a measured region: wall clock (monotonic) and process CPU time.
type Region struct {
	wall time.Time
	cpu  float64
}

// Start runs a full collection (as testing.B does before a benchmark), then
// starts the clocks.
func Start() Region {
	runtime.GC()
	return Region{wall: time.Now(), cpu: CPU()}
}

// Stop returns the wall and CPU seconds since Start.
func (r Region) Stop() (wall, cpu float64) {
	cpu = CPU() - r.cpu
	wall = time.Since(r.wall).Seconds()
	return wall, cpu
}

// Report prints the result line; extra are further "key=value" pairs.
func Report(wall, cpu float64, n int, extra ...string) {
	line := fmt.Sprintf("wall=%.9f cpu=%.9f n=%d", wall, cpu, n)
	for _, kv := range extra {
		line += " " + kv
	}
	fmt.Println(line)
}

// RunSum runs the shape of B1, B2 and B6: body(n) works on 1..n and returns
// the sum of what it received, n(n+1)/2: a warm-up of n/10, the measured
// run, both sums checked, the result line.
func RunSum(def int, body func(n int) int) {
	RunSumTimed(def, func(n int) (int, float64, float64) {
		r := Start()
		sum := body(n)
		wall, cpu := r.Stop()
		return sum, wall, cpu
	})
}

// RunSumTimed is RunSum for a body that times itself (B5: the clocks start
// once the other thread is ready) and returns its sum, wall and CPU seconds.
func RunSumTimed(def int, body func(n int) (sum int, wall, cpu float64)) {
	n, _ := Args(def)
	if w := n / 10; w > 0 {
		if got, _, _ := body(w); got != w*(w+1)/2 {
			Wrong("warm-up sum %d, want %d", got, w*(w+1)/2)
		}
	}
	sum, wall, cpu := body(n)
	if want := n * (n + 1) / 2; sum != want {
		Wrong("sum %d, want %d", sum, want)
	}
	Report(wall, cpu, n)
}

// Wrong prints wrong=<why> (spaces replaced by '_', so that the line stays
// key=value pairs) and exits with status 1.
func Wrong(format string, args ...interface{}) {
	why := strings.ReplaceAll(fmt.Sprintf(format, args...), " ", "_")
	fmt.Printf("wrong=%s\n", why)
	os.Exit(1)
}

// StatusKB returns a field of /proc/self/status given in kB (VmRSS, VmHWM, ...).
func StatusKB(field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		Wrong("open /proc/self/status: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	prefix := field + ":"
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		fs := strings.Fields(line[len(prefix):])
		if len(fs) == 2 && fs[1] == "kB" {
			if v, err := strconv.ParseInt(fs[0], 10, 64); err == nil {
				return v
			}
		}
		break
	}
	Wrong("no %s in /proc/self/status", field)
	return 0
}
