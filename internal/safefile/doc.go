// Package safefile writes the files blasbatch produces (journals, merged
// outputs, wisdom) so that a reader never sees half a file, a failed or
// killed write leaves the old content, and a target that is not a regular
// file — /dev/null, a FIFO — is written to rather than replaced by one.
//
// [WriteFile] is the one way to write a whole file. [TryLock] and [Unlock]
// take and drop an exclusive flock(2) lock; [Identity] and [IdentityOf] tell
// whether two names are one file; [CleanTemps] removes what a killed
// [WriteFile] left behind.
//
// The package keeps no state. It is implemented on Linux, macOS and the
// BSDs; on other systems WriteFile still replaces regular files atomically
// but refuses other targets, and TryLock, Unlock and Identity return errors
// wrapping [errors.ErrUnsupported].
package safefile
