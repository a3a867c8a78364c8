// Command webhook is a reference app: a Shopify webhook endpoint that
// verifies each delivery's HMAC signature, drops duplicates and hands the
// verified order to a callback.
//
// Run it against itself, with no credentials:
//
//	go run ./examples/webhook -selftest
//
// or serve real deliveries (behind TLS) with the app's client secret:
//
//	KONTOR_SHOPIFY_SECRET=... go run ./examples/webhook -addr :8080
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"time"

	"github.com/kontor-dev/kontor/transport"
)

// order is the part of Shopify's REST-shaped orders/create payload this app
// reads. IDs exceed 2^53, so they are decoded as int64, never float64.
type order struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Currency string `json:"currency"`
	Total    string `json:"total_price"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "address to listen on")
	selftest := flag.Bool("selftest", false, "send signed, duplicate and forged deliveries to a receiver on a loopback port and check the answers")
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	if *selftest {
		if err := runSelftest(logger); err != nil {
			fmt.Fprintln(os.Stderr, "selftest failed:", err)
			os.Exit(1)
		}
		return
	}
	secret := os.Getenv("KONTOR_SHOPIFY_SECRET")
	if secret == "" {
		fmt.Fprintln(os.Stderr, "set KONTOR_SHOPIFY_SECRET to the app's client secret, or run with -selftest")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := serve(ctx, *addr, []byte(secret), logger, func(o order) { fmt.Printf("order %s (%d): %s %s\n", o.Name, o.ID, o.Total, o.Currency) }); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// receiver builds the webhook handler. A real integration persists the event
// in the engine's inbox inside the callback and returns; here it decodes and
// reports the order.
func receiver(secret []byte, logger *slog.Logger, got func(order)) (http.Handler, error) {
	return transport.NewWebhookReceiver(transport.ShopifyWebhooks, transport.StaticWebhookSecrets(secret),
		func(ctx context.Context, ev transport.WebhookEvent) error {
			var o order
			if err := json.Unmarshal(ev.Body, &o); err != nil {
				return fmt.Errorf("decode %s: %w", ev.Topic, err)
			}
			got(o)
			return nil
		}, transport.WebhookLogger(logger))
}

func serve(ctx context.Context, addr string, secret []byte, logger *slog.Logger, got func(order)) error {
	h, err := receiver(secret, logger, got)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /webhooks/shopify", h)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	logger.Info("listening", "addr", addr, "path", "/webhooks/shopify")
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

const samplePayload = `{"id":5566778899001122334,"name":"#1042","currency":"EUR","total_price":"56.88","email":"erika@example.de"}`

func runSelftest(logger *slog.Logger) error {
	secret := []byte("selftest-secret")
	var delivered atomic.Int32
	h, err := receiver(secret, logger, func(o order) {
		delivered.Add(1)
		fmt.Printf("delivered: order %s, id %d, %s %s\n", o.Name, o.ID, o.Total, o.Currency)
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/"

	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(samplePayload))
	good := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	forged := base64.StdEncoding.EncodeToString(make([]byte, 32))

	steps := []struct {
		name, signature, id string
		want                int
	}{
		{"signed delivery", good, "d-1", http.StatusOK},
		{"same delivery again", good, "d-1", http.StatusOK},
		{"forged signature", forged, "d-2", http.StatusUnauthorized},
	}
	for _, s := range steps {
		req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader([]byte(samplePayload)))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Shopify-Topic", "orders/create")
		req.Header.Set("X-Shopify-Hmac-Sha256", s.signature)
		req.Header.Set("X-Shopify-Webhook-Id", s.id)
		req.Header.Set("X-Shopify-Triggered-At", time.Now().UTC().Format(time.RFC3339))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		fmt.Printf("%-20s → HTTP %d\n", s.name, resp.StatusCode)
		if resp.StatusCode != s.want {
			return fmt.Errorf("%s: got HTTP %d, want %d", s.name, resp.StatusCode, s.want)
		}
	}
	if n := delivered.Load(); n != 1 {
		return fmt.Errorf("callback ran %d times, want exactly 1", n)
	}
	fmt.Println("ok: one verified delivery handed on, the duplicate and the forgery were not")
	return nil
}
