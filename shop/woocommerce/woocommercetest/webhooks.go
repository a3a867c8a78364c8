package woocommercetest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Webhook is a webhook as GET /webhooks/<id> returns it. Secret, the
// failure count and the pending ping are not in the API's answer; the Go
// accessors report them.
type Webhook struct {
	ID              int64    `json:"id"`
	Name            string   `json:"name"`
	Status          string   `json:"status"` // active, paused, disabled
	Topic           string   `json:"topic"`  // resource.event, such as "order.updated"
	Resource        string   `json:"resource"`
	Event           string   `json:"event"`
	Hooks           []string `json:"hooks"`
	DeliveryURL     string   `json:"delivery_url"`
	DateCreated     string   `json:"date_created"`
	DateCreatedGMT  string   `json:"date_created_gmt"`
	DateModified    *string  `json:"date_modified"` // null until the webhook is first saved again
	DateModifiedGMT *string  `json:"date_modified_gmt"`

	Secret          string `json:"-"`
	FailureCount    int    `json:"-"`
	PendingDelivery bool   `json:"-"` // the activation ping has not been answered with 200 yet
}

type webhookRec struct {
	w        Webhook
	created  time.Time
	modified *time.Time
}

// topicHooks are the action hooks WooCommerce binds each core topic to.
var topicHooks = map[string][]string{
	"coupon.created":   {"woocommerce_process_shop_coupon_meta", "woocommerce_new_coupon"},
	"coupon.updated":   {"woocommerce_process_shop_coupon_meta", "woocommerce_update_coupon"},
	"coupon.deleted":   {"wp_trash_post"},
	"coupon.restored":  {"untrashed_post"},
	"customer.created": {"user_register", "woocommerce_created_customer", "woocommerce_new_customer"},
	"customer.updated": {"profile_update", "woocommerce_update_customer"},
	"customer.deleted": {"delete_user"},
	"order.created":    {"woocommerce_new_order"},
	"order.updated":    {"woocommerce_update_order", "woocommerce_order_refunded"},
	"order.deleted":    {"wp_trash_post"},
	"order.restored":   {"untrashed_post"},
	"product.created":  {"woocommerce_process_product_meta", "woocommerce_new_product", "woocommerce_new_product_variation"},
	"product.updated":  {"woocommerce_process_product_meta", "woocommerce_update_product", "woocommerce_update_product_variation"},
	"product.deleted":  {"wp_trash_post"},
	"product.restored": {"untrashed_post"},
}

// validTopic is wc_is_webhook_valid_topic for core topics (custom
// "action.*" topics are accepted but never fire here).
func validTopic(topic string) bool {
	if strings.HasPrefix(topic, "action.") {
		return len(topic) > len("action.")
	}
	_, ok := topicHooks[topic]
	return ok
}

func (s *Server) renderWebhook(r *webhookRec) Webhook {
	w := r.w
	w.DateCreated, w.DateCreatedGMT = localString(r.created, s.cfg.loc), gmtString(r.created)
	w.DateModified, w.DateModifiedGMT = optTime(r.modified, s.cfg.loc)
	w.Resource, w.Event, _ = strings.Cut(w.Topic, ".")
	w.Hooks = nonNil(topicHooks[w.Topic])
	if w.Resource == "action" {
		w.Hooks = []string{w.Event}
	}
	return w
}

func (s *Server) webhookJSON(r *webhookRec) json.RawMessage {
	return withLinks(s.renderWebhook(r), links("self", s.APIURL()+"/webhooks/"+itoa(r.w.ID), "collection", s.APIURL()+"/webhooks"))
}

var webhookSchema = []field{
	{name: "name", typ: tString},
	{name: "status", typ: tEnum, enum: []string{"active", "paused", "disabled"}},
	{name: "topic", typ: tString},
	{name: "secret", typ: tString},
	{name: "delivery_url", typ: tString},
}

func validDeliveryURL(u string) bool {
	p, err := url.Parse(u)
	return err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != ""
}

