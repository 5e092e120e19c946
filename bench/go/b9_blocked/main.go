// B9 blocked: N goroutines (default 100,000) each blocked receiving from one
// shared unbuffered channel. Memory is read before starting them and after
// all are parked (each signals a WaitGroup right before it blocks, then main
// yields a few times); then the channel is closed and all must finish.
// The measured region (wall, cpu) is starting and parking the N goroutines.
// Extra keys: bytes_per = VmRSS growth / N, heap_per = growth of MemStats
// StackInuse+HeapInuse / N (both after a full collection).
package main

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"gochanbench/internal/bench"
)

func goMem() int64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.StackInuse + ms.HeapInuse)
}

func main() {
	n, _ := bench.Args(100000)
	// everything that is in both the before and after pictures is made first
	ch := make(chan struct{})
	var parked, finished sync.WaitGroup
	var woke int64
	parked.Add(n)
	finished.Add(n)

	runtime.GC()
	rss0, mem0 := bench.StatusKB("VmRSS"), goMem()

	r := bench.Start()
	for i := 0; i < n; i++ {
		go func() {
			defer finished.Done()
			parked.Done()
			<-ch
			atomic.AddInt64(&woke, 1)
		}()
	}
	parked.Wait()
	for i := 0; i < 10; i++ {
		runtime.Gosched()
	}
	wall, cpu := r.Stop()

	if g := runtime.NumGoroutine(); g != n+1 {
		bench.Wrong("NumGoroutine %d, want %d", g, n+1)
	}
	runtime.GC()
	rss1, mem1 := bench.StatusKB("VmRSS"), goMem()

	close(ch)
	finished.Wait()
	if w := atomic.LoadInt64(&woke); w != int64(n) {
		bench.Wrong("%d goroutines woke, want %d", w, n)
	}
	bench.Report(wall, cpu, n,
		fmt.Sprintf("bytes_per=%.1f", float64(rss1-rss0)*1024/float64(n)),
		fmt.Sprintf("heap_per=%.1f", float64(mem1-mem0)/float64(n)))
}
