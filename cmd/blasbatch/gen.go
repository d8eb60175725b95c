package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/blasbatch/blasbatch/matio"
)

func cmdGen(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	size := fs.Int("size", 1000, "rows and columns of each matrix")
	rows := fs.Int("rows", 0, "rows of each matrix (overrides -size)")
	cols := fs.Int("cols", 0, "columns of each matrix (overrides -size)")
	count := fs.Int("count", 16, "number of matrices")
	dir := fs.String("dir", "", "write one .npy file per matrix (m00000.npy, …) into `DIR`")
	stack := fs.String("stack", "", "write all matrices as one 3-D .npy stack of shape (count, rows, cols) to `FILE`")
	seed := fs.Uint64("seed", 1, "random seed")
	fs.Usage = func() {
		fmt.Fprintf(stderr, `Usage: blasbatch gen [flags] (-dir DIR | -stack FILE)

Writes the question's workload: matrices offset + stretch × uniform(0,1),
with offset an integer in [1,9] and stretch in [0.1,2.1) drawn per matrix,
from a seeded generator (the same seed gives the same files).

Flags:
`)
		fs.PrintDefaults()
	}
	if code, ok := parseFlags(fs, args); !ok {
		return code
	}
	m, n := *size, *size
	if *rows > 0 {
		m = *rows
	}
	if *cols > 0 {
		n = *cols
	}
	if m < 1 || n < 1 || *count < 1 {
		fmt.Fprintf(stderr, "blasbatch gen: sizes and -count must be positive\n")
		return exitUsage
	}
	if (*dir == "") == (*stack == "") {
		fmt.Fprintf(stderr, "blasbatch gen: give exactly one of -dir or -stack\n")
		return exitUsage
	}
	rng := rand.New(rand.NewPCG(*seed, 0x626c6173))
	a := make([]float64, m*n)
	fill := func() {
		offset := float64(1 + rng.IntN(9))
		stretch := 2*rng.Float64() + 0.1
		for i := range a {
			a[i] = offset + stretch*rng.Float64()
		}
	}
	var err error
	if *dir != "" {
		err = genDir(*dir, *count, m, n, a, fill)
	} else {
		err = genStack(*stack, *count, m, n, a, fill)
	}
	if err != nil {
		fmt.Fprintf(stderr, "blasbatch gen: %v\n", err)
		return exitFailed
	}
	return exitOK
}

func genDir(dir string, count, m, n int, a []float64, fill func()) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := range count {
		fill()
		if err := writeFile(filepath.Join(dir, fmt.Sprintf("m%05d.npy", i)), func(w io.Writer) error {
			return matio.WriteNpy(w, m, n, a, false)
		}); err != nil {
			return err
		}
	}
	return nil
}

func genStack(path string, count, m, n int, a []float64, fill func()) error {
	return writeFile(path, func(w io.Writer) error {
		if err := matio.WriteNpyHeader(w, []int{count, m, n}, false); err != nil {
			return err
		}
		for range count {
			fill()
			if err := matio.WriteFloat64s(w, a); err != nil {
				return err
			}
		}
		return nil
	})
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := write(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
