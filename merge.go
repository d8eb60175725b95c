package blasbatch

import (
	"context"
	"io"

	"github.com/blasbatch/blasbatch/internal/inputs"
	"github.com/blasbatch/blasbatch/internal/safefile"
	"github.com/blasbatch/blasbatch/kernels"
	"github.com/blasbatch/blasbatch/matio"
	"github.com/blasbatch/blasbatch/results"
)

// MergeJob describes the merge of a sharded run's results.
type MergeJob struct {
	// ResultsFile is the results file the shards were run with: its shard
	// files are found beside it (results.FindShards) and the merged
	// records written to it.
	ResultsFile string
	// Kernel is the run's kernel; the zero Spec takes the records' own.
	Kernel kernels.Spec
	// Inputs, when given, are the run's inputs (as Job.Inputs; Pairs for
	// a pair kernel): every item of them must have a record, and records
	// of other items are reported.
	Inputs []string
	Pairs  [][2]string
	Read   matio.Options
	// Recursive is Job.Recursive of an exec run (whose records' kernel is
	// "exec", and whose inputs are any files).
	Recursive bool
}

// Merge joins the shard files of a sharded run into job.ResultsFile (see
// results.Merge) and reports what is missing. The results file may not be
// one of the inputs (an error wrapping ErrJob; nothing written).
func Merge(ctx context.Context, job MergeJob) (results.MergeReport, error) {
	opt := results.MergeOptions{Kernel: job.Kernel.Name}
	if len(job.Inputs) > 0 || len(job.Pairs) > 0 {
		spec := job.Kernel
		if spec.Name == "" {
			// The kernel is the records' own. With none (every shard
			// empty, or none found) which inputs are items is unknown:
			// an exec run's are every file, a kernel's its matrices.
			shards, err := results.FindShards(job.ResultsFile)
			if err != nil {
				return results.MergeReport{}, jobErr(err)
			}
			for _, sh := range shards {
				if s, ok, err := kernelOfShard(sh.Path); err != nil {
					return results.MergeReport{}, err
				} else if ok {
					spec = s
					break
				}
			}
			if spec.Name == "" {
				return results.MergeReport{}, jobErrf("no shard of %s holds a record, so which inputs are items is unknown: give the run's kernel (-kernel NAME, or exec for an exec run)", inputs.Quote(job.ResultsFile))
			}
		}
		iopt := inputs.Options{Read: job.Read, AnyFile: spec.Name == "exec", Recursive: job.Recursive}
		paths, ids, _ := inputs.Expand(job.Inputs, iopt)
		if id, err := safefile.Identity(job.ResultsFile); err == nil {
			for _, in := range ids {
				if in == id {
					return results.MergeReport{}, jobErrf("the results file %s is one of the inputs: give the run's -jsonl FILE", inputs.Quote(job.ResultsFile))
				}
			}
		}
		set, err := inputs.Scan(ctx, paths, ids, spec.Pairwise, iopt)
		if err != nil {
			return results.MergeReport{}, err
		}
		set.Append(inputs.ScanPairs(job.Pairs, iopt))
		opt.Expected = []string{}
		for _, f := range set.Files {
			for _, run := range f.Runs {
				for i := range run.Count {
					opt.Expected = append(opt.Expected, run.ID(i))
				}
			}
		}
		opt.Kernel = spec.Name
	}
	return results.Merge(job.ResultsFile, opt)
}

// kernelOfShard is the kernel named by a shard file's first record; ok is
// false when the file holds none.
func kernelOfShard(path string) (kernels.Spec, bool, error) {
	f, err := openRead(path)
	if err != nil {
		return kernels.Spec{}, false, err
	}
	defer f.Close()
	_, rec, err := results.NewDecoder(f).Next()
	if err == io.EOF {
		return kernels.Spec{}, false, nil
	}
	if err != nil {
		return kernels.Spec{}, false, jobErrf("%s: %v", inputs.Quote(path), err)
	}
	if rec.Kernel == "exec" {
		return kernels.Spec{Name: "exec"}, true, nil
	}
	spec, err := kernels.Lookup(rec.Kernel)
	if err != nil {
		return kernels.Spec{}, false, jobErrf("%s: %v (give -kernel)", inputs.Quote(path), err)
	}
	return spec, true, nil
}
