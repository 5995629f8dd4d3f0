// Command ptd-proactive watches a services business's data — client health
// scores, the deal pipeline, integration sync errors and inbound leads — and
// raises deduplicated alerts before it is too late. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/ptd-agents/ptd-proactive/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, a second one kills the process at once
		// instead of waiting for a graceful shutdown.
		<-ctx.Done()
		stop()
	}()
	code := cli.Main(ctx, cli.IO{Args: os.Args[1:], Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
		SetMemoryLimit: debug.SetMemoryLimit})
	stop()
	os.Exit(code)
}
