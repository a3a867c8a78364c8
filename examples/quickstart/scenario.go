package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
	"github.com/kontor-dev/kontor/shop/woocommerce/woocommercetest"
	"github.com/kontor-dev/kontor/syncer"
	"github.com/kontor-dev/kontor/syncer/store"
)

// patience bounds every wait for something the engine does in the
// background; the whole run takes a few seconds.
const patience = 20 * time.Second

func run(ctx context.Context, st store.Store, cfg config) error {
	w, err := newWorld(ctx, cfg)
	if err != nil {
		return err
	}
	defer w.close()
	if err := w.connect(cfg); err != nil {
		return err
	}
	if err := w.engine(st); err != nil {
		return err
	}
	if err := w.serve(ctx); err != nil {
		return err
	}
	out := w.out
	fmt.Fprintf(out, "Fakes on loopback: Business Central %s, Shopify %s, WooCommerce %s\n", w.bcFake.URL(), w.shopifyFake.URL(), w.wooFake.URL())
	fmt.Fprintf(out, "Status page: %s/status/\n", w.srv.URL)

	// The first pass publishes the catalog in order: products first, so
	// prices and stock find them in the shop.
	fmt.Fprintf(out, "\n1. Business Central's catalog (%d items) goes to both shops: the first full sync.\n", cfg.products)
	var first []syncer.Report
	for _, flow := range []string{flowProductsShopify, flowPricesShopify, flowStockShopify, flowProductsWoo, flowPricesWoo, flowStockWoo} {
		rep, err := w.s.Sync(ctx, flow)
		if err != nil {
			explain(ctx, w)
			return fmt.Errorf("first sync of %s: %w", flow, err)
		}
		first = append(first, rep)
	}
	printReports(out, first)
	fmt.Fprintf(out, "   Shopify now sells %d products, WooCommerce %d.\n", len(w.shopifyFake.Products()), len(w.wooFake.Products()))

	// Run keeps every flow in sync in the background from now on: a sweep
	// on each flow's schedule, real-time flows also when webhooks arrive.
	runCtx, stopRun := context.WithCancel(ctx)
	progress := watch(runCtx, w.s, out)
	ran := make(chan error, 1)
	go func() { ran <- w.s.Run(runCtx) }()
	stopped := false
	stop := func() error {
		if stopped {
			return nil
		}
		stopped = true
		stopRun()
		err := <-ran
		progress.Wait()
		return err
	}
	defer stop()

	steps := []struct {
		title string
		do    func(context.Context, *world) error
	}{
		{"A stock change in Business Central reaches both shops in real time.", changeStock},
		{"Customers order in both shops; each order lands in Business Central exactly once.", placeOrders},
		{"A bad day: an order with a SKU Business Central does not know.", unknownSKU},
		{"Business Central ships two orders; each tracking number reaches the right shop.", shipOrders},
		{"A refund in a shop becomes a credit memo in Business Central.", refundOrder},
	}
	for i, step := range steps {
		fmt.Fprintf(out, "\n%d. %s\n", i+2, step.title)
		if err := step.do(ctx, w); err != nil {
			explain(ctx, w)
			return fmt.Errorf("step %d: %w", i+2, err)
		}
	}
	if err := stop(); err != nil {
		return err
	}
	// Changes of the last moments (the refund's order update) may not have
	// been swept yet: one more pass settles them before the totals.
	if _, err := w.s.SyncAll(ctx); err != nil {
		return err
	}

	fmt.Fprintln(out, "\nWhat each flow did:")
	printTotals(out, w.s.Status())

	fmt.Fprintf(out, "\n%d. A second pass over every flow writes nothing.\n", len(steps)+2)
	reports, err := w.s.SyncAll(ctx)
	if err != nil {
		return err
	}
	printReports(out, reports)
	writes := 0
	for _, r := range reports {
		writes += r.Writes() + r.Requests + r.DeadLettered
	}
	if writes != 0 {
		return fmt.Errorf("the second pass wrote %d times, want 0", writes)
	}
	fmt.Fprintln(out, "   zero writes: every item was unchanged.")
	fmt.Fprintf(out, "\nBusiness Central answered %d requests (%d operations in %d $batch requests); WooCommerce %d.\n",
		w.bcFake.Requests(), w.bcFake.BatchOperations(), w.bcFake.Batches(), len(w.wooFake.Requests()))

	w.stage("end")
	if cfg.serve != "" {
		return serveStatus(ctx, w, cfg.serve)
	}
	return nil
}

