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
	bench.RunSum(1000000, pingpong)
}
