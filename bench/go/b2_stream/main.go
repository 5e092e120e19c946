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
	n, _ := bench.Args(5000000)
	if w := n / 10; w > 0 {
		if got, want := stream(w), w*(w+1)/2; got != want {
			bench.Wrong("warm-up sum %d, want %d", got, want)
		}
	}
	r := bench.Start()
	sum := stream(n)
	wall, cpu := r.Stop()
	if want := n * (n + 1) / 2; sum != want {
		bench.Wrong("sum %d, want %d", sum, want)
	}
	bench.Report(wall, cpu, n)
}
