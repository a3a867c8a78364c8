package shopifytest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Webhook delivery. A change fires an event; the event becomes one delivery
// per subscription of its topic, each with its own X-Shopify-Webhook-Id and
// the event's X-Shopify-Event-Id, signed with the app secret. One goroutine
// sends the deliveries in the order the events fired. A driving method
// (PlaceOrder, SetStock, ...) returns after its own deliveries were
// attempted; the deliveries of a GraphQL mutation go out in the background,
// as Shopify's do: WaitForWebhooks waits for them.

// The compliance topics are configured in the app's settings, not through
// the API: they go to the URL set with SetComplianceURL.
var complianceTopics = []string{"customers/data_request", "customers/redact", "shop/redact"}

// restTopic maps a WebhookSubscriptionTopic to its REST topic:
// ORDERS_CREATE → orders/create, INVENTORY_LEVELS_UPDATE →
// inventory_levels/update.
func restTopic(topic string) string {
	t := strings.ToLower(topic)
	for _, action := range []string{"data_request"} {
		if rest, ok := strings.CutSuffix(t, "_"+action); ok {
			return rest + "/" + action
		}
	}
	if i := strings.LastIndexByte(t, '_'); i >= 0 {
		return t[:i] + "/" + t[i+1:]
	}
	return t
}

type event struct {
	topic   string // REST topic
	payload any
	at      time.Time
}

// Delivery is one webhook request the server sent, or tried to send.
type Delivery struct {
	ID          string      // X-Shopify-Webhook-Id
	EventID     string      // X-Shopify-Event-Id, shared by the deliveries of one event
	Topic       string      // X-Shopify-Topic, e.g. "orders/create"
	URL         string      // where it went
	Body        []byte      // the raw, signed body
	Header      http.Header // the headers sent
	TriggeredAt time.Time   // X-Shopify-Triggered-At
	Attempts    int         // requests made
	Status      int         // HTTP status of the last attempt; 0 when it got no answer
	Err         string      // transport error of the last attempt
	Delivered   bool        // the last attempt was answered 2xx
}

type dispatcher struct {
	srv *Server

	mu         sync.Mutex
	queue      []*Delivery
	pending    int
	idle       chan struct{}
	wake       chan struct{}
	log        []*Delivery
	eventSeq   int
	hookSeq    int
	compliance string
	stopped    bool
	done       chan struct{}
}

func newDispatcher(s *Server) *dispatcher {
	d := &dispatcher{srv: s, idle: make(chan struct{}), wake: make(chan struct{}, 1), done: make(chan struct{})}
	close(d.idle)
	go d.run()
	return d
}

var idNamespace = uuid.MustParse("6ba7b811-9dad-11d1-80b4-00c04fd430c8")

func (d *dispatcher) nextEventID() string {
	d.eventSeq++
	return uuid.NewSHA1(idNamespace, fmt.Appendf(nil, "shopifytest-event-%d", d.eventSeq)).String()
}

func (d *dispatcher) nextHookID() string {
	d.hookSeq++
	return uuid.NewSHA1(idNamespace, fmt.Appendf(nil, "shopifytest-webhook-%d", d.hookSeq)).String()
}

// deliveries builds the deliveries of events for the current
// subscriptions.
func (d *dispatcher) deliveries(events []event) []*Delivery {
	if len(events) == 0 {
		return nil
	}
	type target struct {
		uri, version string
		include      []string
	}
	s := d.srv
	s.mu.RLock()
	subs := map[string][]target{}
	for _, w := range s.st.webhooks {
		rt := restTopic(w.topic)
		subs[rt] = append(subs[rt], target{w.uri, w.version, w.includeFields})
	}
	s.mu.RUnlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []*Delivery
	for _, ev := range events {
		targets := subs[ev.topic]
		if slices.Contains(complianceTopics, ev.topic) && d.compliance != "" {
			targets = []target{{uri: d.compliance, version: s.versions[len(s.versions)-1]}}
		}
		if len(targets) == 0 {
			continue
		}
		eventID := d.nextEventID()
		for _, t := range targets {
			body, _ := json.Marshal(includeOnly(ev.payload, t.include))
			h := http.Header{}
			h.Set("Content-Type", "application/json")
			h.Set("User-Agent", "Shopify-Captain-Hook")
			h.Set("X-Shopify-Topic", ev.topic)
			h.Set("X-Shopify-Hmac-Sha256", sign(s.cfg.secret, body))
			h.Set("X-Shopify-Shop-Domain", s.cfg.domain)
			h.Set("X-Shopify-API-Version", t.version)
			hookID := d.nextHookID()
			h.Set("X-Shopify-Webhook-Id", hookID)
			h.Set("X-Shopify-Event-Id", eventID)
			h.Set("X-Shopify-Triggered-At", ev.at.UTC().Format(time.RFC3339Nano))
			out = append(out, &Delivery{ID: hookID, EventID: eventID, Topic: ev.topic, URL: t.uri, Body: body, Header: h, TriggeredAt: ev.at})
		}
	}
	return out
}

