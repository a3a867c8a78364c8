package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
	bc "github.com/kontor-dev/kontor/erp/businesscentral"
	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
	"github.com/kontor-dev/kontor/shop/shopify"
	"github.com/kontor-dev/kontor/shop/shopify/shopifytest"
	"github.com/kontor-dev/kontor/shop/woocommerce"
	"github.com/kontor-dev/kontor/shop/woocommerce/woocommercetest"
	"github.com/kontor-dev/kontor/status"
	"github.com/kontor-dev/kontor/syncer"
	"github.com/kontor-dev/kontor/syncer/store"
	"github.com/kontor-dev/kontor/transport"
)

// Flow names, as the tables and the status page show them.
const (
	flowProductsWoo  = "products → woocommerce"
	flowPricesWoo    = "prices → woocommerce"
	flowStockWoo     = "stock → woocommerce"
	flowOrdersWoo    = "orders ← woocommerce"
	flowShipmentsWoo = "shipments → woocommerce"
	flowReturnsWoo   = "returns ← woocommerce"

	flowProductsShopify  = "products → shopify"
	flowPricesShopify    = "prices → shopify"
	flowStockShopify     = "stock → shopify"
	flowOrdersShopify    = "orders ← shopify"
	flowShipmentsShopify = "shipments → shopify"
	flowReturnsShopify   = "returns ← shopify"
)

// Where things are in the fakes.
const (
	location    = "MAIN"             // Business Central's warehouse
	guest       = "WEB"              // the Business Central customer shop guests buy as
	freight     = "FREIGHT"          // the service item shipping charges are booked on
	extension   = "kontor/shop/v1.0" // the tenant's extension with stock and tracking pages
	wooSecret   = "quickstart-woocommerce-webhook-secret"
	clientState = "quickstart-business-central-client-state-0123456789"
)

// world is everything the quickstart runs: the fakes, the connectors on
// them, the engine, and the loopback server for webhooks and the status
// page.
type world struct {
	out io.Writer

	bcFake      *bctest.Server
	wooFake     *woocommercetest.Server
	shopifyFake *shopifytest.Server

	bc      *bc.Connector
	woo     *woocommerce.Client
	shopify *shopify.Client

	s       *syncer.Syncer
	aliases *skuAliases
	srv     *httptest.Server
	pause   func(stage, statusURL string)
}

// stage lets a test look at the running quickstart.
func (w *world) stage(name string) {
	if w.pause != nil {
		w.pause(name, w.srv.URL+"/status/")
	}
}

// newWorld starts the fakes and seeds Business Central's catalog of n
// items, every fourth with two variants.
func newWorld(ctx context.Context, cfg config) (*world, error) {
	w := &world{out: cfg.out, aliases: newSKUAliases(), pause: cfg.pause}
	w.bcFake = bctest.New(bctest.WithExtensionAPI(), bctest.WithNotificationDelay(20*time.Millisecond))
	w.wooFake = woocommercetest.New(woocommercetest.WithCurrency("EUR"))
	w.shopifyFake = shopifytest.New(shopifytest.WithShop("kontor-quickstart.myshopify.com", "Kontor Quickstart", "EUR", "Europe/Berlin"),
		shopifytest.WithTaxesIncluded(true))
	w.shopifyFake.AddLocation(shopifytest.Location{Name: location})

	f := w.bcFake
	f.SetTaxRate("STANDARD", decimal.NewFromInt(19))
	if _, err := f.PutLocation(bctest.Location{Code: location, DisplayName: "Main warehouse"}); err != nil {
		return nil, err
	}
	if _, err := f.PutCustomer(bctest.Customer{Number: guest, DisplayName: "Web shop customers", Type: "Person"}); err != nil {
		return nil, err
	}
	if _, err := f.PutItem(bctest.Item{Number: freight, DisplayName: "Shipping", Type: "Service"}); err != nil {
		return nil, err
	}
	for i := range cfg.products {
		it := catalogItem(i)
		if _, err := f.PutItem(it); err != nil {
			return nil, fmt.Errorf("seed item %s: %w", it.Number, err)
		}
		codes := []string{""}
		for _, v := range it.Variants {
			codes = append(codes, v.Code)
		}
		if len(it.Variants) > 0 {
			codes = codes[1:]
		}
		for k, code := range codes {
			if err := f.SetInventory(bctest.Stock{ItemNumber: it.Number, VariantCode: code, LocationCode: location,
				Quantity: decimal.NewFromInt(int64(5 + (i*7+k*3)%20))}); err != nil {
				return nil, err
			}
		}
	}
	return w, nil
}

