//go:build tools

// Package versitygw pins Versity's S3 gateway used by the S3 evidence and
// fleet tests (hack/s3-server.sh builds it once into a cache folder; its
// posix backend keeps objects as files with xattrs and supports versioning
// and Object Lock). Nothing here is compiled into meshaudit.
package versitygw

import (
	_ "github.com/versity/versitygw/cmd/versitygw"
)
