package matio

import (
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
)

// benchRead reads every item of the file at path, as a caller would, into a
// reused slice.
func benchRead(b *testing.B, path string, dataBytes int64) {
	b.SetBytes(dataBytes)
	b.ReportAllocs()
	var dst []float64
	for b.Loop() {
		r, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		for {
			it, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if n := it.Rows * it.Cols; len(dst) != n {
				dst = make([]float64, n)
			}
			if err := r.Read(dst); err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
	}
}

func benchFile(b *testing.B, descr string, fortran bool, shape ...int) (string, int64) {
	b.Helper()
	data, _ := randomArray(rand.New(rand.NewPCG(1, 1)), descr, fortran, shape)
	return writeFile(b, b.TempDir(), "bench.npy", npyFile(1, dictFor(descr, fortran, shape...), data)), int64(len(data))
}

// BenchmarkReadStack reads a 3-D stack of 20000 16×16 float64 matrices.
func BenchmarkReadStack(b *testing.B) {
	path, n := benchFile(b, "<f8", false, 20000, 16, 16)
	benchRead(b, path, n)
}

// BenchmarkReadLarge reads a 1000×1000 float64 matrix.
func BenchmarkReadLarge(b *testing.B) {
	path, n := benchFile(b, "<f8", false, 1000, 1000)
	benchRead(b, path, n)
}

// BenchmarkReadConvert reads 1000×1000 matrices that need conversion or
// rearrangement; MB/s counts the file's data bytes.
func BenchmarkReadConvert(b *testing.B) {
	for _, c := range []struct {
		descr   string
		fortran bool
		shape   []int
	}{
		{">f8", false, []int{1000, 1000}},
		{"<f4", false, []int{1000, 1000}},
		{"<i4", false, []int{1000, 1000}},
		{"|u1", false, []int{1000, 1000}},
		{"<f8", true, []int{1000, 1000}},
		{"<f8", true, []int{4000, 16, 16}},
	} {
		name := fmt.Sprintf("%s/fortran=%v/%v", c.descr, c.fortran, c.shape)
		b.Run(name, func(b *testing.B) {
			path, n := benchFile(b, c.descr, c.fortran, c.shape...)
			benchRead(b, path, n)
		})
	}
}