// includeOnly keeps the top-level keys a subscription's includeFields
// names.
func includeOnly(payload any, include []string) any {
	m, ok := payload.(map[string]any)
	if !ok || len(include) == 0 {
		return payload
	}
	out := map[string]any{}
	for _, k := range include {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// enqueue queues the deliveries of events and returns them.
func (d *dispatcher) enqueue(events []event) []*Delivery {
	ds := d.deliveries(events)
	if len(ds) == 0 {
		return nil
	}
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return nil
	}
	if d.pending == 0 {
		d.idle = make(chan struct{})
	}
	d.pending += len(ds)
	d.queue = append(d.queue, ds...)
	d.log = append(d.log, ds...)
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
	return ds
}

// wait blocks until every queued delivery was attempted.
func (d *dispatcher) wait(ctx context.Context) error {
	d.mu.Lock()
	idle := d.idle
	d.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (d *dispatcher) run() {
	defer close(d.done)
	for {
		select {
		case <-d.srv.closing:
			d.stop()
			return
		default:
		}
		d.mu.Lock()
		if d.stopped {
			d.mu.Unlock()
			return
		}
		var job *Delivery
		if len(d.queue) > 0 {
			job = d.queue[0]
			d.queue = d.queue[1:]
		}
		d.mu.Unlock()
		if job == nil {
			select {
			case <-d.wake:
				continue
			case <-d.srv.closing:
				d.stop()
				return
			}
		}
		d.attempt(job, d.srv.cfg.hookRetries)
		d.mu.Lock()
		d.pending--
		if d.pending == 0 {
			close(d.idle)
		}
		d.mu.Unlock()
	}
}

// attempt sends a delivery, retrying up to retries times.
func (d *dispatcher) attempt(job *Delivery, retries int) {
	for i := 0; ; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-d.srv.closing:
				cancel()
			case <-ctx.Done():
			}
		}()
		status, err := d.post(ctx, job.URL, job.Header, job.Body)
		cancel()
		d.mu.Lock()
		job.Attempts++
		job.Status = status
		job.Err = ""
		if err != nil {
			job.Err = err.Error()
		}
		job.Delivered = err == nil && status >= 200 && status < 300
		ok := job.Delivered
		d.mu.Unlock()
		if ok {
			d.srv.count(func(st *Stats) { st.WebhooksSent++ })
			return
		}
		d.srv.count(func(st *Stats) { st.WebhooksFailed++ })
		if i >= retries {
			return
		}
		select {
		case <-time.After(d.srv.cfg.hookBackoff):
		case <-d.srv.closing:
			return
		}
	}
}

func (d *dispatcher) post(ctx context.Context, uri string, h http.Header, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header = h.Clone()
	// A nil value marks the request as safe to resend on a pooled
	// connection the receiver had closed, without sending the header.
	req.Header["X-Idempotency-Key"] = nil
	resp, err := d.srv.cfg.hookClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

func (d *dispatcher) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	d.stopped = true
	d.queue = nil
	if d.pending > 0 {
		d.pending = 0
		close(d.idle)
	}
}

func (d *dispatcher) close() {
	select {
	case <-d.done:
	default:
		<-d.done
	}
}

// snapshot copies the log.
func (d *dispatcher) snapshot() []Delivery {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Delivery, len(d.log))
	for i, x := range d.log {
		out[i] = *x
		out[i].Header = x.Header.Clone()
		out[i].Body = slices.Clone(x.Body)
	}
	return out
}

// ---------------------------------------------------------------- public API

// Subscribe registers uri for topic (a WebhookSubscriptionTopic such as
// ORDERS_CREATE, or a REST topic such as orders/create), as
// webhookSubscriptionCreate does, and returns the subscription's ID.
func (s *Server) Subscribe(topic, uri string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := strings.ToUpper(strings.ReplaceAll(topic, "/", "_"))
	if ue := s.addWebhook(t, uri, "JSON", nil, nil, "", s.versions[len(s.versions)-1]); ue != nil {
		return "", errors.New(ue.Message)
	}
	return s.st.webhooks[len(s.st.webhooks)-1].id, nil
}

