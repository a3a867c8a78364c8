// Command quickstart runs a full sync between an in-memory ERP and an
// in-memory shop, with no credentials and nothing to set up:
//
//	go run ./examples/quickstart
//
// The engine keeps its state in an SQLite file in a temporary directory;
// -db names a file to keep, -postgres a PostgreSQL database instead.
//
// The ERP holds a catalog of a few hundred products with prices and stock.
// The first pass publishes it to the shop. Three customers then order in
// the shop; the orders reach the ERP in real time, through the shop's
// webhooks. The ERP ships one order, and its tracking number reaches the
// shop. A last pass finds nothing to do: an unchanged item costs no write.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/erp/memerp"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/shop/memshop"
	"github.com/kontor-dev/kontor/syncer"
	"github.com/kontor-dev/kontor/syncer/store"
	"github.com/kontor-dev/kontor/syncer/store/postgres"
	"github.com/kontor-dev/kontor/syncer/store/sqlite"
)

func main() {
	products := flag.Int("products", 300, "products in the ERP's catalog")
	dbPath := flag.String("db", "", "SQLite file for the engine's state (default: a temporary directory)")
	dsn := flag.String("postgres", "", "PostgreSQL DSN for the engine's state, instead of SQLite")
	flag.Parse()
	ctx := context.Background()
	st, closeStore, err := openStore(ctx, *dbPath, *dsn)
	if err == nil {
		err = run(ctx, st, *products)
		if cerr := closeStore(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// openStore opens the engine's durable state: PostgreSQL when a DSN is
// given, else an SQLite file, in a temporary directory unless named.
func openStore(ctx context.Context, path, dsn string) (store.Store, func() error, error) {
	// The shop and the ERP live in memory, so the state must start empty
	// too: state from an earlier run would describe systems that are gone.
	if dsn != "" {
		schema := fmt.Sprintf("kontor_quickstart_%d", time.Now().UnixNano())
		st, err := postgres.Open(ctx, dsn, postgres.Schema(schema))
		if err != nil {
			return nil, nil, err
		}
		fmt.Println("State: PostgreSQL, schema", schema)
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
		return nil, nil, fmt.Errorf("%s exists; the quickstart's shop and ERP live in memory, so its state must start empty: name a new file", path)
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		_ = cleanup()
		return nil, nil, err
	}
	fmt.Println("State: SQLite,", path)
	return st, func() error { return errors.Join(st.Close(), cleanup()) }, nil
}

func run(ctx context.Context, st store.Store, n int) error {
	erp, shop := memerp.New(), memshop.New()
	for i := range n {
		if _, err := erp.PutProduct(kontortest.SampleProduct(i)); err != nil {
			return err
		}
		if _, err := erp.PutPrice(kontortest.SamplePrice(i)); err != nil {
			return err
		}
		if _, err := erp.PutStock(kontortest.SampleStock(i)); err != nil {
			return err
		}
	}

	s := syncer.New(st)
	err := s.Add(
		syncer.Products(erp, shop),
		syncer.Prices(erp, shop),
		syncer.Stock(erp, shop),
		syncer.Orders(shop, erp),
		syncer.Shipments(erp, shop),
		syncer.StatusToShop(erp, shop),
	)
	if err != nil {
		return err
	}
	// The shop's webhooks feed the engine: an order placed is an event for
	// the orders flow. Events are hints; sweeps stay the truth.
	shop.OnEvent(func(ctx context.Context, ev memshop.Event) {
		if ev.Entity == kontor.EntityOrder {
			if err := s.Notify(ctx, "orders", syncer.Event{ID: ev.ID, Topic: ev.Topic, Key: ev.Key, Payload: ev.Payload}); err != nil {
				fmt.Fprintln(os.Stderr, "notify:", err)
			}
		}
	})

	fmt.Printf("1. The ERP's catalog of %d products goes to the shop.\n", n)
	reports, err := s.SyncAll(ctx)
	if err != nil {
		return err
	}
	print(reports...)

	fmt.Println("\n2. Three customers order in the shop; the orders reach the ERP in real time.")
	var numbers []string
	for i := range 3 {
		o := kontortest.SampleOrder(i)
		o.Number, o.ShopKey = "", "" // the shop numbers its orders
		numbers = append(numbers, shop.PlaceOrder(o).Number)
	}
	rep, err := s.ProcessEvents(ctx, "orders")
	if err != nil {
		return err
	}
	print(rep)
	for _, num := range numbers {
		if o, ok := erp.Order(num); ok {
			fmt.Printf("   ERP sales order %s for shop order %s, %s\n", o.ERPKey, num, o.TotalGross)
		}
	}

	fmt.Printf("\n3. The ERP ships order %s; its tracking number reaches the shop.\n", numbers[0])
	if _, err := erp.Ship(numbers[0], kontor.Tracking{Number: "00340434161094042557",
		URL: "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode=00340434161094042557"}, "DHL"); err != nil {
		return err
	}
	for _, flow := range []string{"shipments", "status-to-shop"} {
		rep, err := s.Sync(ctx, flow)
		if err != nil {
			return err
		}
		print(rep)
	}
	for _, sh := range shop.Shipments(numbers[0]) {
		for _, t := range sh.Tracking {
			fmt.Printf("   shop order %s: shipped with %s, tracking %s\n", numbers[0], sh.Carrier, t.Number)
		}
	}
	if o, ok := shop.Order(numbers[0]); ok {
		fmt.Printf("   shop order %s status: %s\n", numbers[0], o.Status)
	}

	fmt.Println("\n4. A second pass finds nothing to write.")
	reports, err = s.SyncAll(ctx)
	if err != nil {
		return err
	}
	print(reports...)
	writes := 0
	for _, r := range reports {
		writes += r.Writes() + r.Requests
	}
	if writes != 0 {
		return fmt.Errorf("the second pass wrote %d times, want 0", writes)
	}
	fmt.Println("   zero writes: every item was unchanged.")
	return nil
}

func print(reports ...syncer.Report) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "   flow\tread\tcreated\tupdated\tunchanged\tdead-lettered\trequests\t")
	for _, r := range reports {
		fmt.Fprintf(w, "   %s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", r.Flow, r.Read, r.Created, r.Updated, r.Unchanged, r.DeadLettered, r.Requests)
	}
	w.Flush()
}
