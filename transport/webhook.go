package transport

import (
	"container/list"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
)

// This file holds the inbound side of the transport: an http.Handler that
// verifies, deduplicates and hands on the webhooks a shop sends.
//
// Status codes a WebhookReceiver answers with:
//
//	200  delivered to the callback; a duplicate delivery id; a WooCommerce ping
//	400  a malformed or out-of-window timestamp, an over-long delivery id
//	401  signature missing, malformed, of the wrong length or not matching
//	403  the remote address is not in the allowlist
//	405  not a POST
//	413  the body is larger than the limit
//	500  the callback failed or timed out, the secret source or the delivery
//	     store failed: the sender should retry
//
// A duplicate is answered with 200 so the sender stops retrying. Everything
// but a 200 from the callback path is an answer the sender sees as failure.

// SignatureEncoding is how a sender writes the HMAC digest into its signature
// header.
type SignatureEncoding uint8

// The signature encodings.
const (
	// SignatureBase64 is standard base64 (RFC 4648 §4), accepted with or
	// without padding. Shopify and WooCommerce use it.
	SignatureBase64 SignatureEncoding = iota
	// SignatureHex is hexadecimal in either case.
	SignatureHex
)

// String returns the encoding's name.
func (e SignatureEncoding) String() string {
	switch e {
	case SignatureBase64:
		return "base64"
	case SignatureHex:
		return "hex"
	}
	return fmt.Sprintf("SignatureEncoding(%d)", uint8(e))
}

// WebhookScheme describes how one sender signs and labels its webhooks. All
// supported senders sign the raw request body with HMAC-SHA256; the scheme
// says where the digest, the delivery id, the topic and the timestamp are.
// Build a scheme for another sender as a struct literal or by changing a copy
// of HexHMACWebhooks.
//
// Only the body is signed: the id, topic and timestamp headers are not, so
// they guard against honest retries and stale payloads, not against an
// attacker who has captured a signed body (TLS is what prevents that).
type WebhookScheme struct {
	// Name labels the scheme in events, logs and delivery store keys.
	Name string
	// SignatureHeader carries the encoded HMAC-SHA256 of the raw body.
	SignatureHeader string
	// Encoding is how the digest in SignatureHeader is encoded.
	Encoding SignatureEncoding
	// Prefix precedes the encoded digest, such as "sha256="; it is matched
	// without regard to case and is required when set.
	Prefix string
	// IDHeader carries the delivery id by which duplicates are recognised.
	// A delivery without it is handed on without deduplication.
	IDHeader string
	// IDNotUnique says the sender's delivery id can repeat for different
	// deliveries, so duplicates are recognised by the id together with a
	// hash of the body: two deliveries are one only when both match.
	IDNotUnique bool
	// EventIDHeader carries an id of the event (one event may be delivered
	// more than once, for example to two subscriptions); it is exposed in
	// WebhookEvent.EventID and not used for deduplication.
	EventIDHeader string
	// TopicHeader carries the event's topic, such as "orders/create".
	TopicHeader string
	// TimestampHeader carries the time the event fired. Empty means the
	// sender sends none. A delivery without it is accepted.
	TimestampHeader string
	// ParseTimestamp parses the TimestampHeader value; nil means RFC 3339.
	ParseTimestamp func(string) (time.Time, error)
	// MaxAge is how old a timestamp may be; zero means no limit. Keep it at
	// most the receiver's retention so that a replayed delivery is either
	// too old or still remembered.
	MaxAge time.Duration
	// Headers lists further headers to copy into WebhookEvent.Headers. List
	// no secret here.
	Headers []string
	// AcceptUnsignedPing reports whether a request without a signature is
	// the sender's harmless activation ping, which is then answered with 200
	// and not handed on. Nil means every unsigned request is refused.
	AcceptUnsignedPing func(r *http.Request, body []byte) bool
}

