package plan

import "sort"

// Deal deals items to count shards by estimated cost: every item, largest
// first (ties in input order), goes to the shard with the least cost so far
// (ties to the lowest index). It returns each item's shard, in input
// order. The deal depends only on the costs and count, so every shard of a
// run computes the same deal, and together they cover each item exactly
// once.
func Deal(costs []float64, count int) []int {
	order := make([]int, len(costs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return costs[order[a]] > costs[order[b]] })
	load := make([]float64, max(count, 1))
	out := make([]int, len(costs))
	for _, i := range order {
		k := 0
		for j := range load {
			if load[j] < load[k] {
				k = j
			}
		}
		load[k] += costs[i]
		out[i] = k
	}
	return out
}