// catalogItem is item i of Business Central's catalog.
func catalogItem(i int) bctest.Item {
	it := bctest.Item{
		Number:           fmt.Sprintf("KT-%04d", 1000+i),
		DisplayName:      productNames[i%len(productNames)] + fmt.Sprintf(" %d", 1+i/len(productNames)),
		ItemCategoryCode: "HOME",
		TaxGroupCode:     "STANDARD",
		UnitPrice:        decimal.NewFromInt(int64(1990 + (i%9)*500)).Shift(-2),
		PriceIncludesTax: true,
		GTIN:             gtin(i),
	}
	if i%4 == 1 {
		it.Variants = []bctest.ItemVariant{{Code: "S", Description: it.DisplayName + ", small"}, {Code: "L", Description: it.DisplayName + ", large"}}
	}
	return it
}

var productNames = []string{"Linen shirt", "Oak cutting board", "Wool blanket", "Enamel mug", "Canvas tote", "Desk lamp", "Ceramic bowl", "Rain jacket"}

// gtin returns a valid GTIN-13 for item i.
func gtin(i int) string {
	base := fmt.Sprintf("400638%06d", 100000+i)
	sum := 0
	for k, c := range base {
		d := int(c - '0')
		if k%2 == 1 {
			d *= 3
		}
		sum += d
	}
	return base + fmt.Sprint((10-sum%10)%10)
}

