package gen

import (
	"os"
	"strconv"
)

// BenchSizes are the object counts the Go benchmarks run at: 1k and 10k,
// plus 100k when MESHAUDIT_BENCH_LARGE=1. MESHAUDIT_BENCH_SIZES (comma-
// separated counts) replaces the list.
func BenchSizes() []int {
	if s := os.Getenv("MESHAUDIT_BENCH_SIZES"); s != "" {
		var out []int
		for _, f := range splitComma(s) {
			if n, err := strconv.Atoi(f); err == nil && n > 0 {
				out = append(out, n)
			}
		}
		return out
	}
	sizes := []int{1000, 10000}
	if os.Getenv("MESHAUDIT_BENCH_LARGE") == "1" {
		sizes = append(sizes, 100000)
	}
	return sizes
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}

// SizeName is a benchmark sub-name: 1k, 10k, 100k.
func SizeName(n int) string {
	if n%1000 == 0 {
		return strconv.Itoa(n/1000) + "k"
	}
	return strconv.Itoa(n)
}
