// B3 spawn: N goroutines (default 1,000,000) started with a WaitGroup; each
// adds its index to a shared sum and calls Done; main waits. No warm-up.
// Extra key: rss_kb = peak RSS of the process (VmHWM).
package main

import (
	"fmt"
	"sync"
	"sync/atomic"

	"gochanbench/internal/bench"
)

func main() {
	n, _ := bench.Args(1000000)
	var wg sync.WaitGroup
	var sum int64
	r := bench.Start()
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func(i int) {
			atomic.AddInt64(&sum, int64(i))
			wg.Done()
		}(i)
	}
	wg.Wait()
	wall, cpu := r.Stop()
	if want := int64(n) * int64(n+1) / 2; atomic.LoadInt64(&sum) != want {
		bench.Wrong("sum %d, want %d", sum, want)
	}
	bench.Report(wall, cpu, n, fmt.Sprintf("rss_kb=%d", bench.StatusKB("VmHWM")))
}
