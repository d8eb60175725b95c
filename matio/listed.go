package matio

// Listed reports whether a directory of inputs includes a file of this
// name: whether its extension (in any case) is one this package reads by
// name or by content (.npy, .npz, .mtx, .csv, .tsv, .f64).
func Listed(name string) bool { return listed(name) }
