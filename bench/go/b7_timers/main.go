// B7 timers: N goroutines (default 100,000) each sleep a pseudo-random
// duration in [0, 100) ms (LCG seed 42: x = (x*1103515245 + 12345) % 2^31,
// d = x % 100000 µs) and record their lateness: wake time minus the deadline
// they computed just before sleeping. Main waits (WaitGroup). No warm-up.
// Extra keys: p50_ms, p99_ms of the lateness. A wake before the deadline is wrong.
package main

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"gochanbench/internal/bench"
)

func main() {
	n, _ := bench.Args(100000)
	sleeps := make([]time.Duration, n)
	x := uint64(42)
	for i := range sleeps {
		x = (x*1103515245 + 12345) % (1 << 31)
		sleeps[i] = time.Duration(x%100000) * time.Microsecond
	}
	late := make([]time.Duration, n)

	var wg sync.WaitGroup
	r := bench.Start()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			deadline := time.Now().Add(sleeps[i])
			time.Sleep(sleeps[i])
			late[i] = time.Since(deadline)
		}(i)
	}
	wg.Wait()
	wall, cpu := r.Stop()

	for i, l := range late {
		if l < 0 {
			bench.Wrong("goroutine %d woke %v before its deadline", i, -l)
		}
	}
	sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	ms := func(p float64) string {
		k := int(math.Ceil(p*float64(n))) - 1 // nearest rank
		if k < 0 {
			k = 0
		}
		return fmt.Sprintf("%.3f", late[k].Seconds()*1e3)
	}
	bench.Report(wall, cpu, n, "p50_ms="+ms(0.50), "p99_ms="+ms(0.99))
}
