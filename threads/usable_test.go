package threads

import "testing"

func TestLaneCPUs(t *testing.T) {
	u, err := FS{Root: "testdata/smt16"}.Usable(nil)
	if err != nil {
		t.Fatal(err)
	}
	lanes := u.LaneCPUs(4, 4)
	seen := map[int]bool{}
	for _, l := range lanes {
		if len(l) != 4 {
			t.Fatalf("lane %v", l)
		}
		for _, c := range l {
			if seen[c] || c >= 16 { // siblings are N+16: one thread per physical core
				t.Fatalf("CPU %d reused or an SMT sibling: %v", c, lanes)
			}
			seen[c] = true
		}
	}
	if u.LaneCPUs(8, 8) != nil {
		t.Fatal("64 CPUs handed out of 32")
	}
}
