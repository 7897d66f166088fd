package scanner

import (
	"errors"
	"fmt"
)

// Kind classifies the outcome of a run that did not end cleanly; the
// command line maps each kind to its exit code (README's exit-code table).
type Kind int

// Kinds of Error.
const (
	// Usage: bad options, or nothing could be evaluated (exit 2).
	Usage Kind = iota + 1
	// Findings: findings at or above the threshold, or duplicate
	// definitions with FailOnDuplicates (exit 1).
	Findings
	// Incomplete: evaluated, nothing at or above the threshold, but an
	// input was not parsed, a rule is unknown, or the metrics were not
	// delivered (exit 3).
	Incomplete
	// EvidenceFailed: the reports were written, an evidence bundle was not
	// (exit 4).
	EvidenceFailed
	// WriteFailed: the reports could not be written; none was (exit 5).
	WriteFailed
	// Interrupted: the run's context ended (SIGINT, SIGTERM) before the
	// reports were written; none was (exit 130).
	Interrupted
)

func (k Kind) String() string {
	switch k {
	case 0:
		return "ok"
	case Usage:
		return "usage"
	case Findings:
		return "findings"
	case Incomplete:
		return "incomplete"
	case EvidenceFailed:
		return "evidence failed"
	case WriteFailed:
		return "write failed"
	case Interrupted:
		return "interrupted"
	}
	return fmt.Sprintf("kind %d", int(k))
}

// Error is an error of a given Kind.
type Error struct {
	Kind Kind
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// KindOf is the Kind of err's *Error, or 0 (an internal failure) when err
// is not one; nil has kind 0 too.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

func usageErr(format string, args ...any) error {
	return &Error{Kind: Usage, Err: fmt.Errorf(format, args...)}
}

// UsageError is an Error of kind Usage.
func UsageError(format string, args ...any) error { return usageErr(format, args...) }

// InterruptedError is the error of a run stopped by cause (the context's
// error) before any report was written.
func InterruptedError(cause error) error {
	return &Error{Kind: Interrupted, Err: fmt.Errorf("interrupted (%v): no report written", cause)}
}
