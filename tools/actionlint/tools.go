//go:build tools

// Package actionlint pins actionlint, the linter of GitHub Actions
// workflows, used by the integration tests (integrations/) to lint the
// repository's action.yml through a workflow that uses it and the example
// workflow in docs. hack/actionlint-bin.sh builds it once into a cache
// folder; nothing here is compiled into meshaudit.
package actionlint

import (
	_ "github.com/rhysd/actionlint/cmd/actionlint"
)
