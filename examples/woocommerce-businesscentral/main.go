// Command woocommerce-businesscentral is a reference integration between
// a WooCommerce shop and Microsoft Dynamics 365 Business Central, built on
// Kontor's connectors and engine. It is configured from environment
// variables and a mapping file; README.md lists them and walks through the
// code.
//
// By default it is a dry run: it prints, flow by flow, what it would
// create, update and archive and how many write requests that takes, and
// exits.
//
//	go run ./examples/woocommerce-businesscentral
//
// With -apply it syncs until interrupted: items, prices and stock from
// Business Central to the shop; customers, orders and refunds (as credit
// memos) from the shop to Business Central; shipments with their tracking
// and order statuses back to the shop. On one port it serves the shop's
// and Business Central's webhook endpoints, a status page and Prometheus
// metrics.
//
//	go run ./examples/woocommerce-businesscentral -apply
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	apply := flag.Bool("apply", false, "write: sync until interrupted, serving webhooks, the status page and metrics (default: a dry run that prints the plan)")
	verbose := flag.Bool("v", false, "log every request to either system (redacted) on stderr")
	flag.Parse()

	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "woocommerce-businesscentral: the configuration is incomplete:\n%v\n\nREADME.md lists the variables.\n", err)
		os.Exit(2)
	}
	cfg.LogRequests = *verbose
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, *apply, os.Stdout, log); err != nil {
		fmt.Fprintln(os.Stderr, "woocommerce-businesscentral:", err)
		os.Exit(1)
	}
}

// run is the whole app: set up, then plan (the dry run) or serve.
func run(ctx context.Context, cfg Config, apply bool, out io.Writer, log *slog.Logger) error {
	a, err := setup(ctx, cfg, apply, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if !apply {
		return a.plan(ctx, out)
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	return a.serve(ctx, ln, out)
}
