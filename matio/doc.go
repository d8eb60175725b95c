// Package matio reads batches of matrices from NumPy .npy and .npz files,
// Matrix Market (.mtx), CSV and TSV files and raw float64 (.f64) files, and
// writes .npy files.
//
// # Reading
//
// Open a file with [Open], then call [Reader.Next] to step through its items
// (matrices) and [Reader.Read] to decode the current one into a caller-owned
// []float64 in row-major order:
//
//	r, err := matio.Open("data/x.npz")
//	if err != nil {
//		return err // the file as a whole is unusable
//	}
//	defer r.Close()
//	for {
//		it, err := r.Next()
//		if err == io.EOF {
//			break
//		}
//		if err != nil {
//			log.Print(err) // a bad item; the reader goes on where it can
//			continue
//		}
//		a := make([]float64, it.Rows*it.Cols)
//		if err := r.Read(a); err != nil {
//			log.Print(err)
//		}
//	}
//
// A 2-D array is one item, a 3-D array of shape (k, m, n) is k items of
// m×n, and every 2-D or 3-D array stored as NAME.npy in a .npz archive
// contributes its items in the archive's order. Supported are .npy format
// versions 1.0, 2.0 and 3.0, C and Fortran order, and the dtypes float64,
// float32, int8–int64, uint8–uint64 and bool in either byte order; values are
// converted to float64 (exactly, except int64/uint64 beyond 2^53, which round
// to nearest). Object arrays are refused and pickles are never loaded.
// NaN and Inf are passed through unchanged.
//
// # Other formats
//
// [Open] takes a file starting with the .npy magic string or a zip signature
// as .npy or .npz whatever its name; otherwise the name's extension, in any
// case, selects the format (and a .f64 file is raw whatever its first
// bytes). Each format below is one item, identified by the path, except a
// raw stack. Only regular files (and symbolic links to them) are read: a
// directory, named pipe, socket or device is refused at once, without
// blocking, with [ErrNotRegular]. Problems with the file are returned by the first Next, and
// problems in the data by Read, with the line number for the text formats.
//
//   - .mtx, Matrix Market: "%%MatrixMarket matrix FORMAT FIELD SYMMETRY"
//     (after an optional UTF-8 byte-order mark) with
//     FORMAT array or coordinate, FIELD real (double), integer or pattern
//     (entries 1), SYMMETRY general or symmetric (the lower triangle is
//     given and mirrored). Complex files fail with ErrDtype, skew-symmetric
//     and Hermitian ones and vectors with ErrUnsupported. Coordinate entries
//     not listed are 0 and repeated ones are summed. The matrix is read
//     dense, row-major: the size line may claim at most max(64 MiB, 1000 ×
//     the file's size) bytes dense (else ErrTooLarge, before anything is
//     allocated), and no more values or entries than the rest of the file
//     can hold.
//   - .csv (comma) and .tsv (tab): one row a line; a UTF-8 byte-order mark
//     at the start (Excel's "CSV UTF-8") is skipped; blank lines and '#'
//     comment lines (np.savetxt's header and footer) are skipped; the first
//     other line is a header, and skipped, only if none of its fields is a
//     number ("a,b,c", or pandas' ",a,b"); a first line with any number in
//     it is data, so "1,NA,3" fails with ErrFormat naming line 1, field 2,
//     instead of being dropped. The rows must have equal numbers of fields.
//     Next reads the file once without parsing numbers; Read parses them
//     straight into the destination. A file of N bytes holds at most
//     (N+1)/2 numbers.
//   - .f64, raw little-endian float64 in C order, whose shape is given by
//     [Options].Shape (with [OpenWith]; it wins) or by the sidecar file
//     PATH.shape ("M N", "MxN", or "K M N" for K items PATH[i]; see
//     [ParseShape]; a leading UTF-8 byte-order mark is ignored). The file's size must be exactly the shape's product
//     times 8. It is read like a '<f8' .npy file, straight into the
//     destination.
//
// # Item ids
//
// Every item has an id ([Item.ID], and [Error.ID] for the file or item an
// error is about; [ErrorID] for a record of a failure), built from the path
// as given and, for a .npz member, the member's name without ".npy":
//
//	PATH              a 2-D .npy, or a file of one matrix (.mtx, .csv, .tsv, 2-D .f64)
//	PATH[i]           item i (from 0) of a 3-D .npy or .f64 stack
//	PATH:NAME         a 2-D member NAME.npy of the .npz PATH
//	PATH:NAME[i]      item i of a 3-D member NAME.npy
//	PATH:NAME\#k      the k-th (k ≥ 2) member of the archive called NAME
//	PATH:NAME\#k[i]   item i of it
//
// PATH and NAME are escaped with [EscapeID], so that ids are valid UTF-8,
// one printable line, and different for different paths and names, even
// ones that differ only in bytes that are not valid UTF-8 (which encoding
// as JSON would turn into the same U+FFFD): each byte that is not part of
// valid UTF-8, and each byte of an ASCII control character (0x00–0x1f,
// 0x7f) or a C1 control (U+0080–U+009F), becomes \xHH with two lower-case
// hex digits; a backslash becomes \\; everything else is kept as it is, so
// ordinary names ("data/x.npy", "données/été.npy", spaces, '%', ':') are
// unchanged. [UnescapeID] turns an escaped path or name back into its
// bytes. A zip archive may hold several members of the same name (and
// "a.npy" and "a", which is not NumPy data and fails, both have the name
// a): the first keeps PATH:NAME, the k-th gets the suffix \#k on its
// member part. EscapeID writes a backslash only as \\ or \xHH, so such an
// id never equals one of a member really named "a\#2". The raw path
// stays in [Error].Path.
//
// Since ':' and '[' are kept as they are, two ids can still meet where a
// name itself ends like an item part: a file named "x.npz:a" (or
// "x.npy[0]") has the id of member a of x.npz (or of item 0 of the stack
// x.npy), and a 2-D member "a[0].npy" that of item 0 of a 3-D member
// "a.npy" of the same archive.
//
// # Safety
//
// Every size a header claims is checked before anything is allocated for it:
// the header length is capped at 1 MiB, shape products are checked for
// overflow, and the claimed data must fit in the bytes that remain in the file
// (for a .npy) or in the member (for a .npz member, whose claimed size is also
// capped at 1100 times its compressed size when it is deflated, and at its
// compressed size when it is stored). So the memory a Reader allocates is
// bounded by a small multiple of the file's size, apart from the caller's
// Rows×Cols destination, which [Reader.Next] only reports after the same check.
//
// # Cost
//
// A little-endian float64 array in C order is read straight into the
// destination's memory. Other dtypes are converted in chunks from the reader's
// 256 KiB buffer. A Fortran-ordered 2-D array is transposed while it is read.
// A Fortran-ordered 3-D stack does not store its items contiguously, so the
// first Read of one of its items loads the whole stack, converted to float64
// and rearranged to C order, and keeps it until the reader moves past the
// stack: that costs 8 bytes per element of the whole stack, on top of the
// caller's destination.
//
// # Why not npyio
//
// This package does not use codeberg.org/sbinet/npyio (v0.14.0): its reader
// allocates the header length (up to 4 GiB) and the shape's element count
// unchecked against the file (a 78-byte file claiming shape (100000000, 1)
// makes it allocate 800 MB), rejects format version 3.0, slices the header
// at fixed key positions (another key order, or no final '\n', panics), reads
// float64 data with one io.ReadFull per element, handles Fortran order only
// for 2-D mat.Dense, and unpickles object arrays (via gopickle) into npy.Array.
//
// # Errors
//
// Problems with a file or an item are reported as *[Error], which names the
// file and item (and, for text formats, the line) and wraps one of the
// sentinel errors ([ErrNotNumPy], [ErrTruncated], [ErrObject], [ErrDtype],
// [ErrShape], [ErrTooLarge], [ErrHeader], [ErrFormat], [ErrUnsupported],
// [ErrNotRegular]) or an underlying I/O error; test them with errors.Is.
// Its message is one line of valid UTF-8 that starts with the id.
package matio
