// B5 stream_x: B2's stream with the producer on another OS thread: main and
// the producer both call runtime.LockOSThread (the runner sets GOMAXPROCS=2).
// The producer sends 1..N on a channel of capacity 128 and closes it; main
// ranges and sums. Default N 2,000,000.
package main

import (
	"fmt"
	"os"
	"runtime"

	"gochanbench/internal/bench"
)

// stream returns the sum received; the clocks start when the producer, on
// its own thread, has been told to go.
func stream(n int) (sum int, wall, cpu float64) {
	ch := make(chan int, 128)
	start := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		<-start
		for i := 1; i <= n; i++ {
			ch <- i
		}
		close(ch)
	}()
	r := bench.Start()
	start <- struct{}{}
	for v := range ch {
		sum += v
	}
	wall, cpu = r.Stop()
	return sum, wall, cpu
}

func main() {
	runtime.LockOSThread()
	if p := runtime.GOMAXPROCS(0); p < 2 {
		fmt.Fprintf(os.Stderr, "b5_stream_x: GOMAXPROCS=%d; the benchmark is meant for GOMAXPROCS=2\n", p)
	}
	bench.RunSumTimed(2000000, stream)
}
