// B5 pingpong_x: B1's ping-pong with the two sides on different OS threads:
// main and the replying goroutine both call runtime.LockOSThread (the runner
// sets GOMAXPROCS=2). Default N 200,000 round trips.
package main

import (
	"fmt"
	"os"
	"runtime"

	"gochanbench/internal/bench"
)

// pingpong runs n round trips with the replier locked to its own thread and
// returns the sum of the replies. The clocks run from the first send on:
// the replier has its thread (and is waiting) by then.
func pingpong(n int) (sum int, wall, cpu float64) {
	ping, pong := make(chan int), make(chan int)
	ready := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		close(ready)
		for v := range ping {
			pong <- v + 1
		}
	}()
	<-ready
	r := bench.Start()
	for i := 0; i < n; i++ {
		ping <- i
		sum += <-pong
	}
	wall, cpu = r.Stop()
	close(ping)
	return sum, wall, cpu
}

func main() {
	runtime.LockOSThread()
	if p := runtime.GOMAXPROCS(0); p < 2 {
		fmt.Fprintf(os.Stderr, "b5_pingpong_x: GOMAXPROCS=%d; the benchmark is meant for GOMAXPROCS=2\n", p)
	}
	bench.RunSumTimed(200000, pingpong)
}
