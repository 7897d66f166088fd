package collectors

import (
	"context"
	"testing"
	"time"
)

// TestTimeLimit: a list cut short by the collection's --timeout names it,
// not the longer --kind-timeout.
func TestTimeLimit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if got := timeLimit(ctx, 2*time.Minute); got != "15s (the collection's --timeout)" {
		t.Errorf("15s --timeout: %q", got)
	}
	if got := timeLimit(ctx, 3*time.Second); got != "3s" {
		t.Errorf("3s --kind-timeout: %q", got)
	}
	if got := timeLimit(context.Background(), 2*time.Minute); got != "2m0s" {
		t.Errorf("no --timeout: %q", got)
	}
	_, reason := classify(context.DeadlineExceeded, KindSpec{Resource: "pods"}, timeLimit(ctx, 2*time.Minute), "")
	if reason != "list pods: timed out after 15s (the collection's --timeout)" {
		t.Errorf("reason %q", reason)
	}
}