// ShopifyWebhooks is Shopify's scheme: base64 HMAC-SHA256 of the body keyed
// with the app's client secret. Deduplication is by X-Shopify-Webhook-Id (the
// id of one delivery, kept across its retries); X-Shopify-Event-Id is exposed
// as EventID for the caller to deduplicate across subscriptions. Shopify
// retries 8 times over 4 hours with the original X-Shopify-Triggered-At, so
// MaxAge is 12 hours: three times the retry span, and below the default 24 hour
// retention of delivery ids.
var ShopifyWebhooks = WebhookScheme{
	Name:            "shopify",
	SignatureHeader: "X-Shopify-Hmac-Sha256",
	Encoding:        SignatureBase64,
	IDHeader:        "X-Shopify-Webhook-Id",
	EventIDHeader:   "X-Shopify-Event-Id",
	TopicHeader:     "X-Shopify-Topic",
	TimestampHeader: "X-Shopify-Triggered-At",
	MaxAge:          12 * time.Hour,
	Headers:         []string{"X-Shopify-Shop-Domain", "X-Shopify-API-Version", "X-Shopify-Test"},
}

// WooCommerceWebhooks is WooCommerce's scheme: base64 HMAC-SHA256 of the
// body keyed with the webhook's secret, deduplicated by
// X-WC-Webhook-Delivery-ID together with the body: WooCommerce derives the
// delivery id from the webhook's id and the current second, so two
// deliveries of one webhook in one second share it. It sends no timestamp and does not
// retry a failed delivery. Its activation ping, a form-encoded
// "webhook_id=<id>" without signature, is answered with 200 and not handed on.
var WooCommerceWebhooks = WebhookScheme{
	Name:               "woocommerce",
	SignatureHeader:    "X-WC-Webhook-Signature",
	Encoding:           SignatureBase64,
	IDHeader:           "X-WC-Webhook-Delivery-ID",
	IDNotUnique:        true,
	TopicHeader:        "X-WC-Webhook-Topic",
	Headers:            []string{"X-WC-Webhook-Source", "X-WC-Webhook-Resource", "X-WC-Webhook-Event", "X-WC-Webhook-ID"},
	AcceptUnsignedPing: isWooCommercePing,
}

// HexHMACWebhooks returns a scheme for a sender that puts the hex-encoded
// HMAC-SHA256 of the body into header. Set Prefix, IDHeader, TopicHeader and
// the timestamp fields on the result as the sender needs.
func HexHMACWebhooks(name, header string) WebhookScheme {
	return WebhookScheme{Name: name, SignatureHeader: header, Encoding: SignatureHex}
}

