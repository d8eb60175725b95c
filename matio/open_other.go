//go:build !unix

package matio

import "os"

// openFlags opens a file for reading. Outside Unix there is no O_NONBLOCK;
// the checks before and after the open still refuse what is not a regular
// file.
const openFlags = os.O_RDONLY
