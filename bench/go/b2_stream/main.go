// B2 stream: one producer goroutine sends 1..N on a channel of capacity 128,
// then closes it; main ranges over the channel and sums (default N 5,000,000).
package main

import "gochanbench/internal/bench"

func stream(n int) int {
	ch := make(chan int, 128)
	go func() {
		for i := 1; i <= n; i++ {
			ch <- i
		}
		close(ch)
	}()
	sum := 0
	for v := range ch {
		sum += v
	}
	return sum
}

func main() {
	bench.RunSum(5000000, stream)
}