// isWooCommercePing recognises WooCommerce's activation ping: a form-encoded
// body of exactly one numeric webhook_id field.
func isWooCommercePing(r *http.Request, body []byte) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/x-www-form-urlencoded" {
			return false
		}
	}
	form, err := url.ParseQuery(string(body))
	if err != nil || len(form) != 1 || len(form["webhook_id"]) != 1 {
		return false
	}
	id := form["webhook_id"][0]
	if id == "" || len(id) > 20 {
		return false
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// WebhookEvent is one verified delivery as handed to the callback.
type WebhookEvent struct {
	Scheme     string      // the scheme's Name
	Topic      string      // from the scheme's TopicHeader
	DeliveryID string      // from IDHeader: the deduplication key
	EventID    string      // from EventIDHeader, if the scheme has one
	Timestamp  time.Time   // from TimestampHeader; zero when absent
	Headers    http.Header // a copy of the scheme's non-secret headers
	Body       []byte      // the raw body whose signature was verified
}

// WebhookSecrets returns the secrets a signature may be made with; any match
// verifies. It is asked on every request, so a rotation needs no restart:
// return the new secret and, while the sender may still use it (Shopify: up
// to an hour), the old one.
type WebhookSecrets func(ctx context.Context) ([][]byte, error)

// StaticWebhookSecrets returns a WebhookSecrets that always gives copies of
// secrets.
func StaticWebhookSecrets(secrets ...[]byte) WebhookSecrets {
	own := make([][]byte, len(secrets))
	for i, s := range secrets {
		own[i] = append([]byte(nil), s...)
	}
	return func(context.Context) ([][]byte, error) { return own, nil }
}

// DeliveryStore remembers the delivery ids already handed on, so a duplicate
// is acknowledged without being handed on again. The default keeps them in
// memory; a durable store shares them across restarts and instances.
type DeliveryStore interface {
	// Seen records id as delivered at at and reports whether it was
	// already recorded (and not forgotten) within the store's retention.
	Seen(ctx context.Context, id string, at time.Time) (dup bool, err error)
	// Forget removes id, so a retry of a delivery whose handling failed is
	// accepted again.
	Forget(ctx context.Context, id string) error
}

// WebhookOption configures a WebhookReceiver.
type WebhookOption func(*webhookConfig) error

type webhookConfig struct {
	maxBody   int64
	retention time.Duration
	skew      time.Duration
	timeout   time.Duration
	allow     []netip.Prefix
	store     DeliveryStore
	log       *slog.Logger
}

// Defaults of a WebhookReceiver.
const (
	defaultWebhookMaxBody   = 1 << 20
	defaultWebhookRetention = 24 * time.Hour
	defaultWebhookSkew      = 5 * time.Minute
	defaultWebhookTimeout   = 4 * time.Second // Shopify gives up after 5 s
	maxMemoryDeliveries     = 100_000
	maxDeliveryIDLen        = 256
	maxLoggedLen            = 128
)

// WebhookMaxBodyBytes limits the body size (default 1 MiB); a larger body is
// answered with 413 and not handed on.
func WebhookMaxBodyBytes(n int64) WebhookOption {
	return func(c *webhookConfig) error {
		if n <= 0 {
			return fmt.Errorf("transport: webhook body limit %d must be positive", n)
		}
		c.maxBody = n
		return nil
	}
}

// WebhookRetention sets how long the default in-memory store remembers a
// delivery id (default 24 hours; it holds at most 100,000 ids and drops the
// oldest beyond that). It has no effect with WebhookDeliveryStore.
func WebhookRetention(d time.Duration) WebhookOption {
	return func(c *webhookConfig) error {
		if d <= 0 {
			return fmt.Errorf("transport: webhook retention %v must be positive", d)
		}
		c.retention = d
		return nil
	}
}

// WebhookDeliveryStore replaces the in-memory store of delivery ids, for
// example with a durable one shared by all instances. Ids reach the store
// prefixed with the scheme's name and a colon.
func WebhookDeliveryStore(s DeliveryStore) WebhookOption {
	return func(c *webhookConfig) error {
		if s == nil {
			return errors.New("transport: nil webhook delivery store")
		}
		c.store = s
		return nil
	}
}

// WebhookClockSkew sets how far in the future a timestamp may be (default 5
// minutes), to allow for the sender's clock running ahead.
func WebhookClockSkew(d time.Duration) WebhookOption {
	return func(c *webhookConfig) error {
		if d < 0 {
			return fmt.Errorf("transport: webhook clock skew %v must not be negative", d)
		}
		c.skew = d
		return nil
	}
}

// WebhookHandlerTimeout bounds the callback (default 4 seconds, below
// Shopify's 5 second limit, so the answer reaches the sender before it gives
// up). The callback's context ends after d; its error then makes a 500.
func WebhookHandlerTimeout(d time.Duration) WebhookOption {
	return func(c *webhookConfig) error {
		if d <= 0 {
			return fmt.Errorf("transport: webhook handler timeout %v must be positive", d)
		}
		c.timeout = d
		return nil
	}
}

// WebhookAllowCIDRs admits only requests whose remote address lies in one
// of the prefixes ("192.0.2.0/24", or a single address); others get 403. It
// checks http.Request.RemoteAddr only and never X-Forwarded-For, so behind a
// proxy it sees the proxy: use it where the sender connects directly.
func WebhookAllowCIDRs(cidrs ...string) WebhookOption {
	return func(c *webhookConfig) error {
		for _, s := range cidrs {
			s = strings.TrimSpace(s)
			var p netip.Prefix
			var err error
			if strings.Contains(s, "/") {
				p, err = netip.ParsePrefix(s)
			} else {
				var a netip.Addr
				if a, err = netip.ParseAddr(s); err == nil {
					a = a.Unmap()
					p = netip.PrefixFrom(a, a.BitLen())
				}
			}
			if err != nil {
				return fmt.Errorf("transport: webhook allowlist: %w", err)
			}
			c.allow = append(c.allow, p.Masked())
		}
		return nil
	}
}

// WebhookLogger logs rejections and failures with their reason, topic and
// delivery id (default: no logging). The secret, the signature and the body
// are never logged.
func WebhookLogger(l *slog.Logger) WebhookOption {
	return func(c *webhookConfig) error {
		if l != nil {
			c.log = l
		}
		return nil
	}
}

// WebhookReceiver is an http.Handler that verifies webhook deliveries and
// hands each verified delivery to a callback once.
//
// A request is checked in this order: method, remote address, body size,
// signature, timestamp, delivery id. Only a verified request reaches the
// delivery store, so a forged one cannot mark a real id as seen. The callback
// should persist the event quickly (into the engine's inbox) and return: its
// nil answers 200, its error answers 500 and makes the delivery id forgotten,
// so the sender's retry is accepted. A duplicate that arrives while the first
// delivery is still being handled waits for it and answers as it does, so a
// failure is never acknowledged by a duplicate. The callback runs on the
// request's goroutine, concurrently for different deliveries, and owns
// ev.Body and ev.Headers.
type WebhookReceiver struct {
	scheme  WebhookScheme
	secrets WebhookSecrets
	handle  func(context.Context, WebhookEvent) error
	cfg     webhookConfig
	copied  []string // canonical names of the headers copied into events
	now     func() time.Time

	mu       sync.Mutex
	inflight map[string]*webhookCall
}

// webhookCall is a delivery being handled; duplicates wait for done.
type webhookCall struct {
	done chan struct{}
	err  error // set before done is closed
}

// NewWebhookReceiver returns a receiver for scheme that verifies signatures
// against secrets and hands verified, new deliveries to handle. It fails on
// an incomplete scheme, a nil secrets or handle, or an invalid option.
func NewWebhookReceiver(scheme WebhookScheme, secrets WebhookSecrets, handle func(ctx context.Context, ev WebhookEvent) error, opts ...WebhookOption) (*WebhookReceiver, error) {
	switch {
	case scheme.SignatureHeader == "":
		return nil, errors.New("transport: webhook scheme without signature header")
	case scheme.Encoding != SignatureBase64 && scheme.Encoding != SignatureHex:
		return nil, fmt.Errorf("transport: unknown webhook signature encoding %v", scheme.Encoding)
	case scheme.MaxAge < 0:
		return nil, fmt.Errorf("transport: webhook max age %v must not be negative", scheme.MaxAge)
	case secrets == nil:
		return nil, errors.New("transport: nil webhook secrets")
	case handle == nil:
		return nil, errors.New("transport: nil webhook handler")
	}
	cfg := webhookConfig{
		maxBody:   defaultWebhookMaxBody,
		retention: defaultWebhookRetention,
		skew:      defaultWebhookSkew,
		timeout:   defaultWebhookTimeout,
		log:       slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	if cfg.store == nil {
		cfg.store = newMemoryDeliveryStore(cfg.retention, maxMemoryDeliveries)
	}
	scheme.Headers = append([]string(nil), scheme.Headers...)
	wr := &WebhookReceiver{
		scheme:   scheme,
		secrets:  secrets,
		handle:   handle,
		cfg:      cfg,
		now:      time.Now,
		inflight: make(map[string]*webhookCall),
	}
	seen := map[string]bool{http.CanonicalHeaderKey(scheme.SignatureHeader): true}
	for _, h := range append([]string{scheme.TopicHeader, scheme.IDHeader, scheme.EventIDHeader, scheme.TimestampHeader}, scheme.Headers...) {
		h = http.CanonicalHeaderKey(h)
		if h != "" && !seen[h] {
			seen[h] = true
			wr.copied = append(wr.copied, h)
		}
	}
	return wr, nil
}

// ServeHTTP verifies the delivery and hands it on; see WebhookReceiver.
func (wr *WebhookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		wr.reject(w, r, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if !wr.addrAllowed(r.RemoteAddr) {
		wr.reject(w, r, http.StatusForbidden, "remote address not allowed")
		return
	}
	if r.ContentLength > wr.cfg.maxBody {
		wr.reject(w, r, http.StatusRequestEntityTooLarge, "body too large")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, wr.cfg.maxBody))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			wr.reject(w, r, http.StatusRequestEntityTooLarge, "body too large")
		} else {
			wr.reject(w, r, http.StatusBadRequest, "body unreadable")
		}
		return
	}

	sigs := r.Header.Values(wr.scheme.SignatureHeader)
	if len(sigs) == 0 || (len(sigs) == 1 && strings.Trim(sigs[0], " \t") == "") {
		if wr.scheme.AcceptUnsignedPing != nil && wr.scheme.AcceptUnsignedPing(r, body) {
			wr.log(r, slog.LevelInfo, "ping accepted", http.StatusOK)
			respond(w, http.StatusOK)
			return
		}
		wr.reject(w, r, http.StatusUnauthorized, "signature missing")
		return
	}
	if len(sigs) > 1 {
		wr.reject(w, r, http.StatusUnauthorized, "more than one signature")
		return
	}
	sig, ok := decodeSignature(sigs[0], wr.scheme.Prefix, wr.scheme.Encoding)
	if !ok {
		wr.reject(w, r, http.StatusUnauthorized, "signature malformed")
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), wr.cfg.timeout)
	defer cancel()
	secrets, err := wr.secrets(ctx)
	if err != nil {
		wr.fail(w, r, "secret source failed", err)
		return
	}
	switch verifyHMAC(body, sig, secrets) {
	case verifyNoSecret:
		wr.fail(w, r, "no usable secret", nil)
		return
	case verifyMismatch:
		wr.reject(w, r, http.StatusUnauthorized, "signature mismatch")
		return
	}

	now := wr.now()
	var ts time.Time
	if h := wr.scheme.TimestampHeader; h != "" {
		if v := strings.TrimSpace(r.Header.Get(h)); v != "" {
			parse := wr.scheme.ParseTimestamp
			if parse == nil {
				parse = func(s string) (time.Time, error) { return time.Parse(time.RFC3339, s) }
			}
			if ts, err = parse(v); err != nil {
				wr.reject(w, r, http.StatusBadRequest, "timestamp malformed")
				return
			}
			if ts.After(now.Add(wr.cfg.skew)) {
				wr.reject(w, r, http.StatusBadRequest, "timestamp in the future")
				return
			}
			if wr.scheme.MaxAge > 0 && now.Sub(ts) > wr.scheme.MaxAge {
				wr.reject(w, r, http.StatusBadRequest, "timestamp too old")
				return
			}
		}
	}

	id := wr.header(r, wr.scheme.IDHeader)
	if len(id) > maxDeliveryIDLen {
		wr.reject(w, r, http.StatusBadRequest, "delivery id too long")
		return
	}
	ev := WebhookEvent{
		Scheme:     wr.scheme.Name,
		Topic:      wr.header(r, wr.scheme.TopicHeader),
		DeliveryID: id,
		EventID:    wr.header(r, wr.scheme.EventIDHeader),
		Timestamp:  ts,
		Headers:    make(http.Header, len(wr.copied)),
		Body:       body,
	}
	for _, h := range wr.copied {
		if v := r.Header[h]; len(v) > 0 {
			ev.Headers[h] = append([]string(nil), v...)
		}
	}

	if id == "" {
		wr.deliver(ctx, w, r, ev)
		return
	}
	key := wr.scheme.Name + ":" + id
	if wr.scheme.IDNotUnique {
		sum := sha256.Sum256(body)
		key += ":" + hex.EncodeToString(sum[:12])
	}
	wr.deliverOnce(ctx, w, r, ev, key, now)
}

