// Command custom-connector shows a connector for an ERP that Kontor does
// not ship, at work. It starts minierp, a small REST ERP, on loopback, and
// syncs it with an in-memory shop through the connector in ./minierp:
//
//	go run ./examples/custom-connector
//
// minierp's catalog, prices and stock go to the shop; a customer orders in
// the shop and the order goes to minierp, on a bad day: minierp books it
// but its answer is lost, and the connector's retry under the same
// Idempotency-Key gets the first answer instead of booking twice. minierp
// ships, and the tracking number reaches the shop. A second pass writes
// nothing. -v logs every request to minierp, redacted, on stderr.
//
// README.md walks through the connector line by line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/examples/custom-connector/minierp"
	"github.com/kontor-dev/kontor/examples/custom-connector/minierp/minierptest"
	"github.com/kontor-dev/kontor/shop/memshop"
	"github.com/kontor-dev/kontor/syncer"
	"github.com/kontor-dev/kontor/syncer/store"
	"github.com/kontor-dev/kontor/transport"
)

func main() {
	verbose := flag.Bool("v", false, "log every request to minierp on stderr")
	flag.Parse()
	logger := slog.New(slog.DiscardHandler)
	if *verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if _, err := demo(context.Background(), os.Stdout, logger); err != nil {
		fmt.Fprintln(os.Stderr, "custom-connector:", err)
		os.Exit(1)
	}
}

// summary is what the demo did.
type summary struct {
	Reports      []syncer.Report // the first pass, flow by flow
	SalesOrder   string          // the order's key in minierp
	SalesOrders  int             // sales orders in minierp
	Tracking     string          // the tracking number the shop got
	SecondPass   int             // writes and write calls of the second pass
	Requests     int             // requests minierp answered
	Replays      int             // answers minierp gave again for an Idempotency-Key
	ShopProducts int             // products in the shop
}

// demo runs the demo, writing what happens to out and the requests to
// minierp to logger.
func demo(ctx context.Context, out io.Writer, logger *slog.Logger) (summary, error) {
	var sum summary
	erp := minierptest.New() // in real life: your client's ERP, at its URL
	defer erp.Close()
	seed(erp)

	conn, err := minierp.New(erp.URL(), erp.APIKey(), minierp.WithLogger(logger),
		minierp.WithRetry(transport.RetryInitialInterval(50*time.Millisecond)))
	if err != nil {
		return sum, err
	}
	shop := memshop.New()
	s := syncer.New(store.NewMemory())
	if err := s.Add(
		syncer.Products(conn, shop),
		syncer.Prices(conn, shop),
		syncer.Stock(conn, shop),
		syncer.Customers(shop, conn),
		syncer.Orders(shop, conn),
		syncer.Shipments(conn, shop),
	); err != nil {
		return sum, err
	}
	syncFlows := func(flows ...string) error {
		var reports []syncer.Report
		for _, f := range flows {
			rep, err := s.Sync(ctx, f)
			if err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			reports = append(reports, rep)
		}
		table(out, reports)
		sum.Reports = append(sum.Reports, reports...)
		return nil
	}

	fmt.Fprintln(out, "1. minierp's catalog, prices and stock go to the shop.")
	if err := syncFlows("products", "prices", "stock"); err != nil {
		return sum, err
	}
	sum.ShopProducts = len(shop.Products())

	fmt.Fprintln(out, "\n2. A customer orders in the shop; customer and order go to minierp.")
	fmt.Fprintln(out, "   minierp books the order, but its answer is lost on the way back (502).")
	number := shop.PlaceOrder(order()).Number
	erp.LoseResponses(1) // the next write minierp carries out
	if err := syncFlows("customers", "orders"); err != nil {
		return sum, err
	}
	so, ok := erp.Order(number)
	if !ok {
		return sum, fmt.Errorf("shop order %s did not reach minierp", number)
	}
	sum.SalesOrder, sum.SalesOrders, sum.Replays = so.ID, len(erp.Orders()), erp.Replays()
	fmt.Fprintf(out, "   minierp sales order %s for shop order %s, %s %s: the retry got minierp's first answer\n",
		so.ID, number, so.TotalGross, so.Currency)
	fmt.Fprintf(out, "   (%d answer replayed for its Idempotency-Key); minierp holds %d sales order.\n",
		sum.Replays, sum.SalesOrders)

	fmt.Fprintf(out, "\n3. minierp ships order %s; its tracking number reaches the shop.\n", number)
	if _, err := erp.Ship(number, "DHL", minierptest.Tracking{Number: "00340434161094042557",
		URL: "https://www.dhl.de/de/privatkunden/pakete-empfangen/verfolgen.html?piececode=00340434161094042557"}); err != nil {
		return sum, err
	}
	if err := syncFlows("shipments"); err != nil {
		return sum, err
	}
	for _, sh := range shop.Shipments(number) {
		for _, t := range sh.Tracking {
			sum.Tracking = t.Number
			fmt.Fprintf(out, "   shop order %s: shipped with %s, tracking %s\n", number, sh.Carrier, t.Number)
		}
	}

	fmt.Fprintln(out, "\n4. A second pass finds nothing to write.")
	reports, err := s.SyncAll(ctx)
	if err != nil {
		return sum, err
	}
	table(out, reports)
	for _, r := range reports {
		sum.SecondPass += r.Writes() + r.Requests
	}
	sum.Requests = erp.Requests()
	fmt.Fprintf(out, "\nminierp answered %d requests, %d of them with 429 (rate limited).\n", sum.Requests, erp.Throttled())
	switch {
	case sum.SecondPass != 0:
		return sum, fmt.Errorf("the second pass wrote %d times, want 0", sum.SecondPass)
	case sum.SalesOrders != 1:
		return sum, fmt.Errorf("minierp holds %d sales orders, want 1", sum.SalesOrders)
	case sum.Tracking == "":
		return sum, errors.New("the tracking number did not reach the shop")
	}
	return sum, nil
}

