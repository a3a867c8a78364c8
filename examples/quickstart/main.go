// Command quickstart runs Kontor end to end on fakes of the real systems,
// with no credentials and nothing to set up:
//
//	go run ./examples/quickstart
//
// It starts three public fakes in this process, each speaking its system's
// real protocol on a loopback port: Business Central (bctest: OData v4,
// OAuth 2.0 client credentials, $batch, change notifications), Shopify
// (shopifytest: the Admin GraphQL API with its cost-based throttling and
// signed webhooks) and WooCommerce (woocommercetest: REST v3 with OAuth
// 1.0a signatures and signed webhooks). The engine keeps its state in an
// SQLite file in a temporary directory; -db names a file, -postgres a
// PostgreSQL database instead.
//
// What it shows, in order:
//
//  1. Business Central's catalog (products, variants, prices, stock) is
//     published to both shops.
//  2. A stock change in Business Central is announced by its webhook and
//     reaches both shops in real time.
//  3. Orders placed in each shop arrive through signed webhooks and land in
//     Business Central exactly once, even when a webhook is delivered twice.
//  4. A bad day: an order with a SKU Business Central does not know goes to
//     the dead letters with a readable reason; the quickstart adds the
//     missing mapping and the order replays by itself.
//  5. A shipment posted in Business Central sends its tracking number back
//     to the shop the order came from.
//  6. A refund in a shop becomes a credit memo in Business Central.
//  7. A second pass writes nothing.
//
// With -serve ADDR the status page (flows, dead letters, audit trail) stays
// up at the end until interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/kontor-dev/kontor/syncer/store"
	"github.com/kontor-dev/kontor/syncer/store/postgres"
	"github.com/kontor-dev/kontor/syncer/store/sqlite"
)

func main() {
	var cfg config
	flag.IntVar(&cfg.products, "products", 40, "items in Business Central's catalog")
	flag.StringVar(&cfg.db, "db", "", "SQLite file for the engine's state (default: a temporary directory)")
	flag.StringVar(&cfg.dsn, "postgres", "", "PostgreSQL DSN for the engine's state, instead of SQLite")
	flag.StringVar(&cfg.serve, "serve", "", "after the run, keep serving the status page on this address (e.g. 127.0.0.1:8080) until interrupted")
	flag.BoolVar(&cfg.verbose, "v", false, "log every request the connectors make (redacted)")
	flag.Parse()
	cfg.out = os.Stdout

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	st, closeStore, err := openStore(ctx, cfg.out, cfg.db, cfg.dsn)
	if err == nil {
		err = run(ctx, st, cfg)
		if cerr := closeStore(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "\nquickstart failed:", err)
		os.Exit(1)
	}
	fmt.Fprintf(cfg.out, "\nDone in %s.\n", time.Since(start).Round(10*time.Millisecond))
}

// config is what the flags set.
type config struct {
	products int
	db, dsn  string
	serve    string
	verbose  bool
	out      io.Writer
	// pause, when set, is called at named stages of the run with the
	// status page's URL, and the run waits for it to return: tests look
	// at the page of a running quickstart. Stages: "dead-letter" (an
	// order waits in the dead letters), "end" (before the fakes stop).
	pause func(stage, statusURL string)
}

// openStore opens the engine's durable state: PostgreSQL when a DSN is
// given, else an SQLite file, in a temporary directory unless named.
func openStore(ctx context.Context, out io.Writer, path, dsn string) (store.Store, func() error, error) {
	// The fakes live in memory, so the state must start empty too: state
	// from an earlier run would describe systems that are gone.
	if dsn != "" {
		schema := fmt.Sprintf("kontor_quickstart_%d", time.Now().UnixNano())
		st, err := postgres.Open(ctx, dsn, postgres.Schema(schema))
		if err != nil {
			return nil, nil, err
		}
		fmt.Fprintln(out, "State: PostgreSQL, schema", schema)
		return st, func() error {
			_, err := st.Pool().Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			st.Close()
			return err
		}, nil
	}
	cleanup := func() error { return nil }
	if path == "" {
		dir, err := os.MkdirTemp("", "kontor-quickstart-")
		if err != nil {
			return nil, nil, err
		}
		path = filepath.Join(dir, "kontor.db")
		cleanup = func() error { return os.RemoveAll(dir) }
	}
	if _, err := os.Stat(path); err == nil {
		return nil, nil, fmt.Errorf("%s exists; the quickstart's systems live in memory, so its state must start empty: name a new file", path)
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		_ = cleanup()
		return nil, nil, err
	}
	fmt.Fprintln(out, "State: SQLite,", path)
	return st, func() error { return errors.Join(st.Close(), cleanup()) }, nil
}