// connect builds the connectors on the fakes, exactly as on the real
// systems: only the URLs and credentials differ.
func (w *world) connect(cfg config) error {
	logger := slog.New(slog.DiscardHandler)
	if cfg.verbose {
		logger = slog.New(slog.NewTextHandler(w.out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	f := w.bcFake
	var err error
	w.bc, err = bc.New(bc.Config{
		TenantID:     f.TenantID(),
		Environment:  f.Environment(),
		BaseURL:      strings.TrimSuffix(f.APIURL(), "/api/v2.0"),
		ClientID:     f.ClientID(),
		ClientSecret: f.ClientSecret(),
		TokenURL:     f.TokenURL(),
		Currency:     "EUR",
	},
		bc.WithLogger(logger),
		bc.WithGuestCustomer(guest),
		bc.WithShippingCharge(bc.ChargeLine{LineType: "Item", Number: freight}),
		bc.WithStockPage(bc.StockPage{Route: extension, EntitySet: "stockLevels", VariantCodeField: "variantCode"}),
		bc.WithStockLocations(location),
		bc.WithTrackingPage(bc.TrackingPage{Route: extension, EntitySet: "shipmentTrackings"}),
	)
	if err != nil {
		return fmt.Errorf("business central: %w", err)
	}
	w.woo, err = woocommerce.New(w.wooFake.URL(), w.wooFake.ConsumerKey(), w.wooFake.ConsumerSecret(),
		woocommerce.WithLogger(logger), woocommerce.WithStockLocation(location))
	if err != nil {
		return fmt.Errorf("woocommerce: %w", err)
	}
	w.shopify, err = shopify.New(w.shopifyFake.ShopDomain(), w.shopifyFake.Token(),
		shopify.WithEndpoint(w.shopifyFake.URL()), shopify.WithLogger(logger))
	if err != nil {
		return fmt.Errorf("shopify: %w", err)
	}
	return nil
}

// engine builds the Syncer and its flows: the hybrid default, with short
// sweep intervals so the quickstart sees sweeps happen.
func (w *world) engine(st store.Store) error {
	w.s = syncer.New(st, syncer.WithRetry(syncer.RetryPolicy{Attempts: 3, Initial: 50 * time.Millisecond, Max: time.Second}))
	// Shopify numbers orders "#1001", WooCommerce 71: a shipment goes to
	// the shop its order came from.
	shopifyOrder := func(sh *kontor.Shipment) bool { return strings.HasPrefix(sh.OrderNumber, "#") }
	wooOrder := func(sh *kontor.Shipment) bool { return !shopifyOrder(sh) }
	return w.s.Add(
		syncer.Products(w.bc, w.shopify, syncer.Named(flowProductsShopify), syncer.Every(time.Hour)),
		syncer.Prices(w.bc, w.shopify, syncer.Named(flowPricesShopify), syncer.Every(time.Hour)),
		syncer.Stock(w.bc, w.shopify, syncer.Named(flowStockShopify), syncer.Every(time.Hour)),
		syncer.Orders(w.shopify, w.bc, syncer.Named(flowOrdersShopify), syncer.Map(w.aliases), syncer.Every(time.Second)),
		syncer.Shipments(w.bc, w.shopify, syncer.Named(flowShipmentsShopify), syncer.Where(shopifyOrder), syncer.Every(time.Hour)),
		syncer.Returns(w.shopify, w.bc, syncer.Named(flowReturnsShopify), syncer.Every(time.Second)),

		syncer.Products(w.bc, w.woo, syncer.Named(flowProductsWoo), syncer.Every(time.Hour)),
		syncer.Prices(w.bc, w.woo, syncer.Named(flowPricesWoo), syncer.Every(time.Hour)),
		syncer.Stock(w.bc, w.woo, syncer.Named(flowStockWoo), syncer.Every(time.Hour)),
		syncer.Orders(w.woo, w.bc, syncer.Named(flowOrdersWoo), syncer.Map(w.aliases), syncer.Every(time.Second)),
		syncer.Shipments(w.bc, w.woo, syncer.Named(flowShipmentsWoo), syncer.Where(wooOrder), syncer.Every(time.Hour)),
		syncer.Returns(w.woo, w.bc, syncer.Named(flowReturnsWoo), syncer.Every(time.Second)),
	)
}

// serve starts the loopback server: each system's webhook endpoint, fed to
// the engine, and the status page.
func (w *world) serve(ctx context.Context) error {
	mux := http.NewServeMux()
	w.srv = httptest.NewServer(mux)

	bcHooks, err := w.bc.Webhooks(bc.WebhookConfig{NotificationURL: w.srv.URL + "/webhooks/businesscentral", ClientState: clientState,
		Resources: []string{"items", "salesOrders", "salesCreditMemos",
			extension + "/stockLevels", extension + "/shipmentTrackings"}})
	if err != nil {
		return err
	}
	mux.Handle("/webhooks/businesscentral", bcHooks.Handler(w.s.Events(w.bc)))

	wooHook, err := w.woo.WebhookHandler(transport.StaticWebhookSecrets([]byte(wooSecret)), w.s.Events(w.woo))
	if err != nil {
		return err
	}
	mux.Handle("POST /webhooks/woocommerce", wooHook)

	shopifyHook, err := w.shopify.WebhookHandler(transport.StaticWebhookSecrets([]byte(w.shopifyFake.WebhookSecret())), w.s.Events(w.shopify),
		shopify.WithRedactor(w.s))
	if err != nil {
		return err
	}
	mux.Handle("POST /webhooks/shopify", shopifyHook)
	mux.Handle("/status/", http.StripPrefix("/status", status.Handler(w.s, status.WithTitle("Kontor quickstart"))))

	if _, err := bcHooks.Maintain(ctx); err != nil {
		return fmt.Errorf("business central subscriptions: %w", err)
	}
	if _, err := w.woo.EnsureWebhooks(ctx, w.srv.URL+"/webhooks/woocommerce", wooSecret,
		"order.created", "order.updated", "product.updated"); err != nil {
		return fmt.Errorf("woocommerce webhooks: %w", err)
	}
	if _, err := w.shopify.Subscribe(ctx, w.srv.URL+"/webhooks/shopify",
		"ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED", "REFUNDS_CREATE"); err != nil {
		return fmt.Errorf("shopify webhooks: %w", err)
	}
	w.shopifyFake.SetComplianceURL(w.srv.URL + "/webhooks/shopify")
	return nil
}

func (w *world) close() {
	if w.srv != nil {
		w.srv.CloseClientConnections()
		w.srv.Close()
	}
	w.wooFake.Close()
	w.shopifyFake.Close()
	w.bcFake.Close()
}

// serveStatus serves the status page on addr until ctx ends.
func serveStatus(ctx context.Context, w *world, addr string) error {
	hs := &http.Server{Addr: addr, Handler: http.StripPrefix("/status", status.Handler(w.s, status.WithTitle("Kontor quickstart"))),
		ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(w.out, "\nStatus page: http://%s/status/ (Ctrl-C to stop)\n", addr)
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}
