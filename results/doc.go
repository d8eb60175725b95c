// Package results is blasbatch's output: the [Record] type (one JSON Lines
// line per item), its fast [Encoder] and its one decoder ([Decode],
// [Decoder]), the results file a run writes as items finish ([Journal]:
// locked, validated before a byte changes, resumable, synced), the names of
// a sharded run's files ([ShardPath], [FindShards]) and their merge.
//
// A results file holds only records, one per line, each written whole; the
// last line may be torn by a kill, and is then not a record. Any JSON Lines
// reader (pandas.read_json(lines=True), jq) reads it.
package results