// deliverOnce hands ev on unless its key was seen before. Concurrent
// requests with the same key wait for the first and answer as it does.
func (wr *WebhookReceiver) deliverOnce(ctx context.Context, w http.ResponseWriter, r *http.Request, ev WebhookEvent, key string, now time.Time) {
	wr.mu.Lock()
	if c, ok := wr.inflight[key]; ok {
		wr.mu.Unlock()
		select {
		case <-c.done:
			if c.err != nil {
				wr.fail(w, r, "duplicate of a failed delivery", nil)
				return
			}
			wr.log(r, slog.LevelDebug, "duplicate acknowledged", http.StatusOK)
			respond(w, http.StatusOK)
		case <-ctx.Done():
			wr.fail(w, r, "timed out waiting for the first delivery", ctx.Err())
		}
		return
	}
	c := &webhookCall{done: make(chan struct{})}
	wr.inflight[key] = c
	wr.mu.Unlock()
	defer func() {
		wr.mu.Lock()
		delete(wr.inflight, key)
		wr.mu.Unlock()
		close(c.done)
	}()

	dup, err := wr.cfg.store.Seen(ctx, key, now)
	if err != nil {
		c.err = err
		wr.fail(w, r, "delivery store failed", err)
		return
	}
	if dup {
		wr.log(r, slog.LevelDebug, "duplicate acknowledged", http.StatusOK)
		respond(w, http.StatusOK)
		return
	}
	if c.err = wr.deliver(ctx, w, r, ev); c.err != nil {
		// Forget even when ctx has ended, or the retry would be dropped.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), wr.cfg.timeout)
		defer cancel()
		if err := wr.cfg.store.Forget(fctx, key); err != nil {
			wr.log(r, slog.LevelError, "delivery store forget failed", http.StatusInternalServerError, slog.String("error", err.Error()))
		}
	}
}