// changeStock posts a stock adjustment in Business Central and waits for
// it to reach the shop through the notification, not a sweep: the stock
// flow's next sweep is an hour away.
func changeStock(ctx context.Context, w *world) error {
	it := catalogItem(0)
	before := w.bcFake.Inventory(it.Number, "", location)
	after := decimal.NewFromInt(2)
	start := time.Now()
	if err := w.bcFake.SetInventory(bctest.Stock{ItemNumber: it.Number, LocationCode: location, Quantity: after}); err != nil {
		return err
	}
	fmt.Fprintf(w.out, "   %s: %s → %s in Business Central\n", it.Number, before, after)
	wooDone, shopifyDone := false, false
	return waitFor(ctx, "the stock change in both shops", func() bool {
		if p, ok := w.wooFake.ProductBySKU(it.Number); !wooDone && ok && p.StockQuantity != nil && *p.StockQuantity == after.IntPart() {
			wooDone = true
			fmt.Fprintf(w.out, "   WooCommerce shows %d after %s\n", *p.StockQuantity, time.Since(start).Round(time.Millisecond))
		}
		if n := w.shopifyFake.Available(it.Number, location); !shopifyDone && int64(n) == after.IntPart() {
			shopifyDone = true
			fmt.Fprintf(w.out, "   Shopify shows %d available at %s after %s\n", n, location, time.Since(start).Round(time.Millisecond))
		}
		return wooDone && shopifyDone
	})
}

// placeOrders has two customers check out in WooCommerce; the shop's
// order.created webhooks carry the orders to the engine. One webhook is
// delivered a second time, as happens; the order still lands once.
func placeOrders(ctx context.Context, w *world) error {
	var numbers []string
	for i, skus := range [][]string{{catalogItem(0).Number, catalogItem(2).Number}, {catalogItem(1).Number + "-S", catalogItem(3).Number}} {
		o := woocommercetest.Order{
			Billing:            customerAddress(i),
			Shipping:           customerAddress(i),
			PaymentMethod:      "paypal",
			PaymentMethodTitle: "PayPal",
			TransactionID:      fmt.Sprintf("PAYID-QS%04d", i),
			ShippingLines:      []woocommercetest.ShippingLine{{MethodID: "flat_rate", MethodTitle: "DHL Paket", Total: "4.90"}},
		}
		for k, sku := range skus {
			o.LineItems = append(o.LineItems, woocommercetest.LineItem{SKU: sku, Quantity: int64(1 + k)})
		}
		placed, err := w.wooFake.PlaceOrder(ctx, o)
		if err != nil {
			return fmt.Errorf("place order: %w", err)
		}
		numbers = append(numbers, placed.Number)
		fmt.Fprintf(w.out, "   WooCommerce order %s: %d lines, %s EUR\n", placed.Number, len(placed.LineItems), placed.Total)
	}
	// The shop sends the first order's webhook again.
	for _, d := range w.wooFake.Deliveries() {
		if d.Topic == "order.created" {
			if _, err := w.wooFake.Replay(ctx, d); err != nil {
				return err
			}
			fmt.Fprintln(w.out, "   (WooCommerce delivers the first order's webhook a second time)")
			break
		}
	}
	for i, lines := range [][]shopifytest.LineInput{
		{{SKU: catalogItem(4).Number, Quantity: 1}, {SKU: catalogItem(5).Number + "-L", Quantity: 2}},
		{{SKU: catalogItem(6).Number, Quantity: 3}},
	} {
		a := customerAddress(i + 1)
		placed, err := w.shopifyFake.PlaceOrder(ctx, shopifytest.OrderInput{
			Email: a.Email, Lines: lines, Gateway: "paypal",
			BillingAddress: &shopifytest.Address{FirstName: a.FirstName, LastName: a.LastName, Address1: a.Address1,
				City: a.City, Zip: a.Postcode, CountryCode: a.Country},
			ShippingLines: []shopifytest.ShippingLineInput{{Title: "DHL Paket", Price: decimal.RequireFromString("4.90")}},
		})
		if err != nil {
			return fmt.Errorf("place Shopify order: %w", err)
		}
		numbers = append(numbers, placed.Name)
		fmt.Fprintf(w.out, "   Shopify order %s: %d lines, %s EUR\n", placed.Name, len(placed.Lines), placed.Total.StringFixed(2))
	}
	if err := w.shopifyFake.WaitForWebhooks(ctx); err != nil {
		return err
	}
	for _, d := range w.shopifyFake.Deliveries() {
		if d.Topic == "orders/create" {
			if _, err := w.shopifyFake.Redeliver(ctx, d.ID); err != nil {
				return err
			}
			fmt.Fprintln(w.out, "   (Shopify delivers its first order's webhook a second time)")
			break
		}
	}
	return waitForOrders(ctx, w, numbers)
}

