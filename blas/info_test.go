package blas

import (
	"errors"
	"os"
	"slices"
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

func TestEnvSettings(t *testing.T) {
	const over = "overridden: blasbatch sets each worker's BLAS threads from its split (lane processes get explicit values)"
	for _, c := range []struct {
		name    string
		environ []string
		core    string
		want    []EnvSetting
	}{
		{"none", []string{"HOME=/root", "PATH=/bin", "OMP_PROC_BIND=true"}, "Haswell", nil},
		{"thread counts", []string{
			"OMP_NUM_THREADS=4", "OPENBLAS_NUM_THREADS=2", "MKL_NUM_THREADS=8", "BLIS_NUM_THREADS=1",
			"VECLIB_MAXIMUM_THREADS=3", "NUMEXPR_NUM_THREADS=5", "GOTO_NUM_THREADS=6", "HOME=/root",
		}, "Haswell", []EnvSetting{
			{"BLIS_NUM_THREADS", "1", over}, {"GOTO_NUM_THREADS", "6", over}, {"MKL_NUM_THREADS", "8", over},
			{"NUMEXPR_NUM_THREADS", "5", over}, {"OMP_NUM_THREADS", "4", over}, {"OPENBLAS_NUM_THREADS", "2", over},
			{"VECLIB_MAXIMUM_THREADS", "3", over},
		}},
		{"coretype accepted, any case", []string{"OPENBLAS_CORETYPE=haswell"}, "Haswell",
			[]EnvSetting{{"OPENBLAS_CORETYPE", "haswell", "accepted"}}},
		{"coretype garbage", []string{"OPENBLAS_CORETYPE=garbage"}, "Zen",
			[]EnvSetting{{"OPENBLAS_CORETYPE", "garbage", "not accepted: OpenBLAS runs its Zen kernels"}}},
		{"coretype empty", []string{"OPENBLAS_CORETYPE="}, "Prescott",
			[]EnvSetting{{"OPENBLAS_CORETYPE", "", "not accepted: OpenBLAS runs its Prescott kernels"}}},
		{"coretype without OpenBLAS", []string{"OPENBLAS_CORETYPE=SkylakeX"}, "",
			[]EnvSetting{{"OPENBLAS_CORETYPE", "SkylakeX", "not checked: OpenBLAS is not linked, so no kernel set is reported"}}},
		{"other OpenBLAS and GotoBLAS variables", []string{"OPENBLAS_VERBOSE=2", "GOTO_L2_SIZE=1M", "OPENBLAS_MAIN_FREE=1"}, "Zen",
			[]EnvSetting{{"GOTO_L2_SIZE", "1M", "seen"}, {"OPENBLAS_MAIN_FREE", "1", "seen"}, {"OPENBLAS_VERBOSE", "2", "seen"}}},
		{"first of duplicates, malformed skipped", []string{"OMP_NUM_THREADS=2", "OMP_NUM_THREADS=9", "OPENBLAS_NUM_THREADS", "OPENBLAS_X=a=b"}, "Zen",
			[]EnvSetting{{"OMP_NUM_THREADS", "2", over}, {"OPENBLAS_X", "a=b", "seen"}}},
		{"prefix only as a prefix", []string{"MY_OPENBLAS_NUM_THREADS=3", "OMP_NUM_THREADS_X=1", "openblas_num_threads=2"}, "Zen", nil},
	} {
		got := EnvSettings(c.environ, c.core)
		if got == nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: EnvSettings(%q, %q) =\n%v\nwant\n%v", c.name, c.environ, c.core, got, c.want)
		}
	}
}

// TestRuntimeEnv: Runtime reads the process's environment as it is now.
func TestRuntimeEnv(t *testing.T) {
	t.Setenv("OPENBLAS_NUM_THREADS", "7")
	t.Setenv("OPENBLAS_CORETYPE", "garbage")
	info := Runtime()
	want := EnvSettings([]string{"OPENBLAS_CORETYPE=garbage", "OPENBLAS_NUM_THREADS=7"}, info.CoreName)
	var got []EnvSetting
	for _, e := range info.Env {
		if e.Name == "OPENBLAS_CORETYPE" || e.Name == "OPENBLAS_NUM_THREADS" {
			got = append(got, e)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("Runtime().Env = %v, want %v among them", info.Env, want)
	}
	if Linked && len(got) > 0 && !strings.HasPrefix(got[0].Effect, "not accepted: OpenBLAS runs its "+info.CoreName) {
		t.Errorf("OPENBLAS_CORETYPE=garbage with OpenBLAS linked: %q", got[0].Effect)
	}
}