// deliver calls the callback and answers by its result.
func (wr *WebhookReceiver) deliver(ctx context.Context, w http.ResponseWriter, r *http.Request, ev WebhookEvent) error {
	err := wr.call(ctx, ev)
	if err != nil {
		wr.fail(w, r, "callback failed", err)
		return err
	}
	wr.log(r, slog.LevelDebug, "delivered", http.StatusOK)
	respond(w, http.StatusOK)
	return nil
}

// call runs the callback, turning a panic into an error so that the delivery
// id is forgotten and the sender retries.
func (wr *WebhookReceiver) call(ctx context.Context, ev WebhookEvent) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("transport: webhook callback panicked: %v", p)
		}
	}()
	return wr.handle(ctx, ev)
}

// header returns the trimmed value of header h, or "" when h is empty.
func (wr *WebhookReceiver) header(r *http.Request, h string) string {
	if h == "" {
		return ""
	}
	return strings.TrimSpace(r.Header.Get(h))
}

// addrAllowed reports whether remote (a RemoteAddr) is in the allowlist.
func (wr *WebhookReceiver) addrAllowed(remote string) bool {
	if len(wr.cfg.allow) == 0 {
		return true
	}
	var a netip.Addr
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		a = ap.Addr()
	} else if a, err = netip.ParseAddr(remote); err != nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range wr.cfg.allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Strict decoders refuse non-zero padding bits, so that one digest has one