// waitForOrders waits until each shop order is in Business Central, and
// checks it is there once.
func waitForOrders(ctx context.Context, w *world, numbers []string) error {
	err := waitFor(ctx, "the orders in Business Central", func() bool {
		for _, n := range numbers {
			if len(w.bcFake.SalesOrdersByExternalDocumentNumber(n)) == 0 {
				return false
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	for _, n := range numbers {
		got := w.bcFake.SalesOrdersByExternalDocumentNumber(n)
		if len(got) != 1 {
			return fmt.Errorf("shop order %s is in Business Central %d times, want once", n, len(got))
		}
		fmt.Fprintf(w.out, "   Business Central sales order %s for shop order %s: %s EUR incl. VAT, once\n",
			got[0].Number, n, got[0].TotalAmountIncludingTax)
	}
	return nil
}

// unknownSKU has a customer buy an old product the shop still lists under
// a SKU Business Central never had. The order cannot be booked: it goes to
// the dead letters with the reason. Adding the missing SKU mapping lets
// the engine replay it by itself at the flow's next sweep.
func unknownSKU(ctx context.Context, w *world) error {
	legacy, real := "OLD-MUG-RED", catalogItem(3).Number
	if _, err := w.wooFake.SeedProduct(woocommercetest.Product{Name: "Enamel mug, red (old listing)", SKU: legacy, RegularPrice: "14.90"}); err != nil {
		return err
	}
	placed, err := w.wooFake.PlaceOrder(ctx, woocommercetest.Order{
		Billing: customerAddress(2), Shipping: customerAddress(2), PaymentMethod: "paypal", PaymentMethodTitle: "PayPal",
		TransactionID: "PAYID-QS0099",
		LineItems:     []woocommercetest.LineItem{{SKU: legacy, Quantity: 1}},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(w.out, "   WooCommerce order %s: 1 × %s\n", placed.Number, legacy)
	var dl store.DeadLetter
	if err := waitFor(ctx, "the dead letter", func() bool {
		dls, err := w.s.DeadLetters(ctx, store.DeadLetterFilter{Key: placed.Number})
		if err != nil || len(dls) == 0 {
			return false
		}
		dl = dls[0]
		return true
	}); err != nil {
		return err
	}
	fmt.Fprintf(w.out, "   dead letter #%d (%s): %s\n", dl.ID, dl.Class, dl.Error)
	if n := len(w.bcFake.SalesOrdersByExternalDocumentNumber(placed.Number)); n != 0 {
		return fmt.Errorf("the order reached Business Central %d times though its SKU is unknown", n)
	}

	w.stage("dead-letter")
	w.aliases.add(legacy, real)
	fmt.Fprintf(w.out, "   mapping added: shop SKU %s is Business Central item %s (mapping %s)\n", legacy, real, w.aliases.Version())
	if err := waitForOrders(ctx, w, []string{placed.Number}); err != nil {
		return err
	}
	// The write and the dead letter's removal are two steps: wait for both.
	if err := waitFor(ctx, "the dead letter to go", func() bool {
		left, err := w.s.DeadLetters(ctx, store.DeadLetterFilter{Key: placed.Number})
		return err == nil && len(left) == 0
	}); err != nil {
		return fmt.Errorf("order %s is still in the dead letters after its replay: %w", placed.Number, err)
	}
	fmt.Fprintln(w.out, "   replayed by itself; the dead letters are empty again")
	return nil
}

// shipOrders posts a shipment with a tracking number for the first order
// of each shop; the tracking page's notifications start the shipment
// flows, and each shipment goes only to the shop its order came from.
func shipOrders(ctx context.Context, w *world) error {
	wooOrders, shopifyOrders := w.wooFake.Orders(), w.shopifyFake.Orders()
	if len(wooOrders) == 0 || len(shopifyOrders) == 0 {
		return errors.New("no orders to ship")
	}
	wo, so := wooOrders[0], shopifyOrders[0]
	const wooTracking, shopifyTracking = "00340434161094042557", "00340434161094042564"
	for _, p := range []bctest.ShipmentPosting{
		{ExternalDocumentNumber: wo.Number, PackageTrackingNumber: wooTracking, ShippingAgentCode: "DHL"},
		{ExternalDocumentNumber: so.Name, PackageTrackingNumber: shopifyTracking, ShippingAgentCode: "DHL"},
	} {
		if _, err := w.bcFake.PostShipment(p); err != nil {
			return err
		}
		fmt.Fprintf(w.out, "   Business Central posts a shipment for shop order %s: DHL %s\n", p.ExternalDocumentNumber, p.PackageTrackingNumber)
	}
	wooDone, shopifyDone := false, false
	return waitFor(ctx, "the tracking numbers in the shops", func() bool {
		for _, t := range w.wooFake.TrackingItems(wo.ID) {
			if !wooDone && t.TrackingNumber == wooTracking {
				wooDone = true
				got, _ := w.wooFake.Order(wo.ID)
				fmt.Fprintf(w.out, "   WooCommerce order %s: %s %s, status %s\n", wo.Number, cmp.Or(t.TrackingProvider, t.CustomTrackingProvider), t.TrackingNumber, got.Status)
			}
		}
		for _, f := range w.shopifyFake.Fulfillments(so.ID) {
			for _, t := range f.Tracking {
				if !shopifyDone && t.Number == shopifyTracking {
					shopifyDone = true
					got, _ := w.shopifyFake.Order(so.ID)
					fmt.Fprintf(w.out, "   Shopify order %s: fulfilled with %s %s, status %s\n", so.Name, t.Company, t.Number, got.FulfillmentStatus)
				}
			}
		}
		return wooDone && shopifyDone
	})
}

// refundOrder refunds the second WooCommerce order in full; the returns
// flow books it as a credit memo.
func refundOrder(ctx context.Context, w *world) error {
	orders := w.wooFake.Orders()
	if len(orders) < 2 {
		return errors.New("no second WooCommerce order to refund")
	}
	o := orders[1]
	var lines []woocommercetest.RefundLine
	for _, l := range o.LineItems {
		lines = append(lines, woocommercetest.RefundLine{ItemID: l.ID, Quantity: l.Quantity, Total: l.Total})
	}
	if _, err := w.wooFake.RefundOrder(ctx, o.ID, woocommercetest.RefundSpec{Reason: "arrived damaged", Lines: lines, APIRestock: true}); err != nil {
		return err
	}
	fmt.Fprintf(w.out, "   WooCommerce refunds order %s\n", o.Number)
	return waitFor(ctx, "the credit memo", func() bool {
		for _, cm := range w.bcFake.CreditMemos() {
			if cm.ExternalDocumentNumber != "" {
				fmt.Fprintf(w.out, "   Business Central credit memo %s: %s EUR incl. VAT\n", cm.Number, cm.TotalAmountIncludingTax)
				return true
			}
		}
		return false
	})
}

func customerAddress(i int) woocommercetest.Address {
	names := [][2]string{{"Lena", "Vogel"}, {"Jonas", "Brandt"}, {"Mara", "Keller"}}
	n := names[i%len(names)]
	return woocommercetest.Address{FirstName: n[0], LastName: n[1], Address1: fmt.Sprintf("Lindenstraße %d", 10+i),
		City: "Hamburg", Postcode: "20095", Country: "DE", Email: strings.ToLower(n[0]) + "@example.com"}
}

// waitFor polls cond until it holds, failing after patience.
func waitFor(ctx context.Context, what string, cond func() bool) error {
	deadline := time.Now().Add(patience)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("waited %s for %s", patience, what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// watch prints a progress line whenever a flow finishes a run that did
// something, until ctx ends.
func watch(ctx context.Context, s *syncer.Syncer, out io.Writer) *sync.WaitGroup {
	var wg sync.WaitGroup
	start := time.Now()
	seen := map[string]syncer.Report{}
	for _, f := range s.Status() { // what ran before is reported already
		seen[f.Name] = f.Totals
	}
	wg.Go(func() {
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		var last uint64
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if v := s.StatusVersion(); v == last {
				continue
			} else {
				last = v
			}
			for _, f := range s.Status() {
				prev, t := seen[f.Name], f.Totals
				if t.Writes() == prev.Writes() && t.DeadLettered == prev.DeadLettered && t.Replayed == prev.Replayed {
					continue // a sweep that found nothing to do
				}
				seen[f.Name] = t
				fmt.Fprintf(out, "   [%5.2fs] %-24s read %d, created %d, updated %d, unchanged %d, dead-lettered %d, replayed %d\n",
					time.Since(start).Seconds(), f.Name, t.Read-prev.Read, t.Created-prev.Created, t.Updated-prev.Updated,
					t.Unchanged-prev.Unchanged, t.DeadLettered-prev.DeadLettered, t.Replayed-prev.Replayed)
			}
		}
	})
	return &wg
}

func printTotals(out io.Writer, flows []syncer.FlowStatus) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "   flow\truns\tcreated\tupdated\tunchanged\tdead-lettered\treplayed\tmissed events\trequests\t")
	for _, f := range flows {
		t := f.Totals
		fmt.Fprintf(tw, "   %s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", f.Name, f.Runs, t.Created, t.Updated, t.Unchanged, t.DeadLettered, t.Replayed, t.Missed, t.Requests)
	}
	tw.Flush()
}

func printReports(out io.Writer, reports []syncer.Report) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "   flow\tread\tcreated\tupdated\tunchanged\tdead-lettered\trequests\t")
	for _, r := range reports {
		fmt.Fprintf(tw, "   %s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", r.Flow, r.Read, r.Created, r.Updated, r.Unchanged, r.DeadLettered, r.Requests)
	}
	tw.Flush()
}

// skuAliases maps shop SKUs Business Central does not know to its items.
// It is a mapping whose version changes with every alias added, so the
// engine replays the orders an older version dead-lettered.
type skuAliases struct {
	mu      sync.Mutex
	aliases map[string]string
	version int
}

func newSKUAliases() *skuAliases { return &skuAliases{aliases: map[string]string{}, version: 1} }

func (a *skuAliases) add(shopSKU, erpSKU string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.aliases[shopSKU] = erpSKU
	a.version++
}

// Map replaces aliased SKUs on the order's lines, on a copy of the lines.
func (a *skuAliases) Map(_ context.Context, o kontor.Order) (kontor.Order, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	lines := slices.Clone(o.Lines)
	for i := range lines {
		if to, ok := a.aliases[lines[i].SKU]; ok {
			lines[i].SKU = to
		}
	}
	o.Lines = lines
	return o, nil
}

// Version names the alias table's state.
func (a *skuAliases) Version() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return fmt.Sprintf("sku-aliases@%d", a.version)
}

// explain prints what may have gone wrong: flows that failed and the
// first dead letters.
func explain(ctx context.Context, w *world) {
	for _, f := range w.s.Status() {
		if f.LastError != "" {
			fmt.Fprintf(w.out, "   flow %s failed: %s\n", f.Name, f.LastError)
		}
	}
	for _, cm := range w.bcFake.CreditMemos() {
		fmt.Fprintf(w.out, "   credit memo %s for %q\n", cm.Number, cm.ExternalDocumentNumber)
	}
	dls, err := w.s.DeadLetters(ctx, store.DeadLetterFilter{})
	if err != nil {
		return
	}
	for _, dl := range dls {
		fmt.Fprintf(w.out, "   dead letter %s %s (%s): %s\n", dl.Flow, dl.Key, dl.Class, dl.Error)
	}
}