// newWebhook stores a webhook (the caller holds mu); the caller sends the
// activation ping after releasing the lock.
func (s *Server) newWebhook(in map[string]any, now time.Time) (*webhookRec, *wpError) {
	topic, _ := in["topic"].(string)
	topic = strings.ToLower(strings.TrimSpace(topic))
	if !validTopic(topic) {
		return nil, newError(http.StatusBadRequest, "woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic is required and must be valid.")
	}
	deliveryURL, _ := in["delivery_url"].(string)
	if !validDeliveryURL(deliveryURL) {
		return nil, newError(http.StatusBadRequest, "woocommerce_rest_shop_webhook_invalid_delivery_url",
			"Webhook delivery URL must be a valid URL starting with http:// or https://.")
	}
	name, _ := in["name"].(string)
	if name == "" {
		name = "Webhook created on " + now.In(s.cfg.loc).Format("Jan 2, 2006 @ 3:04 PM")
	}
	status, _ := in["status"].(string)
	secret, _ := in["secret"].(string)
	r := &webhookRec{created: now, w: Webhook{ID: s.nextWebhook, Name: name, Status: cmpOr(status, "active"), Topic: topic,
		DeliveryURL: deliveryURL, Secret: secret, PendingDelivery: true}}
	s.nextWebhook++
	if r.w.Secret == "" {
		sum := sha256.Sum256([]byte(fmt.Sprintf("webhook secret %d %s", r.w.ID, s.cfg.key)))
		r.w.Secret = base64.RawURLEncoding.EncodeToString(sum[:])[:40]
	}
	s.webhooks[r.w.ID] = r
	return r, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ---- REST handlers ----

func (s *Server) listWebhooks(c *call) (*reply, *wpError) {
	qc := &queryChecker{q: c.q, loc: s.cfg.loc}
	p := s.pagingParams(qc, []string{"date", "id", "include", "title", "slug"}, "date", "desc")
	status := qc.enum("status", "all", []string{"all", "active", "paused", "disabled"})
	include, exclude := qc.ids("include"), qc.ids("exclude")
	if err := qc.err(); err != nil {
		return nil, err
	}
	s.beforeListHook(c, p)
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []listed
	for _, r := range s.webhooks {
		if status != "all" && r.w.Status != status || include != nil && !slices.Contains(include, r.w.ID) || slices.Contains(exclude, r.w.ID) {
			continue
		}
		items = append(items, listed{id: r.w.ID, created: r.created, title: r.w.Name, slug: r.w.Name, body: func() any { return s.webhookJSON(r) }})
	}
	sortListed(items, p, include)
	return s.pageReply(c, items, p), nil
}

func (s *Server) getWebhook(c *call) (*reply, *wpError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, found := s.webhooks[c.ids[0]]
	if !found {
		return nil, newError(http.StatusNotFound, "woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.")
	}
	return ok(s.webhookJSON(r)), nil
}

func (s *Server) createWebhook(c *call) (*reply, *wpError) {
	raw, in, err := s.checkInput(c, webhookSchema)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, k := range []string{"topic", "delivery_url"} {
		if _, given := raw[k]; !given {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, errMissingParams(missing...)
	}
	if id, _ := restInteger(raw["id"]); id != 0 {
		return nil, newError(http.StatusBadRequest, "woocommerce_rest_shop_webhook_exists", "Cannot create existing shop_webhook.")
	}
	s.mu.Lock()
	r, err := s.newWebhook(in, c.now)
	var body json.RawMessage
	if err == nil {
		body = s.webhookJSON(r)
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	_, _ = s.hub.ping(c.r.Context(), r.w.ID) // WooCommerce ignores the ping's outcome here
	return created(body, s.APIURL()+"/webhooks/"+itoa(r.w.ID)), nil
}

func (s *Server) updateWebhook(c *call) (*reply, *wpError) {
	_, in, err := s.checkInput(c, webhookSchema)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	r, found := s.webhooks[c.ids[0]]
	if !found {
		s.mu.Unlock()
		return nil, newError(http.StatusBadRequest, "woocommerce_rest_shop_webhook_invalid_id", "ID is invalid.")
	}
	ping, err := s.saveWebhook(r, in, c.now)
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if ping {
		_, _ = s.hub.ping(c.r.Context(), r.w.ID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return ok(s.webhookJSON(r)), nil
}

// saveWebhook applies an update (the caller holds mu) and reports whether
// WooCommerce's data store would ping: the webhook is active and its
// delivery URL changed or its first ping is still pending.
func (s *Server) saveWebhook(r *webhookRec, in map[string]any, now time.Time) (bool, *wpError) {
	if v, ok := in["topic"].(string); ok && v != "" {
		v = strings.ToLower(v)
		if !validTopic(v) {
			return false, newError(http.StatusBadRequest, "woocommerce_rest_shop_webhook_invalid_topic", "Webhook topic must be valid.")
		}
		r.w.Topic = v
	}
	urlChanged := false
	if v, ok := in["delivery_url"].(string); ok && v != "" {
		if !validDeliveryURL(v) {
			return false, newError(http.StatusBadRequest, "woocommerce_rest_shop_webhook_invalid_delivery_url", "Webhook delivery URL must be a valid URL starting with http:// or https://.")
		}
		urlChanged = v != r.w.DeliveryURL
		r.w.DeliveryURL = v
	}
	if v, ok := in["secret"].(string); ok && v != "" {
		r.w.Secret = v
	}
	if v, ok := in["name"].(string); ok && v != "" {
		r.w.Name = v
	}
	if v, ok := in["status"].(string); ok && v != "" {
		r.w.Status = v // the failure count is kept: one more failure disables a re-enabled webhook again
	}
	t := now
	r.modified = &t
	return r.w.Status == "active" && (urlChanged || r.w.PendingDelivery), nil
}

func (s *Server) deleteWebhook(c *call) (*reply, *wpError) {
	force, _ := restBoolean(c.q.Get("force"))
	s.mu.Lock()
	defer s.mu.Unlock()
	r, found := s.webhooks[c.ids[0]]
	if !found {
		return nil, newError(http.StatusNotFound, "woocommerce_rest_shop_webhook_invalid_id", "Invalid ID.")
	}
	if !force {
		return nil, newError(http.StatusNotImplemented, "woocommerce_rest_trash_not_supported", "Webhooks do not support trashing.")
	}
	body := s.webhookJSON(r)
	delete(s.webhooks, r.w.ID)
	return ok(body), nil
}

// ---- events and deliveries ----

// event is a change that fires resource.event webhooks.
type event struct {
	resource, event string
	id              int64
}

// emit records an event of the call; each resource fires once per request
// and topic, as WC_Webhook::is_already_processed ensures.
func (c *call) emit(resource, ev string, id int64) {
	if c.quiet {
		return
	}
	e := event{resource, ev, id}
	if !slices.Contains(c.events, e) {
		c.events = append(c.events, e)
	}
}

// Delivery is one POST the shop sent to a webhook's delivery URL.
type Delivery struct {
	WebhookID  int64
	Ping       bool        // the unsigned activation ping (body webhook_id=<id>)
	Topic      string      // X-WC-Webhook-Topic; "" for a ping
	ResourceID int64       // the id of the order, product … the delivery is about
	DeliveryID string      // X-WC-Webhook-Delivery-ID
	URL        string      // where it went
	Header     http.Header // the request headers sent
	Body       []byte      // the raw body sent
	Status     int         // the receiver's status; 0 if the request failed
	Err        string      // the transport error, if any
	At         time.Time   // the shop's clock when sent
}

// Succeeded reports whether WooCommerce counts the delivery as delivered:
// a status from 200 to 302 (a ping needs exactly 200).
func (d Delivery) Succeeded() bool {
	if d.Ping {
		return d.Status == http.StatusOK
	}
	return d.Status >= 200 && d.Status < 303
}

type job struct {
	webhookID  int64
	ev         event
	done       chan struct{}
	inProgress bool
}

// deliverer sends webhook deliveries one at a time, in order, like
// WooCommerce's Action Scheduler queue; a change not yet delivered
// coalesces with a later one for the same webhook and resource.
type deliverer struct {
	s      *Server
	client *http.Client
	own    *http.Transport

	ctx    context.Context
	cancel context.CancelFunc
	exited chan struct{}
	wake   chan struct{}

	mu     sync.Mutex
	queue  []*job
	busy   bool
	closed bool
}

func newDeliverer(s *Server) *deliverer {
	d := &deliverer{s: s, exited: make(chan struct{}), wake: make(chan struct{}, 1)}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.client = s.cfg.deliveryClient
	if d.client == nil {
		d.own = &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4}
		d.client = &http.Client{
			Transport:     d.own,
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	go d.run()
	return d
}

func (d *deliverer) close() {
	d.mu.Lock()
	d.closed = true
	for _, j := range d.queue {
		close(j.done)
	}
	d.queue = nil
	d.mu.Unlock()
	d.cancel()
	<-d.exited
	if d.own != nil {
		d.own.CloseIdleConnections()
	}
}

// enqueue schedules the deliveries events fire and returns what to wait
// for.
func (d *deliverer) enqueue(events []event) []chan struct{} {
	if len(events) == 0 {
		return nil
	}
	s := d.s
	s.mu.Lock()
	var targets []job
	for _, e := range events {
		topic := e.resource + "." + e.event
		for _, w := range s.webhookList() {
			if w.w.Status == "active" && w.w.Topic == topic {
				targets = append(targets, job{webhookID: w.w.ID, ev: e})
			}
		}
	}
	s.mu.Unlock()
	if len(targets) == 0 {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	var waits []chan struct{}
	for _, t := range targets {
		idx := slices.IndexFunc(d.queue, func(j *job) bool { return !j.inProgress && j.webhookID == t.webhookID && j.ev == t.ev })
		if idx >= 0 {
			waits = append(waits, d.queue[idx].done)
			continue
		}
		j := &job{webhookID: t.webhookID, ev: t.ev, done: make(chan struct{})}
		d.queue = append(d.queue, j)
		waits = append(waits, j.done)
	}
	select {
	case d.wake <- struct{}{}:
	default:
	}
	return waits
}

// deliverWait schedules and waits for the deliveries of events.
func (d *deliverer) deliverWait(ctx context.Context, events []event) error {
	for _, w := range d.enqueue(events) {
		select {
		case <-w:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (s *Server) webhookList() []*webhookRec {
	out := make([]*webhookRec, 0, len(s.webhooks))
	for _, w := range s.webhooks {
		out = append(out, w)
	}
	slices.SortFunc(out, func(a, b *webhookRec) int { return int(a.w.ID - b.w.ID) })
	return out
}

func (d *deliverer) run() {
	defer close(d.exited)
	for {
		d.mu.Lock()
		var j *job
		if len(d.queue) > 0 {
			j = d.queue[0]
			j.inProgress = true
			d.busy = true
		}
		d.mu.Unlock()
		if j == nil {
			select {
			case <-d.wake:
				continue
			case <-d.ctx.Done():
				return
			}
		}
		d.deliver(j)
		d.mu.Lock()
		if len(d.queue) > 0 && d.queue[0] == j {
			d.queue = d.queue[1:]
			close(j.done)
		}
		d.busy = false
		d.mu.Unlock()
	}
}

// idle reports whether nothing is queued or being sent.
func (d *deliverer) idle() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.queue) == 0 && !d.busy
}

// payload is what WooCommerce delivers for an event: the resource as the
// REST API returns it, or {"id":…} for a deleted one.
func (s *Server) payload(e event, now time.Time) any {
	if e.event == "deleted" {
		return object{{"id", e.id}}
	}
	switch e.resource {
	case "product":
		if r, ok := s.products[e.id]; ok {
			return s.productJSON(r, now)
		}
		if v, ok := s.variations[e.id]; ok {
			return withLinks(s.variationAsProduct(v, now), links("self", s.APIURL()+"/products/"+itoa(v.v.ID), "collection", s.APIURL()+"/products"))
		}
	case "order":
		if r, ok := s.orders[e.id]; ok {
			return s.orderJSON(r)
		}
	case "customer":
		if r, ok := s.customers[e.id]; ok {
			return s.customerJSON(r)
		}
	}
	return object{{"id", e.id}}
}

// wpHash is WordPress' wp_hash: HMAC-MD5 with the site's salt, in hex.
func wpHash(data string) string {
	m := hmac.New(md5.New, []byte("kontor-woocommercetest-salt"))
	m.Write([]byte(data))
	return hex.EncodeToString(m.Sum(nil))
}

// Signature returns the X-WC-Webhook-Signature of body for secret:
// base64 of HMAC-SHA256.
func Signature(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func userAgent() string { return "WooCommerce/" + wcVersion + " Hookshot (WordPress/6.8.1)" }

// deliver sends one delivery as WC_Webhook::deliver: the payload built
// now, signed with the webhook's secret, with a delivery id that is
// wp_hash(webhook id . unix time) and so the same for two deliveries of
// one webhook within a second. Success (200–302) resets the failure count;
// a failure increments it or, once it exceeds the maximum, disables the
// webhook. Nothing is retried.
func (d *deliverer) deliver(j *job) {
	s := d.s
	s.mu.Lock()
	w, found := s.webhooks[j.webhookID]
	if !found || w.w.Status != "active" {
		s.mu.Unlock()
		return
	}
	now := s.now()
	body := phpJSON(s.payload(j.ev, now))
	h := webhookHeader(s.ts.URL, w.w, j.ev.resource+"."+j.ev.event, wpHash(fmt.Sprintf("%d%d", w.w.ID, now.Unix())))
	h.Set("X-WC-Webhook-Signature", Signature(body, w.w.Secret))
	target := w.w.DeliveryURL
	s.mu.Unlock()

	del := d.send(d.ctx, target, h, body)
	del.WebhookID, del.Topic, del.ResourceID, del.At = j.webhookID, j.ev.resource+"."+j.ev.event, j.ev.id, now
	if d.ctx.Err() != nil {
		return // closing: not the receiver's failure
	}
	s.mu.Lock()
	s.deliveries = append(s.deliveries, del)
	ping := false
	if w, found = s.webhooks[j.webhookID]; found {
		if del.Succeeded() {
			w.w.FailureCount = 0
		} else if w.w.FailureCount > s.cfg.maxFailures {
			w.w.Status = "disabled"
		} else {
			w.w.FailureCount++
		}
		t := now
		w.modified = &t
		ping = w.w.Status == "active" && w.w.PendingDelivery
	}
	s.mu.Unlock()
	if ping {
		_, _ = d.ping(d.ctx, j.webhookID)
	}
}

func webhookHeader(site string, w Webhook, topic, deliveryID string) http.Header {
	h := http.Header{}
	h.Set("User-Agent", userAgent())
	h.Set("Content-Type", "application/json")
	h.Set("X-WC-Webhook-Source", site+"/")
	h.Set("X-WC-Webhook-Topic", topic)
	resource, ev, _ := strings.Cut(topic, ".")
	h.Set("X-WC-Webhook-Resource", resource)
	h.Set("X-WC-Webhook-Event", ev)
	h.Set("X-WC-Webhook-ID", itoa(w.ID))
	h.Set("X-WC-Webhook-Delivery-ID", deliveryID)
	return h
}

// send posts body and records the outcome.
func (d *deliverer) send(ctx context.Context, target string, h http.Header, body []byte) Delivery {
	del := Delivery{URL: target, Header: h.Clone(), Body: bytes.Clone(body), DeliveryID: h.Get("X-WC-Webhook-Delivery-ID")}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		del.Err = err.Error()
		return del
	}
	req.Header = h.Clone()
	resp, err := d.client.Do(req)
	if err != nil {
		del.Err = err.Error()
		return del
	}
	var drain [512]byte
	for {
		if _, err := resp.Body.Read(drain[:]); err != nil {
			break
		}
	}
	_ = resp.Body.Close()
	del.Status = resp.StatusCode
	return del
}

// ping sends the activation ping: a form-encoded POST of webhook_id=<id>
// without any X-WC-Webhook header. A 200 clears the pending flag.
func (d *deliverer) ping(ctx context.Context, id int64) (Delivery, error) {
	s := d.s
	s.mu.Lock()
	w, found := s.webhooks[id]
	if !found {
		s.mu.Unlock()
		return Delivery{}, fmt.Errorf("woocommercetest: no webhook %d", id)
	}
	target := w.w.DeliveryURL
	now := s.now()
	s.mu.Unlock()
	h := http.Header{}
	h.Set("User-Agent", userAgent())
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	del := d.send(ctx, target, h, []byte("webhook_id="+itoa(id)))
	del.WebhookID, del.Ping, del.At = id, true, now
	s.mu.Lock()
	s.deliveries = append(s.deliveries, del)
	if w, found = s.webhooks[id]; found && del.Succeeded() {
		w.w.PendingDelivery = false
		t := now
		w.modified = &t
	}
	s.mu.Unlock()
	switch {
	case del.Err != "":
		return del, errors.New("Error: Delivery URL cannot be reached: " + del.Err)
	case !del.Succeeded():
		return del, fmt.Errorf("Error: Delivery URL returned response code: %d", del.Status)
	}
	return del, nil
}

// ---- Go API for webhooks ----

// AddWebhook registers a webhook as POST /webhooks does (status active)
// and sends its activation ping before returning. The ping's failure is
// returned as an error but, as in WooCommerce, the webhook is kept with
// its ping pending (it is pinged again on its next save or delivery).
// An empty secret gets a generated one (see Webhook.Secret).
func (s *Server) AddWebhook(ctx context.Context, topic, deliveryURL, secret string) (Webhook, error) {
	s.mu.Lock()
	r, werr := s.newWebhook(map[string]any{"topic": topic, "delivery_url": deliveryURL, "secret": secret}, s.now())
	s.mu.Unlock()
	if werr != nil {
		return Webhook{}, werr
	}
	_, err := s.hub.ping(ctx, r.w.ID)
	w, _ := s.Webhook(r.w.ID)
	return w, err
}

// SetWebhookStatus sets a webhook's status (active, paused, disabled) as
// PUT /webhooks/<id> does, pinging if the webhook becomes active with its
// ping pending.
func (s *Server) SetWebhookStatus(ctx context.Context, id int64, status string) error {
	s.mu.Lock()
	r, found := s.webhooks[id]
	if !found {
		s.mu.Unlock()
		return fmt.Errorf("woocommercetest: no webhook %d", id)
	}
	ping, werr := s.saveWebhook(r, map[string]any{"status": status}, s.now())
	s.mu.Unlock()
	if werr != nil {
		return werr
	}
	if ping {
		_, err := s.hub.ping(ctx, id)
		return err
	}
	return nil
}

// Webhook returns a webhook with its secret and failure count.
func (s *Server) Webhook(id int64) (Webhook, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, found := s.webhooks[id]
	if !found {
		return Webhook{}, false
	}
	return s.renderWebhook(r), true
}

// Webhooks returns all webhooks by id.
func (s *Server) Webhooks() []Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Webhook
	for _, r := range s.webhookList() {
		out = append(out, s.renderWebhook(r))
	}
	return out
}

// Deliveries returns the deliveries and pings sent so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deliveries)
}

// WaitDeliveries waits until every delivery scheduled so far (including
// those fired by REST requests, which do not wait for them) has been sent.
func (s *Server) WaitDeliveries(ctx context.Context) error {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for !s.hub.idle() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}

// Ping sends a webhook's activation ping again and returns the
// receiver's status.
func (s *Server) Ping(ctx context.Context, webhookID int64) (int, error) {
	d, err := s.hub.ping(ctx, webhookID)
	return d.Status, err
}

// Replay sends a recorded delivery again, byte for byte with the same
// headers (a duplicate, or an attacker's replay). It is not recorded and
// does not touch the webhook's failure count.
func (s *Server) Replay(ctx context.Context, d Delivery) (int, error) {
	out := s.hub.send(ctx, d.URL, d.Header, d.Body)
	if out.Err != "" {
		return 0, errors.New(out.Err)
	}
	return out.Status, nil
}

// SendSigned sends body as a delivery of topic for the webhook, signed
// with its secret and with a fresh delivery id: a way to deliver a payload
// the shop would not produce (malformed JSON, an unknown resource). It is
// not recorded.
func (s *Server) SendSigned(ctx context.Context, webhookID int64, topic string, body []byte) (int, error) {
	return s.sendCrafted(ctx, webhookID, topic, body, true)
}

// SendForged sends body as a delivery of topic for the webhook with the
// right headers but a signature made with a wrong secret, as a forger
// would. It is not recorded.
func (s *Server) SendForged(ctx context.Context, webhookID int64, topic string, body []byte) (int, error) {
	return s.sendCrafted(ctx, webhookID, topic, body, false)
}

func (s *Server) sendCrafted(ctx context.Context, webhookID int64, topic string, body []byte, genuine bool) (int, error) {
	s.mu.Lock()
	w, found := s.webhooks[webhookID]
	if !found {
		s.mu.Unlock()
		return 0, fmt.Errorf("woocommercetest: no webhook %d", webhookID)
	}
	s.nextComment++
	h := webhookHeader(s.ts.URL, w.w, topic, wpHash(fmt.Sprintf("crafted %d %d", webhookID, s.nextComment)))
	secret := w.w.Secret
	target := w.w.DeliveryURL
	s.mu.Unlock()
	if !genuine {
		secret = "forged-" + secret
	}
	h.Set("X-WC-Webhook-Signature", Signature(body, secret))
	out := s.hub.send(ctx, target, h, body)
	if out.Err != "" {
		return 0, errors.New(out.Err)
	}
	return out.Status, nil
}