// seed fills minierp's item master, price lists and stock, as its users
// would.
func seed(erp *minierptest.Server) {
	size := func(v string) []minierptest.VariantOption {
		return []minierptest.VariantOption{{Name: "Size", Value: v}}
	}
	erp.PutArticle(minierptest.Article{SKU: "SHIRT-LINEN", Name: "Linen shirt", Unit: "PCS", WeightKg: "0.3", Status: "active",
		Variants: []minierptest.Variant{
			{SKU: "SHIRT-LINEN-S", Name: "S", Options: size("S")},
			{SKU: "SHIRT-LINEN-M", Name: "M", Options: size("M")},
			{SKU: "SHIRT-LINEN-L", Name: "L", Options: size("L")},
		}})
	erp.PutArticle(minierptest.Article{SKU: "BAG-CANVAS", Name: "Canvas bag", Unit: "PCS", WeightKg: "0.4", Status: "active"})
	erp.PutArticle(minierptest.Article{SKU: "MUG-STONE", Name: "Stoneware mug", EAN: "4006381333931", Unit: "PCS",
		WeightKg: "0.35", Status: "active"})
	for _, p := range []struct{ sku, amount string }{{"SHIRT-LINEN-S", "49.90"}, {"SHIRT-LINEN-M", "49.90"},
		{"SHIRT-LINEN-L", "49.90"}, {"BAG-CANVAS", "24.90"}, {"MUG-STONE", "14.90"}} {
		erp.PutPrice(minierptest.Price{SKU: p.sku, Currency: "EUR", Amount: p.amount, InclVAT: true})
		erp.PutStock(minierptest.Stock{SKU: p.sku, Warehouse: "MAIN", Available: "25", OnHand: "27", Reserved: "2"})
	}
	erp.PutPrice(minierptest.Price{SKU: "BAG-CANVAS", PriceList: "wholesale", Currency: "EUR", Amount: "19.00", InclVAT: true})
}

// order is what the customer buys: two shirts in M and a bag, net prices
// at 19 % VAT, with shipping, paid.
func order() kontor.Order {
	eur := func(d decimal.Decimal) kontor.Money { return kontor.Money{Amount: d, Currency: "EUR"} }
	rate := decimal.NewFromInt(19)
	tax := func(net decimal.Decimal) decimal.Decimal { return net.Mul(rate).Shift(-2).Round(2) }
	line := func(sku, title string, qty int64, unit string) kontor.OrderLine {
		u, q := decimal.RequireFromString(unit), decimal.NewFromInt(qty)
		net := u.Mul(q)
		return kontor.OrderLine{SKU: sku, Title: title, Quantity: q, UnitPrice: eur(u), TaxRate: rate,
			Net: eur(net), Tax: eur(tax(net)), Gross: eur(net.Add(tax(net)))}
	}
	lines := []kontor.OrderLine{line("SHIRT-LINEN-M", "Linen shirt M", 2, "41.93"), line("BAG-CANVAS", "Canvas bag", 1, "20.92")}
	shipNet := decimal.RequireFromString("4.12")
	ship := kontor.ShippingLine{Title: "Standard", Code: "standard", Carrier: "DHL", TaxRate: rate,
		Net: eur(shipNet), Tax: eur(tax(shipNet)), Gross: eur(shipNet.Add(tax(shipNet)))}
	net, vat := shipNet, tax(shipNet)
	for _, l := range lines {
		net, vat = net.Add(l.Net.Amount), vat.Add(l.Tax.Amount)
	}
	billing := kontor.Address{Kind: "billing", FirstName: "Erika", LastName: "Mustermann", Street: "Heidestraße 17",
		PostalCode: "51147", City: "Köln", Country: "DE"}
	return kontor.Order{
		Channel:  "online-store",
		Currency: "EUR",
		Customer: kontor.Customer{Type: kontor.B2C, Email: "erika.mustermann@example.com", FirstName: "Erika",
			LastName: "Mustermann", Addresses: []kontor.Address{billing}},
		Billing:       billing,
		Lines:         lines,
		ShippingLines: []kontor.ShippingLine{ship},
		TotalNet:      eur(net),
		TotalTax:      eur(vat),
		TotalGross:    eur(net.Add(vat)),
		Payment: kontor.Payment{Method: "paypal", Gateway: "paypal", Status: kontor.PaymentPaid,
			TransactionID: "PAY-7731", Amount: eur(net.Add(vat))},
		ShippingInfo:  kontor.ShippingInfo{Method: "standard", Carrier: "DHL"},
		Status:        kontor.OrderProcessing,
		PaymentStatus: kontor.PaymentPaid,
	}
}

// table prints one line per flow report.
func table(out io.Writer, reports []syncer.Report) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "   flow\tread\tcreated\tupdated\tunchanged\tdead-lettered\twrite calls\t")
	for _, r := range reports {
		fmt.Fprintf(w, "   %s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", r.Flow, r.Read, r.Created, r.Updated, r.Unchanged, r.DeadLettered, r.Requests)
	}
	w.Flush()
}
