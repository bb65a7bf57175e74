// Command healthcheck asks a local Fluent Bit whether it is healthy, for
// container HEALTHCHECKs in images without a shell or curl (the official
// Fluent Bit images are distroless). It needs Fluent Bit's HTTP server and
// health check on (http_server on, health_check on).
//
//	healthcheck [-addr 127.0.0.1:2020] [-timeout 3s]
//	healthcheck -reload    # POST /api/v2/reload: hot reload (new rules)
//
// Exit status 0 when Fluent Bit answers 200, 1 otherwise.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:2020", "Fluent Bit's HTTP server")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after")
	reload := fs.Bool("reload", false, "request a hot reload instead of checking health")
	// 1 for every failure: Docker reserves a health check's exit
	// status 2.
	if err := fs.Parse(args); err != nil {
		return 1
	}
	client := &http.Client{Timeout: *timeout}
	method, path := http.MethodGet, "/api/v1/health"
	if *reload {
		method, path = http.MethodPost, "/api/v2/reload"
	}
	req, err := http.NewRequest(method, "http://"+*addr+path, nil)
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 1
	}
	resp, err := client.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "healthcheck: %s %s: %s %s\n", method, path, resp.Status, body)
		return 1
	}
	return 0
}
