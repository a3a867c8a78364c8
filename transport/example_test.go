package transport_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/transport"
)

// A connector's client: retried, paced, authenticated, logged without
// secrets. The loopback server fails once with 503 and Retry-After.
func ExampleNewClient() {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "token seen: %t", r.Header.Get("X-Shopify-Access-Token") == "shpat_secret")
	}))
	defer srv.Close()

	var logs strings.Builder
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: dropTime}))
	limiter := transport.NewLimiter(transport.LimiterRate(50), transport.LimiterBurst(5))
	client, err := transport.NewClient(transport.ClientMiddleware(
		transport.Retry(transport.RetryMaxAttempts(3)),
		limiter.Middleware(),
		transport.APIKeyHeader("X-Shopify-Access-Token", "shpat_secret"),
		transport.Log(logger, transport.LogHeaders()),
	))
	if err != nil {
		panic(err)
	}
	resp, err := client.Get(srv.URL + "/admin/api/2026-01/shop.json")
	if err != nil {
		panic(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	fmt.Println(resp.StatusCode, string(body), "after", calls.Load(), "requests")
	fmt.Println("secret in logs:", strings.Contains(logs.String(), "shpat_secret"))
	fmt.Println("attempts logged:", strings.Count(logs.String(), "attempt="))
	// Output:
	// 200 token seen: true after 2 requests
	// secret in logs: false
	// attempts logged: 2
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey || a.Key == "duration" {
		return slog.Attr{}
	}
	return a
}

// CheckResponse turns a failed response into a classified error.
func ExampleCheckResponse() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("request-id", "6b1f0c6e")
		w.WriteHeader(http.StatusConflict)
		io.WriteString(w, `{"error":{"code":"Request_EntityChanged","message":"Another user has already changed the record."}}`)
	}))
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/items(1)")
	if err != nil {
		panic(err)
	}
	err = transport.CheckResponse("businesscentral", "PATCH items", resp)
	fmt.Println(err)
	fmt.Println(errors.Is(err, kontor.ErrConflict), kontor.IsRetryable(err))
	// Output:
	// businesscentral PATCH items: conflict: HTTP 409 Request_EntityChanged: Another user has already changed the record. (request id 6b1f0c6e)
	// true false
}

// A Shopify webhook endpoint: only verified deliveries reach the callback,
// each once.
func ExampleNewWebhookReceiver() {
	secret := []byte("app-client-secret")
	receiver, err := transport.NewWebhookReceiver(transport.ShopifyWebhooks, transport.StaticWebhookSecrets(secret),
		func(ctx context.Context, ev transport.WebhookEvent) error {
			fmt.Printf("verified %s delivery %s: %s\n", ev.Topic, ev.DeliveryID, ev.Body)
			return nil // persist ev in the inbox here, then return
		})
	if err != nil {
		panic(err)
	}
	body := []byte(`{"id":5566778899001122334}`)
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	send := func(signature string) int {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", bytes.NewReader(body))
		req.Header.Set("X-Shopify-Hmac-Sha256", signature)
		req.Header.Set("X-Shopify-Topic", "orders/create")
		req.Header.Set("X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
		rec := httptest.NewRecorder()
		receiver.ServeHTTP(rec, req)
		return rec.Code
	}
	good := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	fmt.Println(send(good))
	fmt.Println(send(good)) // a redelivery: acknowledged, not handed on again
	fmt.Println(send(base64.StdEncoding.EncodeToString(make([]byte, 32))))
	// Output:
	// verified orders/create delivery b54557e4-bdd9-4b37-8a5f-bf7d70bcd043: {"id":5566778899001122334}
	// 200
	// 200
	// 401
}
