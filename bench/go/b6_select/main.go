// B6 select: 4 channels of capacity 128; producer k sends its quarter of
// 1..N on channel k, then closes it; main selects over the 4 receives,
// setting a closed channel to nil, until all 4 are closed, and sums.
// Default N 1,000,000.
package main

import "gochanbench/internal/bench"

func produce(ch chan<- int, lo, hi int) {
	for i := lo; i <= hi; i++ {
		ch <- i
	}
	close(ch)
}

func selectSum(n int) int {
	var chs [4]chan int
	for k := range chs {
		chs[k] = make(chan int, 128)
		go produce(chs[k], k*n/4+1, (k+1)*n/4)
	}
	c0, c1, c2, c3 := chs[0], chs[1], chs[2], chs[3]
	sum := 0
	for open := 4; open > 0; {
		select {
		case v, ok := <-c0:
			if !ok {
				c0 = nil
				open--
				continue
			}
			sum += v
		case v, ok := <-c1:
			if !ok {
				c1 = nil
				open--
				continue
			}
			sum += v
		case v, ok := <-c2:
			if !ok {
				c2 = nil
				open--
				continue
			}
			sum += v
		case v, ok := <-c3:
			if !ok {
				c3 = nil
				open--
				continue
			}
			sum += v
		}
	}
	return sum
}

func main() {
	bench.RunSum(1000000, selectSum)
}
