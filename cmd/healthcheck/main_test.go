package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	healthy := true
	var reloads int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/v1/health" && r.Method == http.MethodGet:
			if !healthy {
				w.WriteHeader(http.StatusInternalServerError)
				w.Write([]byte("error"))
				return
			}
			w.Write([]byte("ok"))
		case r.URL.Path == "/api/v2/reload" && r.Method == http.MethodPost:
			reloads++
			w.Write([]byte(`{"reload":"done","status":0}`))
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	var stderr bytes.Buffer
	if code := run([]string{"-addr", addr}, &stderr); code != 0 {
		t.Errorf("healthy: exit %d %s", code, stderr.String())
	}
	healthy = false
	if code := run([]string{"-addr", addr}, &stderr); code != 1 || !strings.Contains(stderr.String(), "500") {
		t.Errorf("unhealthy: exit %d %q", code, stderr.String())
	}
	if code := run([]string{"-addr", addr, "-reload"}, &stderr); code != 0 || reloads != 1 {
		t.Errorf("reload: exit %d, %d reloads", code, reloads)
	}
	srv.Close()
	if code := run([]string{"-addr", addr, "-timeout", "200ms"}, &stderr); code != 1 {
		t.Errorf("down: exit %d", code)
	}
}

// TestBadArgumentsExitOne: a wrong flag or address is a failed check (1),
// never 2, the status Docker reserves.
func TestBadArgumentsExitOne(t *testing.T) {
	for _, args := range [][]string{{"-bogus"}, {"-addr", "bad host:1"}} {
		if got := run(args, io.Discard); got != 1 {
			t.Errorf("%v: exit %d, want 1", args, got)
		}
	}
}