// spelling.
var (
	strictBase64    = base64.StdEncoding.Strict()
	strictRawBase64 = base64.RawStdEncoding.Strict()
)

// decodeSignature strips prefix and decodes a header value into a digest of
// exactly sha256.Size bytes.
func decodeSignature(v, prefix string, enc SignatureEncoding) ([]byte, bool) {
	v = strings.Trim(v, " \t")
	if prefix != "" {
		if len(v) < len(prefix) || !strings.EqualFold(v[:len(prefix)], prefix) {
			return nil, false
		}
		v = v[len(prefix):]
	}
	var sig []byte
	var err error
	switch enc {
	case SignatureBase64:
		// The decoder skips CR and LF; a header has none, so refuse them.
		if strings.ContainsAny(v, "\r\n") {
			return nil, false
		}
		if strings.HasSuffix(v, "=") {
			sig, err = strictBase64.DecodeString(v)
		} else {
			sig, err = strictRawBase64.DecodeString(v)
		}
	case SignatureHex:
		sig, err = hex.DecodeString(v)
	default:
		return nil, false
	}
	if err != nil || len(sig) != sha256.Size {
		return nil, false
	}
	return sig, true
}

type verifyResult uint8

const (
	verifyOK verifyResult = iota
	verifyMismatch
	verifyNoSecret
)

