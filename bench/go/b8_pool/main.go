// B8 pool: 8 worker goroutines read jobs from a jobs channel (cap 128) and
// send job*2+1 to a results channel (cap 128); a feeder goroutine sends 1..N
// and closes jobs; a closer goroutine closes results when the workers are
// done (WaitGroup); main sums the results. Default N 1,000,000.
// MODE "1" or "2" is the number of OS threads, which for Go is GOMAXPROCS,
// set by the runner in the environment; it is only checked against it.
package main

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"

	"gochanbench/internal/bench"
)

const workers = 8

func pool(n int) int {
	jobs := make(chan int, 128)
	results := make(chan int, 128)
	go func() {
		for i := 1; i <= n; i++ {
			jobs <- i
		}
		close(jobs)
	}()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results <- j*2 + 1
			}
		}()
	}
	go func() {
		wg.Wait()
		close(results)
	}()
	sum := 0
	for v := range results {
		sum += v
	}
	return sum
}

func main() {
	n, mode := bench.Args(1000000)
	if mode != "" && mode != strconv.Itoa(runtime.GOMAXPROCS(0)) {
		fmt.Fprintf(os.Stderr, "b8_pool: MODE %s but GOMAXPROCS=%d (the runner sets GOMAXPROCS)\n",
			mode, runtime.GOMAXPROCS(0))
	}
	if w := n / 10; w > 0 {
		if got, want := pool(w), w*(w+1)+w; got != want {
			bench.Wrong("warm-up sum %d, want %d", got, want)
		}
	}
	r := bench.Start()
	sum := pool(n)
	wall, cpu := r.Stop()
	if want := n*(n+1) + n; sum != want {
		bench.Wrong("sum %d, want %d", sum, want)
	}
	bench.Report(wall, cpu, n)
}
