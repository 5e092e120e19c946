// B4 sieve: the Go tour's concurrent prime sieve. generate(2, 3, 4, ...)
// feeds a chain of filter goroutines over unbuffered channels; main takes
// the first N primes (default 2000; the 2000th is 17389) and checks the last
// one against a plain sieve of Eratosthenes. As in the tour, the chain is
// left blocked when main has its primes.
package main

import "gochanbench/internal/bench"

// generate sends 2, 3, 4, ... to ch.
func generate(ch chan<- int) {
	for i := 2; ; i++ {
		ch <- i
	}
}

// filter copies the values from in to out, removing those divisible by prime.
func filter(in <-chan int, out chan<- int, prime int) {
	for {
		i := <-in
		if i%prime != 0 {
			out <- i
		}
	}
}

// sieve returns the n-th prime.
func sieve(n int) int {
	ch := make(chan int)
	go generate(ch)
	prime := 0
	for i := 0; i < n; i++ {
		prime = <-ch
		ch1 := make(chan int)
		go filter(ch, ch1, prime)
		ch = ch1
	}
	return prime
}

// nthPrime returns the n-th prime by a plain sieve of Eratosthenes.
func nthPrime(n int) int {
	for limit := 64; ; limit *= 2 {
		composite := make([]bool, limit)
		count := 0
		for i := 2; i < limit; i++ {
			if composite[i] {
				continue
			}
			count++
			if count == n {
				return i
			}
			for j := i * i; j < limit; j += i {
				composite[j] = true
			}
		}
	}
}

func main() {
	n, _ := bench.Args(2000)
	if w := n / 10; w > 0 {
		if got, want := sieve(w), nthPrime(w); got != want {
			bench.Wrong("warm-up prime %d, want %d", got, want)
		}
	}
	r := bench.Start()
	last := sieve(n)
	wall, cpu := r.Stop()
	want := nthPrime(n)
	if n == 2000 && want != 17389 {
		bench.Wrong("plain sieve says prime 2000 is %d, want 17389", want)
	}
	if last != want {
		bench.Wrong("prime %d is %d, want %d", n, last, want)
	}
	bench.Report(wall, cpu, n)
}
