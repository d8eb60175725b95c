package kernels

// InputCopy returns the copy of its input that w keeps for Options.Fallback:
// nil when it keeps none.
func InputCopy(w Worker) []float64 { return w.(*svdWorker).backup }
