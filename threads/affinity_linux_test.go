//go:build linux

package threads

import (
	"reflect"
	"runtime"
	"testing"
)

func TestPin(t *testing.T) {
	// The thread stays locked unless its mask is restored: if the test
	// fails before that, the goroutine exits locked and the runtime
	// discards the pinned thread.
	runtime.LockOSThread()
	orig, err := Affinity()
	if err != nil {
		t.Fatal(err)
	}
	if len(orig) == 0 {
		t.Fatal("empty affinity mask")
	}
	target := orig[len(orig)-1]
	if err := Pin([]int{target}); err != nil {
		t.Fatal(err)
	}
	got, err := Affinity()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []int{target}) {
		t.Errorf("after Pin([%d]) Affinity() = %v", target, got)
	}

	for _, bad := range [][]int{nil, {-1}, {maxAffinityBits}, {maxAffinityBits - 1}} {
		if err := Pin(bad); err == nil {
			t.Errorf("Pin(%v): no error", bad)
		}
	}
	if got, _ := Affinity(); !reflect.DeepEqual(got, []int{target}) {
		t.Errorf("a failed Pin changed the mask to %v", got)
	}

	if err := Pin(orig); err != nil {
		t.Fatal(err)
	}
	if got, err := Affinity(); err != nil || !reflect.DeepEqual(got, orig) {
		t.Fatalf("after restoring, Affinity() = %v, %v; want %v", got, err, orig)
	}
	runtime.UnlockOSThread()
}

func TestAffinityMatchesNumCPU(t *testing.T) {
	// runtime.NumCPU is the size of the process's mask at startup.
	cpus, err := Affinity()
	if err != nil {
		t.Fatal(err)
	}
	if len(cpus) != runtime.NumCPU() {
		t.Logf("Affinity() has %d CPUs, runtime.NumCPU() = %d (the mask may have changed since startup)", len(cpus), runtime.NumCPU())
	}
	if len(cpus) == 0 {
		t.Error("empty affinity mask")
	}
}
