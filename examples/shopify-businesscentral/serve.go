package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	bc "github.com/kontor-dev/kontor/erp/businesscentral"
	"github.com/kontor-dev/kontor/shop/shopify"
	"github.com/kontor-dev/kontor/status"
	"github.com/kontor-dev/kontor/syncer"
	"github.com/kontor-dev/kontor/transport"
)

// The paths the app serves, all on one port.
const (
	pathShopWebhooks = "/webhooks/shopify"
	pathBCWebhooks   = "/webhooks/businesscentral"
	pathStatus       = "/status/"
	pathMetrics      = "/metrics"
)

// shopTopics are the shop's webhooks the app subscribes to: orders and
// refunds flow from the shop; an uninstalled app is logged. The
// compliance topics (customers/data_request, customers/redact,
// shop/redact) are configured with the app, to the same URL.
var shopTopics = []string{"ORDERS_CREATE", "ORDERS_UPDATED", "ORDERS_CANCELLED", "REFUNDS_CREATE", "APP_UNINSTALLED"}

// serve syncs for real until ctx ends: it serves the webhook endpoints,
// the status page and the metrics on ln, registers the webhooks when a
// public URL is configured, runs a first pass of every flow in order and
// then keeps them in sync with the engine's Run.
func (a *app) serve(ctx context.Context, ln net.Listener, w io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// One mux: webhooks, status page, metrics.
	mux := http.NewServeMux()
	if a.cfg.ShopifyClientSecret != "" {
		secrets := [][]byte{[]byte(a.cfg.ShopifyClientSecret)}
		if a.cfg.ShopifyPreviousSecret != "" {
			secrets = append(secrets, []byte(a.cfg.ShopifyPreviousSecret))
		}
		// The engine is the Redactor of the compliance webhooks: it erases
		// what it keeps of a customer and their orders.
		h, err := a.shop.WebhookHandler(transport.StaticWebhookSecrets(secrets...), a.s.Events(a.shop),
			shopify.WithRedactor(a.s), shopify.WithReceiverOptions(transport.WebhookLogger(a.log)))
		if err != nil {
			return err
		}
		mux.Handle("POST "+pathShopWebhooks, h)
	}
	var hooks *bc.Webhooks
	if a.cfg.PublicURL != "" && a.cfg.BCClientState != "" {
		var err error
		hooks, err = a.bc.Webhooks(bc.WebhookConfig{NotificationURL: a.cfg.PublicURL + pathBCWebhooks, ClientState: a.cfg.BCClientState})
		if err != nil {
			return err
		}
		mux.Handle("POST "+pathBCWebhooks, hooks.Handler(a.erpEvents()))
	}
	tokens := map[string]status.Role{}
	if a.cfg.OperatorToken != "" {
		tokens[a.cfg.OperatorToken] = status.RoleOperator
	}
	page := status.Handler(a.s, status.WithAuth(status.BearerTokens(tokens, true)),
		status.WithTitle("Shopify ↔ Business Central"), status.WithLogger(a.log))
	// The page's live updates are a request that never ends on its own:
	// it ends when the server shuts down, webhook deliveries do not.
	pages, stopPages := context.WithCancel(context.Background())
	defer stopPages()
	mux.Handle(pathStatus, http.StripPrefix("/status", endWith(pages, page)))
	mux.Handle("GET /status", http.RedirectHandler(pathStatus, http.StatusMovedPermanently))
	reg := prometheus.NewRegistry()
	reg.MustRegister(status.Collector(a.s), collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	mux.Handle("GET "+pathMetrics, promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	srv.RegisterOnShutdown(stopPages)
	served := make(chan error, 1)
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("serving failed", "error", err)
			served <- err
			cancel()
		}
		close(served)
	}()
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(w, "Serving on %s: status page %s%s, metrics %s%s\n", ln.Addr(), base, pathStatus, base, pathMetrics)

	// Webhooks: registered now, kept alive on a ticker.
	var wg sync.WaitGroup
	if a.cfg.PublicURL != "" {
		a.maintainWebhooks(ctx, w, hooks)
		wg.Go(func() {
			t := time.NewTicker(a.cfg.MaintainEvery)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					a.maintainWebhooks(ctx, io.Discard, hooks)
				}
			}
		})
	} else {
		fmt.Fprintln(w, "KONTOR_PUBLIC_URL is not set: no webhooks registered; flows run on their schedules.")
	}

	// A first pass in dependency order, so that no price, stock level or
	// order waits for a product another flow has not written yet.
	fmt.Fprintln(w, "\nFirst pass:")
	reports := make([]syncer.Report, 0, len(a.s.Flows()))
	for _, name := range a.s.Flows() {
		rep, err := a.s.Sync(ctx, name)
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			a.log.Warn("first pass failed; the flow retries on its schedule", "flow", name, "error", err)
		}
		reports = append(reports, rep)
	}
	printReports(w, reports)

	fmt.Fprintln(w, "\nRunning until interrupted (SIGINT, SIGTERM).")
	err := a.s.Run(ctx)

	shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	if serr := srv.Shutdown(shutdown); serr != nil {
		_ = srv.Close()
	}
	wg.Wait()
	return errors.Join(err, <-served)
}

// maintainWebhooks makes sure the shop's webhook subscriptions exist and
// that Business Central's subscriptions are alive (they expire after three
// days). Failures are logged: the sweeps keep everything in sync without
// webhooks, only later.
func (a *app) maintainWebhooks(ctx context.Context, w io.Writer, hooks *bc.Webhooks) {
	if a.cfg.ShopifyClientSecret != "" {
		// Subscribe lists what the URL has and creates only the missing
		// topics: Shopify refuses a topic twice for one address.
		ids, err := a.shop.Subscribe(ctx, a.cfg.PublicURL+pathShopWebhooks, shopTopics...)
		if err != nil {
			a.log.Warn("Shopify webhooks", "error", err, "subscribed", len(ids))
		} else {
			fmt.Fprintf(w, "Shopify webhooks: %d topics for %s%s\n", len(ids), a.cfg.PublicURL, pathShopWebhooks)
		}
	}
	if hooks != nil {
		rep, err := hooks.Maintain(ctx)
		if err != nil {
			a.log.Warn("Business Central subscriptions", "error", err)
		}
		fmt.Fprintf(w, "Business Central subscriptions: %d created, %d renewed, %d kept, %d deleted\n",
			len(rep.Created), len(rep.Renewed), len(rep.Kept), len(rep.Deleted))
	}
}

// printReports prints one line per flow of what a pass did.
func printReports(w io.Writer, reports []syncer.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "flow\tread\tcreated\tupdated\tunchanged\tdead-lettered\twrite requests\t")
	for _, r := range reports {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", r.Flow, r.Read, r.Created, r.Updated, r.Unchanged, r.DeadLettered, r.Requests)
	}
	_ = tw.Flush()
}

// endWith runs h with a request context that also ends when stop does.
func endWith(stop context.Context, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		defer context.AfterFunc(stop, cancel)()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}
