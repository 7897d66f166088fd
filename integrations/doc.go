// Package integrations holds the tests of what teams install around
// meshaudit: the GitHub Action (action.yml at the repository root, the
// example workflow in docs/examples) and the pre-commit hook
// (.pre-commit-hooks.yaml). It has no code of its own.
package integrations
