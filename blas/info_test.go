package blas

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestMappedLibrariesAndRuntimes(t *testing.T) {
	for _, c := range []struct {
		file     string
		libs     int
		runtimes []string
		err      error
	}{
		{"maps-openblas-pthread.txt", 4, []string{"openblas-pthread"}, nil},
		{"maps-two-runtimes.txt", 3, []string{"openblas-pthread", "reference-blas (blas)"}, ErrTwoRuntimes},
		{"maps-pthread-and-openmp.txt", 3, []string{"openblas", "openblas-openmp", "openblas-pthread"}, ErrTwoRuntimes},
	} {
		raw, err := os.ReadFile("testdata/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		libs := MappedLibraries(raw)
		if len(libs) != c.libs {
			t.Errorf("%s: libraries %q, want %d", c.file, libs, c.libs)
		}
		rt := Runtimes(libs)
		if strings.Join(rt, "|") != strings.Join(c.runtimes, "|") {
			t.Errorf("%s: runtimes %q, want %q", c.file, rt, c.runtimes)
		}
		info := Info{Implementation: "openblas", Threading: Pthreads, Runtimes: rt}
		if err := info.Check(1); !errors.Is(err, c.err) {
			t.Errorf("%s: Check = %v, want %v", c.file, err, c.err)
		}
	}
}

func TestCheckSerialBuild(t *testing.T) {
	serial := Info{Implementation: "openblas", Threading: Serial, Runtimes: []string{"openblas-serial"}}
	if err := serial.Check(1); err != nil {
		t.Errorf("one worker on the serial build: %v", err)
	}
	if err := serial.Check(2); !errors.Is(err, ErrSerialShared) {
		t.Errorf("two workers on the serial build: %v, want ErrSerialShared", err)
	}
	if err := (Info{Implementation: "gonum", Threading: Serial}).Check(8); err != nil {
		t.Errorf("gonum is thread-safe: %v", err)
	}
}

func TestThreadingModelText(t *testing.T) {
	for _, m := range []ThreadingModel{Serial, Pthreads, OpenMP} {
		b, _ := m.MarshalText()
		var got ThreadingModel
		if err := got.UnmarshalText(b); err != nil || got != m {
			t.Errorf("%v: round trip gave %v, %v", m, got, err)
		}
	}
	var m ThreadingModel
	if err := m.UnmarshalText([]byte("tbb")); err == nil {
		t.Error("unknown model accepted")
	}
}

// TestRuntimeLive checks what this process really loaded.
func TestRuntimeLive(t *testing.T) {
	info := Runtime()
	if !Linked {
		if info.Implementation != "gonum" || !strings.Contains(info.Config, "without cgo") {
			t.Fatalf("pure-Go build: %+v", info)
		}
		return
	}
	if info.Implementation != "openblas" || info.Version == "" || info.CoreName == "" {
		t.Fatalf("OpenBLAS build: %+v", info)
	}
	if len(info.Runtimes) != 1 {
		t.Fatalf("want exactly one BLAS runtime mapped, got %q from %q", info.Runtimes, info.Libraries)
	}
	if err := info.Check(2); err != nil {
		t.Fatal(err)
	}
}

func TestSetThreads(t *testing.T) {
	if !Linked {
		SetThreads(4)
		if Threads() != 1 {
			t.Fatal("pure-Go build has one thread")
		}
		return
	}
	old := Threads()
	defer SetThreads(old)
	for _, n := range []int{1, 2} {
		SetThreads(n)
		if got := Threads(); got != n {
			t.Fatalf("SetThreads(%d): Threads() = %d", n, got)
		}
	}
}

func TestDgesddPanicsOnShortOperands(t *testing.T) {
	if !Linked {
		t.Skip("checks are in the cgo implementation")
	}
	defer func() {
		r := recover()
		if r == nil || !strings.Contains(r.(string), "a is too short") {
			t.Fatalf("panic %v", r)
		}
	}()
	s := make([]float64, 3)
	Default().Dgesdd(SVDNone, 3, 3, make([]float64, 8), 3, s, nil, 1, nil, 1, make([]float64, 100), 100, make([]int32, 24))
}