// addWebhook adds a subscription, or returns the user error Shopify gives.
// Callers hold s.mu.
func (s *Server) addWebhook(topic, uri, format string, include, namespaces []string, filter, version string) *userError {
	if uri == "" {
		return uerr("", "Address can't be blank", "webhookSubscription", "callbackUrl")
	}
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" {
		return uerr("", "Address is invalid", "webhookSubscription", "callbackUrl")
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopback(u.Hostname()):
	default:
		return uerr("", "Address protocol "+u.Scheme+":// is not supported", "webhookSubscription", "callbackUrl")
	}
	for _, w := range s.st.webhooks {
		if w.topic == topic && w.uri == uri {
			return uerr("", "Address for this topic has already been taken", "webhookSubscription", "callbackUrl")
		}
	}
	now := s.cfg.now()
	id, n := s.st.newID("WebhookSubscription")
	w := &webhookSub{
		id: id, num: n, topic: topic, uri: uri, format: format, includeFields: include,
		metafieldSpaces: namespaces, filter: filter, version: version, createdAt: now, updatedAt: now,
	}
	s.st.webhooks = append(s.st.webhooks, w)
	s.st.nodes[id] = w
	return nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1" || strings.HasPrefix(host, "127.")
}

// SetComplianceURL sets where the mandatory compliance webhooks
// (customers/data_request, customers/redact, shop/redact) go; apps
// configure it in their settings, not through the API.
func (s *Server) SetComplianceURL(uri string) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.compliance = uri
}

// Deliveries returns every delivery so far, oldest first.
func (s *Server) Deliveries() []Delivery { return s.hooks.snapshot() }

// WaitForWebhooks waits until every delivery queued so far was attempted.
func (s *Server) WaitForWebhooks(ctx context.Context) error { return s.hooks.wait(ctx) }

// Redeliver sends the delivery with the webhook ID id again, unchanged:
// the same body, signature, X-Shopify-Webhook-Id, X-Shopify-Event-Id and
// X-Shopify-Triggered-At, as Shopify's retries are. It returns the updated
// delivery.
func (s *Server) Redeliver(ctx context.Context, id string) (Delivery, error) {
	var job *Delivery
	s.hooks.mu.Lock()
	for _, d := range s.hooks.log {
		if d.ID == id {
			job = d
		}
	}
	s.hooks.mu.Unlock()
	if job == nil {
		return Delivery{}, fmt.Errorf("shopifytest: no delivery %q", id)
	}
	status, err := s.hooks.post(ctx, job.URL, job.Header, job.Body)
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	job.Attempts++
	job.Status, job.Err = status, ""
	if err != nil {
		job.Err = err.Error()
	}
	job.Delivered = err == nil && status >= 200 && status < 300
	out := *job
	out.Header = job.Header.Clone()
	return out, err
}

// SendWebhook fires an event of topic (a REST topic such as
// "orders/updated") with payload, marshalled as JSON, to every subscriber,
// and waits for the deliveries.
func (s *Server) SendWebhook(ctx context.Context, topic string, payload any) ([]Delivery, error) {
	return s.fire(ctx, []event{{topic: topic, payload: payload, at: s.cfg.now()}})
}

// fire queues events and waits for their deliveries.
func (s *Server) fire(ctx context.Context, events []event) ([]Delivery, error) {
	ds := s.hooks.enqueue(events)
	if err := s.hooks.wait(ctx); err != nil {
		return nil, err
	}
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	out := make([]Delivery, len(ds))
	for i, d := range ds {
		out[i] = *d
		out[i].Header = d.Header.Clone()
	}
	return out, nil
}

// SendForged posts body to uri as a webhook of topic with every Shopify
// header, but signed with a secret other than the app's: a forgery a
// receiver must refuse with 401. It returns the HTTP status.
func (s *Server) SendForged(ctx context.Context, uri, topic string, body []byte) (int, error) {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Shopify-Topic", topic)
	h.Set("X-Shopify-Hmac-Sha256", sign("not-"+s.cfg.secret, body))
	h.Set("X-Shopify-Shop-Domain", s.cfg.domain)
	h.Set("X-Shopify-API-Version", s.versions[len(s.versions)-1])
	h.Set("X-Shopify-Webhook-Id", uuid.NewSHA1(idNamespace, append([]byte("forged-"), body...)).String())
	h.Set("X-Shopify-Event-Id", uuid.NewSHA1(idNamespace, append([]byte("forged-event-"), body...)).String())
	h.Set("X-Shopify-Triggered-At", s.cfg.now().UTC().Format(time.RFC3339Nano))
	return s.hooks.post(ctx, uri, h, body)
}
