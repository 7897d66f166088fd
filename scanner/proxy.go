package scanner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"
)

// Running beside an Istio proxy (a Job or CronJob pod with a classic
// sidecar) has two traps: the application starts before Envoy is ready and
// its first calls to the API server are refused, and the proxy keeps the pod
// running after the work is done. meshaudit therefore waits for the proxy's
// readiness endpoint before it collects, and asks the proxy to exit
// (POST /quitquitquit) when it finishes.

// Proxy modes of --proxy-wait and --proxy-quit.
const (
	ProxyAuto   = "auto"
	ProxyAlways = "always"
	ProxyNever  = "never"
)

// Istio's defaults: the sidecar's status port (readiness) and pilot-agent's
// admin port (quit).
const (
	DefaultProxyReadyURL = "http://localhost:15021/healthz/ready"
	DefaultProxyQuitURL  = "http://localhost:15020/quitquitquit"
)

// SidecarStatusEnv carries the pod annotation sidecar.istio.io/status, which
// Istio's injector sets on every pod it injects; the Helm chart passes it
// through the downward API. It tells auto mode whether a proxy runs beside
// meshaudit and whether it is a native sidecar (an init container with
// restartPolicy Always, which kubelet stops by itself).
const SidecarStatusEnv = "MESHAUDIT_SIDECAR_STATUS"

// sidecarProxy is what meshaudit knows of the proxy beside it.
type sidecarProxy struct {
	present bool   // a proxy runs (or will run) beside meshaudit
	native  bool   // it is a native sidecar: kubelet stops it, no quit needed
	reason  string // how it was detected
}

// sidecarStatus is the part of sidecar.istio.io/status meshaudit reads.
type sidecarStatus struct {
	Containers     []string `json:"containers"`
	InitContainers []string `json:"initContainers"`
}

// detectProxy decides whether an Istio proxy runs beside meshaudit: from
// the injector's status annotation (SidecarStatusEnv), from ISTIO_META_*
// variables, or — with neither — from the readiness endpoint answering at
// all (any HTTP status; a refused connection means no proxy).
func detectProxy(ctx context.Context, client *http.Client, readyURL string, environ []string) sidecarProxy {
	env := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	if raw := strings.TrimSpace(env[SidecarStatusEnv]); raw != "" {
		var st sidecarStatus
		if err := json.Unmarshal([]byte(raw), &st); err == nil {
			switch {
			case slices.Contains(st.InitContainers, "istio-proxy"):
				return sidecarProxy{present: true, native: true, reason: "native istio-proxy sidecar (" + SidecarStatusEnv + ")"}
			case slices.Contains(st.Containers, "istio-proxy"):
				return sidecarProxy{present: true, reason: "istio-proxy sidecar (" + SidecarStatusEnv + ")"}
			}
			return sidecarProxy{reason: SidecarStatusEnv + " names no istio-proxy"}
		}
		return sidecarProxy{present: true, reason: SidecarStatusEnv + " set"}
	}
	for k := range env {
		if strings.HasPrefix(k, "ISTIO_META_") {
			return sidecarProxy{present: true, reason: k + " set"}
		}
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := probe(pctx, client, readyURL); err == nil {
		return sidecarProxy{present: true, reason: readyURL + " answers"}
	}
	return sidecarProxy{}
}

// probe GETs the readiness endpoint; err is set only when nothing answered.
func probe(ctx context.Context, client *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return resp.StatusCode, nil
}

// waitReady polls the readiness endpoint until it answers 200, ctx ends or
// timeout passes.
func waitReady(ctx context.Context, client *http.Client, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	delay := 100 * time.Millisecond
	var last string
	for {
		actx, acancel := context.WithTimeout(ctx, 2*time.Second)
		code, err := probe(actx, client, url)
		acancel()
		if err == nil && code == http.StatusOK {
			return nil
		}
		if err != nil {
			last = err.Error()
		} else {
			last = fmt.Sprintf("HTTP %d", code)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %s (last: %s)", url, timeout, last)
		case <-time.After(delay):
		}
		delay = min(delay*2, time.Second)
	}
}

// quitProxy POSTs the quit endpoint (pilot-agent then stops Envoy and
// itself, and the pod can complete).
func quitProxy(ctx context.Context, client *http.Client, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: HTTP %d", url, resp.StatusCode)
	}
	return nil
}

func proxyMode(key, mode string) (string, error) {
	m := strings.ToLower(strings.TrimSpace(mode))
	switch m {
	case "", ProxyAuto:
		return ProxyAuto, nil
	case ProxyAlways, ProxyNever:
		return m, nil
	}
	return "", usageErr("--%s %q: want auto, always or never", key, m)
}

// withProxy runs fn between waiting for the Istio proxy beside meshaudit
// (when there is one) and asking it to exit. The quit call is made whatever
// fn returns, interrupted runs included.
func withProxy(ctx context.Context, o ProxyOptions, quiet bool, stderr io.Writer, fn func(context.Context) error) error {
	waitMode, err := proxyMode("proxy-wait", o.Wait)
	if err != nil {
		return err
	}
	quitMode, err := proxyMode("proxy-quit", o.Quit)
	if err != nil {
		return err
	}
	if waitMode == ProxyNever && quitMode == ProxyNever {
		return fn(ctx)
	}
	readyURL, quitURL := o.ReadyURL, o.QuitURL
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	var sp sidecarProxy
	if waitMode == ProxyAuto || quitMode == ProxyAuto {
		sp = detectProxy(ctx, client, readyURL, os.Environ())
	}
	if quitMode == ProxyAlways || (quitMode == ProxyAuto && sp.present && !sp.native) {
		defer func() {
			// The run's context may be cancelled (SIGTERM): the quit call
			// still goes out.
			if err := quitProxy(context.WithoutCancel(ctx), client, quitURL); err != nil {
				fmt.Fprintf(stderr, "meshaudit: warning: asking the Istio proxy to exit: %v\n", err)
			} else if !quiet {
				fmt.Fprintf(stderr, "meshaudit: asked the Istio proxy to exit (POST %s)\n", quitURL)
			}
		}()
	}
	if waitMode == ProxyAlways || (waitMode == ProxyAuto && sp.present) {
		if !quiet && sp.reason != "" {
			fmt.Fprintf(stderr, "meshaudit: Istio proxy detected (%s): waiting for %s\n", sp.reason, readyURL)
		}
		if err := waitReady(ctx, client, readyURL, o.WaitTimeout); err != nil {
			if ctx.Err() != nil {
				return InterruptedError(ctx.Err())
			}
			fmt.Fprintf(stderr, "meshaudit: warning: Istio proxy: %v; going on\n", err)
		}
	}
	return fn(ctx)
}