// verifyHMAC compares sig with the HMAC-SHA256 of body under every non-empty
// secret in constant time; an empty secret would let anyone sign.
func verifyHMAC(body, sig []byte, secrets [][]byte) verifyResult {
	usable, match := 0, false
	for _, s := range secrets {
		if len(s) == 0 {
			continue
		}
		usable++
		m := hmac.New(sha256.New, s)
		m.Write(body)
		if hmac.Equal(m.Sum(nil), sig) {
			match = true
		}
	}
	switch {
	case usable == 0:
		return verifyNoSecret
	case match:
		return verifyOK
	}
	return verifyMismatch
}

// respond writes a short generic text for code; it never says more than the
// status, so nothing about the expected signature leaks.
func respond(w http.ResponseWriter, code int) {
	http.Error(w, http.StatusText(code), code)
}

// reject answers a refused request with code and logs the reason.
func (wr *WebhookReceiver) reject(w http.ResponseWriter, r *http.Request, code int, reason string) {
	wr.log(r, slog.LevelWarn, reason, code)
	respond(w, code)
}

// fail answers 500 so the sender retries, and logs the reason.
func (wr *WebhookReceiver) fail(w http.ResponseWriter, r *http.Request, reason string, err error) {
	var attrs []slog.Attr
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	wr.log(r, slog.LevelError, reason, http.StatusInternalServerError, attrs...)
	respond(w, http.StatusInternalServerError)
}

// log writes one record about r with its topic and delivery id, shortened:
// those headers are not signed, so they may come from anyone.
func (wr *WebhookReceiver) log(r *http.Request, level slog.Level, msg string, code int, extra ...slog.Attr) {
	ctx := r.Context()
	if !wr.cfg.log.Enabled(ctx, level) {
		return
	}
	attrs := append([]slog.Attr{
		slog.String("scheme", wr.scheme.Name),
		slog.Int("status", code),
		slog.String("topic", clip(wr.header(r, wr.scheme.TopicHeader))),
		slog.String("delivery_id", clip(wr.header(r, wr.scheme.IDHeader))),
		slog.String("remote", clip(r.RemoteAddr)),
	}, extra...)
	wr.cfg.log.LogAttrs(ctx, level, "webhook: "+msg, attrs...)
}

// clip shortens s for a log line.
func clip(s string) string {
	if len(s) > maxLoggedLen {
		s = s[:maxLoggedLen] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}

// memoryDeliveryStore is the default DeliveryStore: ids in insertion order,
// dropped when older than the retention or beyond max entries.
type memoryDeliveryStore struct {
	retention time.Duration
	max       int

	mu    sync.Mutex
	order *list.List // of *memoryDelivery, oldest first
	byID  map[string]*list.Element
}

type memoryDelivery struct {
	id string
	at time.Time
}

func newMemoryDeliveryStore(retention time.Duration, max int) *memoryDeliveryStore {
	return &memoryDeliveryStore{retention: retention, max: max, order: list.New(), byID: make(map[string]*list.Element)}
}

// Seen implements DeliveryStore.
func (s *memoryDeliveryStore) Seen(_ context.Context, id string, at time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for e := s.order.Front(); e != nil && at.Sub(e.Value.(*memoryDelivery).at) >= s.retention; e = s.order.Front() {
		s.remove(e)
	}
	if e, ok := s.byID[id]; ok {
		if at.Sub(e.Value.(*memoryDelivery).at) < s.retention {
			return true, nil
		}
		s.remove(e) // out of order clock: expired but not at the front
	}
	for s.order.Len() >= s.max {
		s.remove(s.order.Front())
	}
	s.byID[id] = s.order.PushBack(&memoryDelivery{id: id, at: at})
	return false, nil
}

// Forget implements DeliveryStore.
func (s *memoryDeliveryStore) Forget(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.byID[id]; ok {
		s.remove(e)
	}
	return nil
}

func (s *memoryDeliveryStore) remove(e *list.Element) {
	delete(s.byID, e.Value.(*memoryDelivery).id)
	s.order.Remove(e)
}

// len returns the number of remembered ids.
func (s *memoryDeliveryStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len()
}
