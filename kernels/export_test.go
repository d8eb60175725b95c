package kernels

// InputCopy returns the copy of its input that w keeps for Options.Fallback:
// nil when it keeps none (kernels without a fallback keep none).
func InputCopy(w Worker) []float64 {
	if s, ok := w.(*svdWorker); ok {
		return s.backup
	}
	return nil
}
