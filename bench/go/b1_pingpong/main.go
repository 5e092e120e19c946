// B1 pingpong: main and one goroutine over two unbuffered channels; main
// sends i, the goroutine replies i+1; N round trips (default 1,000,000).
package main

import "gochanbench/internal/bench"

// pingpong runs n round trips and returns the sum of the replies.
func pingpong(n int) int {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
	}()
	sum := 0
	for i := 0; i < n; i++ {
		ping <- i
		sum += <-pong
	}
	close(ping)
	return sum
}

func main() {
	n, _ := bench.Args(1000000)
	if w := n / 10; w > 0 {
		if got, want := pingpong(w), w*(w+1)/2; got != want {
			bench.Wrong("warm-up sum %d, want %d", got, want)
		}
	}
	r := bench.Start()
	sum := pingpong(n)
	wall, cpu := r.Stop()
	if want := n * (n + 1) / 2; sum != want {
		bench.Wrong("sum %d, want %d", sum, want)
	}
	bench.Report(wall, cpu, n)
}
