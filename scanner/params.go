package scanner

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/meshaudit/meshaudit/policies"
)

// Params merges the organisation parameters over the defaults: the config
// file's params: map, then the environment's object, then each flag
// KEY=VALUE. Unknown keys and wrong types are Usage errors.
func (p ParamLayers) Params() (policies.Params, error) {
	raw := map[string]any{}
	for k, v := range p.Config {
		raw[k] = v
	}
	if p.Env != "" {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(p.Env), &m); err != nil {
			return policies.Params{}, usageErr("MESHAUDIT_PARAMS: want a YAML or JSON object: %v", err)
		}
		for k, v := range m {
			raw[k] = v
		}
	}
	for _, kv := range p.Flags {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return policies.Params{}, usageErr("--param %q: want KEY=VALUE", kv)
		}
		var v any
		if err := yaml.Unmarshal([]byte(val), &v); err != nil {
			return policies.Params{}, usageErr("--param %s: %v", k, err)
		}
		raw[k] = v
	}
	out, err := policies.Defaults().Merge(raw)
	if err != nil {
		return out, usageErr("%v", err)
	}
	return out, nil
}

// SourceDateEpoch is SOURCE_DATE_EPOCH as a time (zero when unset): the
// time a reproducible run records instead of now.
func SourceDateEpoch() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: not a number of seconds", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// now is SOURCE_DATE_EPOCH when set, else the current time.
func now() time.Time {
	if t, err := SourceDateEpoch(); err == nil && !t.IsZero() {
		return t
	}
	return time.Now()
}
