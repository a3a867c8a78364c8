package businesscentral

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kontor-dev/kontor"
)

// Webhook defaults and limits.
const (
	// DefaultRenewBefore is how long before its expiry Maintain renews a
	// subscription; subscriptions live three days.
	DefaultRenewBefore = 24 * time.Hour
	// maxClientState is the longest client state accepted: the v2.0 docs
	// allow 2048 characters, the beta ones 250, so 250 is safe on both.
	maxClientState = 250
	// maxNotificationBody bounds a notification delivery.
	maxNotificationBody = 1 << 20
	// maxValidationToken bounds the handshake token echoed.
	maxValidationToken = 4096
)

// DefaultWebhookResources are the standard API's entity sets subscribed
// to by default: what the connector reads and Business Central announces.
// The standard API announces no stock and no shipment (a shipment shows
// as a change of its sales order); the custom API pages of WithStockPage
// and WithTrackingPage do, and when they are configured the default
// WebhookConfig.Resources adds them ("{Route}/{EntitySet}", subscribed
// at their own API's subscriptions endpoint).
var DefaultWebhookResources = []string{"items", "customers", "salesOrders", "salesInvoices", "salesCreditMemos"}

// WebhookConfig configures Business Central's change notifications.
type WebhookConfig struct {
	// NotificationURL is the public https URL at which the Handler is
	// served.
	NotificationURL string
	// ClientState is the shared secret Business Central sends back with
	// every notification, at most 250 characters; generate a long random
	// one and keep it like a password.
	ClientState string
	// PreviousClientStates are still accepted on notifications, while
	// Maintain moves the subscriptions to a new ClientState.
	PreviousClientStates []string
	// Resources are the company's entity sets to subscribe to: a
	// standard API set by its name ("items"), the custom API page of
	// WithStockPage or WithTrackingPage as "{Route}/{EntitySet}"
	// ("contoso/shop/v1.0/stockLevels"). Default: DefaultWebhookResources
	// and the configured pages. A custom page that is not configured is
	// refused: its notifications would concern no entity.
	Resources []string
	// RenewBefore is how long before expiry a subscription is renewed
	// (default DefaultRenewBefore).
	RenewBefore time.Duration
}

// Webhooks manages the connector's subscriptions and receives their
// notifications.
type Webhooks struct {
	c     *Connector
	cfg   WebhookConfig
	res   []hookResource // cfg.Resources resolved
	pages []hookResource // the configured custom API pages
}

// hookResource is an entity set subscriptions are made to: of the
// standard API, or a configured custom API page, which lives under its
// own route with its own subscriptions endpoint.
type hookResource struct {
	route    string          // "publisher/group/version"; "" is the standard API (v2.0)
	set      string          // the entity set
	entities []kontor.Entity // a custom page's entities
}

// name is the resource as WebhookConfig.Resources names it.
func (r hookResource) name() string {
	if r.route == "" {
		return r.set
	}
	return r.route + "/" + r.set
}

// path is the subscription resource: the entity set of the company.
func (r hookResource) path(company string) string {
	route := r.route
	if route == "" {
		route = "v2.0"
	}
	return "/api/" + route + "/" + companyPath(company, r.set)
}

// customPages returns the connector's configured custom API pages that
// Business Central can announce changes of.
func (c *Connector) customPages() []hookResource {
	var out []hookResource
	if p := c.opt.stock; p != nil {
		out = append(out, hookResource{route: normRoute(p.Route), set: p.EntitySet, entities: []kontor.Entity{kontor.EntityStock}})
	}
	if p := c.opt.tracking; p != nil {
		out = append(out, hookResource{route: normRoute(p.Route), set: p.EntitySet, entities: []kontor.Entity{kontor.EntityShipment}})
	}
	return out
}

// normRoute trims a route's slashes and a leading "api/"; the standard
// API's route (v2.0) is "".
func normRoute(route string) string {
	route = strings.Trim(route, "/")
	if len(route) > 4 && strings.EqualFold(route[:4], "api/") {
		route = route[4:]
	}
	if strings.EqualFold(route, "v2.0") {
		return ""
	}
	return route
}

// resolve finds the resource WebhookConfig.Resources or Subscribe names.
func (w *Webhooks) resolve(name string) (hookResource, error) {
	name = strings.Trim(name, "/")
	i := strings.LastIndexByte(name, '/')
	if i < 0 {
		if name == "" {
			return hookResource{}, errors.New("businesscentral: an empty webhook resource")
		}
		return hookResource{set: name}, nil
	}
	route, set := normRoute(name[:i]), name[i+1:]
	if route == "" && set != "" {
		return hookResource{set: set}, nil
	}
	for _, p := range w.pages {
		if strings.EqualFold(p.route, route) && strings.EqualFold(p.set, set) {
			return p, nil
		}
	}
	return hookResource{}, fmt.Errorf("businesscentral: webhook resource %q is no configured custom API page (WithStockPage, WithTrackingPage)", name)
}

// routeOf returns the API route of a resource path ("/api/{route}/companies(…)/…"
// or an absolute URL): "" for the standard API v2.0, else "v1.0", "beta"
// or a custom API's "publisher/group/version".
func routeOf(resource string) string {
	if i := strings.IndexByte(resource, '?'); i >= 0 {
		resource = resource[:i]
	}
	segs := strings.Split(strings.Trim(resource, "/"), "/")
	n := -1
	for i, seg := range segs {
		if len(seg) > 10 && strings.EqualFold(seg[:10], "companies(") {
			n = i
			break
		}
	}
	switch {
	case n >= 4 && strings.EqualFold(segs[n-4], "api"):
		return normRoute(strings.Join(segs[n-3:n], "/"))
	case n >= 2 && strings.EqualFold(segs[n-2], "api"):
		return normRoute(segs[n-1])
	}
	return ""
}

// Webhooks returns the webhook side of the connector.
func (c *Connector) Webhooks(cfg WebhookConfig) (*Webhooks, error) {
	u, err := url.Parse(cfg.NotificationURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("businesscentral: WebhookConfig needs an absolute NotificationURL")
	}
	if cfg.ClientState == "" || len(cfg.ClientState) > maxClientState {
		return nil, fmt.Errorf("businesscentral: WebhookConfig needs a ClientState of 1 to %d characters", maxClientState)
	}
	w := &Webhooks{c: c, pages: c.customPages()}
	if len(cfg.Resources) == 0 {
		cfg.Resources = slices.Clone(DefaultWebhookResources)
		for _, p := range w.pages {
			cfg.Resources = append(cfg.Resources, p.name())
		}
	}
	cfg.Resources = slices.Clone(cfg.Resources)
	for _, name := range cfg.Resources {
		r, err := w.resolve(name)
		if err != nil {
			return nil, err
		}
		w.res = append(w.res, r)
	}
	if cfg.RenewBefore <= 0 {
		cfg.RenewBefore = DefaultRenewBefore
	}
	w.cfg = cfg
	return w, nil
}

// Subscription is a webhook subscription of the environment.
type Subscription struct {
	ID              string `json:"subscriptionId"`  // the key in subscriptions('id')
	NotificationURL string `json:"notificationUrl"` // where notifications go
	// Resource is the entity set subscribed to, e.g.
	// /api/v2.0/companies(id)/items, or a custom API page's
	// /api/{publisher}/{group}/{version}/companies(id)/{set}, whose
	// subscription lives at that API's own subscriptions endpoint.
	Resource    string    `json:"resource"`
	ClientState string    `json:"clientState"`        // the shared secret notifications carry
	ExpiresAt   time.Time `json:"expirationDateTime"` // three days after creation or renewal
	ETag        string    `json:"@odata.etag"`        // for If-Match on renewal and deletion
}

// subscriptionBody is what a create or renewal sends.
type subscriptionBody struct {
	NotificationURL string `json:"notificationUrl"`
	Resource        string `json:"resource"`
	ClientState     string `json:"clientState"`
}

// sameResource compares subscription resources, which Business Central
// may return with or without the leading slash.
func sameResource(a, b string) bool {
	return strings.EqualFold(strings.TrimPrefix(a, "/"), strings.TrimPrefix(b, "/"))
}

// routes returns the APIs whose subscriptions endpoints hold this
// webhook's subscriptions: the standard API ("") first, then each custom
// API of the configured resources.
func (w *Webhooks) routes() []string {
	out := []string{""}
	for _, r := range w.res {
		if !slices.ContainsFunc(out, func(s string) bool { return strings.EqualFold(s, r.route) }) {
			out = append(out, r.route)
		}
	}
	return out
}

// Subscriptions lists the environment's subscriptions to this webhook's
// notification URL, at the standard API's subscriptions endpoint and at
// those of the custom APIs among the resources.
func (w *Webhooks) Subscriptions(ctx context.Context) ([]Subscription, error) {
	var out []Subscription
	for _, route := range w.routes() {
		subs, err := w.list(ctx, route)
		if err != nil {
			return nil, err
		}
		for _, s := range subs {
			if !slices.ContainsFunc(out, func(o Subscription) bool { return o.ID == s.ID }) {
				out = append(out, s)
			}
		}
	}
	return out, nil
}

// list lists the subscriptions to this webhook's notification URL at the
// subscriptions endpoint of an API.
func (w *Webhooks) list(ctx context.Context, route string) ([]Subscription, error) {
	var out []Subscription
	for raw, err := range w.c.collection(ctx, w.c.routeURL(route, "subscriptions"), nil) {
		if err != nil {
			return nil, err
		}
		var s Subscription
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, kontor.NewError(kontor.KindUnknown, System+" GET subscriptions", errors.New(jsonProblem(err)))
		}
		if s.NotificationURL == w.cfg.NotificationURL {
			out = append(out, s)
		}
	}
	return out, nil
}

// subscriptionURL is the URL of one subscription, at the subscriptions
// endpoint of its resource's API: its key is a string.
func (w *Webhooks) subscriptionURL(s Subscription) string {
	return w.c.routeURL(routeOf(s.Resource), "subscriptions("+url.PathEscape(quote(s.ID))+")")
}

// Subscribe creates a subscription to the company's entity set: a
// standard API set ("items"), or a configured custom API page as
// "{Route}/{EntitySet}" (see WebhookConfig.Resources), at that API's own
// subscriptions endpoint. Business Central calls the notification URL
// with a validationToken before it answers, so the Handler must be
// reachable.
func (w *Webhooks) Subscribe(ctx context.Context, set string) (Subscription, error) {
	r, err := w.resolve(set)
	if err != nil {
		return Subscription{}, err
	}
	company, err := w.c.CompanyID(ctx)
	if err != nil {
		return Subscription{}, err
	}
	return w.subscribe(ctx, company, r)
}

func (w *Webhooks) subscribe(ctx context.Context, company string, r hookResource) (Subscription, error) {
	var s Subscription
	_, err := w.c.do(ctx, request{method: http.MethodPost, url: w.c.routeURL(r.route, "subscriptions"), body: subscriptionBody{
		NotificationURL: w.cfg.NotificationURL, Resource: r.path(company), ClientState: w.cfg.ClientState,
	}}, &s)
	return s, err
}

// Renew extends a subscription by another three days, with the current
// client state; Business Central shakes hands again first.
func (w *Webhooks) Renew(ctx context.Context, s Subscription) (Subscription, error) {
	var out Subscription
	etag := s.ETag
	if etag == "" {
		etag = "*"
	}
	_, err := w.c.do(ctx, request{method: http.MethodPatch, url: w.subscriptionURL(s), safe: true,
		header: http.Header{"If-Match": {etag}},
		body:   subscriptionBody{NotificationURL: w.cfg.NotificationURL, Resource: s.Resource, ClientState: w.cfg.ClientState}}, &out)
	return out, err
}

// Unsubscribe deletes a subscription.
func (w *Webhooks) Unsubscribe(ctx context.Context, s Subscription) error {
	etag := s.ETag
	if etag == "" {
		etag = "*"
	}
	_, err := w.c.do(ctx, request{method: http.MethodDelete, url: w.subscriptionURL(s),
		header: http.Header{"If-Match": {etag}}}, nil)
	if kontor.KindOf(err) == kontor.KindNotFound {
		return nil
	}
	return err
}

// MaintainReport says what Maintain did.
type MaintainReport struct {
	Created []Subscription // made: missing, expired or deleted before
	Renewed []Subscription // extended by three days (or moved to the new client state)
	Kept    []Subscription // fresh enough to be left alone
	Deleted []Subscription // duplicates and expired ones cleared away
}

// Maintain keeps one live subscription per configured resource, the
// custom API pages included: it creates the missing ones (never made,
// expired, or deleted by Business Central after a failed delivery),
// renews those expiring within RenewBefore or still on an old client
// state, and deletes duplicates. Each API's subscriptions are managed at
// its own subscriptions endpoint. Call it at start-up and then
// periodically, more often than RenewBefore (hourly is plenty). A
// resource that fails (or a custom API that cannot be reached) does not
// stop the others; the error joins their failures.
func (w *Webhooks) Maintain(ctx context.Context) (MaintainReport, error) {
	var rep MaintainReport
	company, err := w.c.CompanyID(ctx)
	if err != nil {
		return rep, err
	}
	now := w.c.opt.now()
	var errs []error
	for _, route := range w.routes() {
		var subs []Subscription
		listed := false
		for _, r := range w.res {
			if !strings.EqualFold(r.route, route) {
				continue
			}
			if !listed {
				listed = true
				if subs, err = w.list(ctx, route); err != nil {
					if route == "" {
						return rep, err // the standard API: nothing can be done
					}
					errs = append(errs, fmt.Errorf("listing the subscriptions of api/%s: %w", route, err))
					break
				}
			}
			if err := w.maintain(ctx, &rep, company, r, subs, now); err != nil {
				errs = append(errs, err)
			}
		}
	}
	w.c.logger.LogAttrs(ctx, slog.LevelInfo, "businesscentral: webhook subscriptions maintained",
		slog.Int("created", len(rep.Created)), slog.Int("renewed", len(rep.Renewed)),
		slog.Int("kept", len(rep.Kept)), slog.Int("deleted", len(rep.Deleted)), slog.Int("failed", len(errs)))
	return rep, errors.Join(errs...)
}

// maintain keeps one live subscription to r among subs, those of its API.
func (w *Webhooks) maintain(ctx context.Context, rep *MaintainReport, company string, r hookResource, subs []Subscription, now time.Time) error {
	res := r.path(company)
	var mine []Subscription
	for _, s := range subs {
		if sameResource(s.Resource, res) {
			mine = append(mine, s)
		}
	}
	slices.SortFunc(mine, func(a, b Subscription) int { return b.ExpiresAt.Compare(a.ExpiresAt) })
	keep := min(1, len(mine))
	if keep == 1 && !mine[0].ExpiresAt.After(now) {
		keep = 0 // all expired: clear them away and start afresh
	}
	var errs []error
	for _, extra := range mine[keep:] {
		if err := w.Unsubscribe(ctx, extra); err != nil {
			errs = append(errs, fmt.Errorf("deleting a duplicate subscription to %s: %w", r.name(), err))
			continue
		}
		rep.Deleted = append(rep.Deleted, extra)
	}
	if keep == 0 {
		s, err := w.subscribe(ctx, company, r)
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("subscribing to %s: %w", r.name(), err))...)
		}
		rep.Created = append(rep.Created, s)
		return errors.Join(errs...)
	}
	cur := mine[0]
	if cur.ExpiresAt.Sub(now) > w.cfg.RenewBefore && cur.ClientState == w.cfg.ClientState {
		rep.Kept = append(rep.Kept, cur)
		return errors.Join(errs...)
	}
	s, err := w.Renew(ctx, cur)
	switch kontor.KindOf(err) {
	case kontor.KindNotFound: // deleted meanwhile
		s, err = w.subscribe(ctx, company, r)
		if err == nil {
			rep.Created = append(rep.Created, s)
			return errors.Join(errs...)
		}
	case kontor.KindConflict: // changed meanwhile: renew what is there now
		cur.ETag = "*"
		s, err = w.Renew(ctx, cur)
	}
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("renewing the subscription to %s: %w", r.name(), err))...)
	}
	rep.Renewed = append(rep.Renewed, s)
	return errors.Join(errs...)
}

// Notification is one change Business Central reports.
type Notification struct {
	SubscriptionID string    `json:"subscriptionId"`     // the subscription it comes from
	ClientState    string    `json:"clientState"`        // the subscription's secret, verified by the Handler
	ExpiresAt      time.Time `json:"expirationDateTime"` // the subscription's expiry
	// Resource is the record changed, e.g.
	// api/v2.0/companies(id)/items(id), or a collection with a $filter.
	Resource string `json:"resource"`
	// ChangeType is "created", "updated", "deleted" or "collection"
	// (more than 1,000 changes in the 30 s the service gathers them: the
	// resource then holds a $filter on lastModifiedDateTime).
	ChangeType   string    `json:"changeType"`
	LastModified time.Time `json:"lastModifiedDateTime"` // when the record changed
}

// ParseNotifications decodes a notification delivery ({"value":[…]}),
// with or without a byte order mark.
func ParseNotifications(body []byte) ([]Notification, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	var d struct {
		Value *[]Notification `json:"value"`
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return nil, fmt.Errorf("businesscentral: notification: %s", jsonProblem(err))
	}
	if d.Value == nil {
		return nil, errors.New("businesscentral: notification: no value array")
	}
	return *d.Value, nil
}

// entitiesOf says which kontor entities a change of an entity set may
// concern: an item is a product and its price; a sales order's change
// (a line shipped included) is an order (its status) and maybe a
// shipment; an invoice an order (its payment status); a credit memo a
// return. Capabilities().Events lists these.
func entitiesOf(set string) []kontor.Entity {
	switch strings.ToLower(set) {
	case "items":
		return []kontor.Entity{kontor.EntityProduct, kontor.EntityPrice}
	case "itemvariants":
		return []kontor.Entity{kontor.EntityProduct}
	case "customers":
		return []kontor.Entity{kontor.EntityCustomer}
	case "salesorders":
		return []kontor.Entity{kontor.EntityOrder, kontor.EntityShipment}
	case "salesinvoices":
		return []kontor.Entity{kontor.EntityOrder}
	case "salescreditmemos":
		return []kontor.Entity{kontor.EntityReturn}
	}
	return nil
}

// Events turns a notification of the standard API into the events it
// announces, one per entity it may concern. They carry no payload: each
// makes the engine read the entity's changes since its cursor, which for
// a "collection" notification is the filtered delta read it asks for.
// They carry no Key either: the resource names the record by its GUID,
// not by the entity's key (a SKU, an order number), which is what the
// engine takes kontor.Event.Key for. ID is the same for a repeated
// delivery, so the engine drops repeats. A custom API page's
// notification gives none here: the Handler of the Webhooks it was
// subscribed with knows the configured pages and turns it into events
// of stock (WithStockPage) or shipments (WithTrackingPage).
func (n Notification) Events() []kontor.Event {
	if strings.Contains(routeOf(n.Resource), "/") {
		return nil
	}
	return n.events(entitiesOf(entitySetOf(n.Resource)))
}

// events turns a notification into one event per entity.
func (n Notification) events(entities []kontor.Entity) []kontor.Event {
	if len(entities) == 0 {
		return nil
	}
	set := entitySetOf(n.Resource)
	// The resource names the record by its id, not by the entity's key (a
	// SKU, an order number): the events carry no Key and no payload, so
	// each is a bare hint that makes the engine read what changed.
	h := sha256.Sum256([]byte(n.SubscriptionID + "\x00" + n.Resource + "\x00" + n.ChangeType + "\x00" +
		n.LastModified.UTC().Format(time.RFC3339Nano)))
	id := hex.EncodeToString(h[:16])
	out := make([]kontor.Event, 0, len(entities))
	for _, e := range entities {
		out = append(out, kontor.Event{
			ID: id + "/" + string(e), Topic: set + "/" + n.ChangeType, Entity: e, At: n.LastModified,
		})
	}
	return out
}

// events turns a notification into its events: by its entity set for the
// standard API, by the configured page for a custom API.
func (w *Webhooks) events(n Notification) []kontor.Event {
	route := routeOf(n.Resource)
	if !strings.Contains(route, "/") {
		return n.Events()
	}
	set := entitySetOf(n.Resource)
	for _, p := range w.pages {
		if strings.EqualFold(p.route, route) && strings.EqualFold(p.set, set) {
			return n.events(p.entities)
		}
	}
	return nil
}

// Handler returns the notification endpoint, to serve at the
// NotificationURL:
//
//   - a request with a validationToken query parameter is the handshake
//     of a subscription's creation or renewal: it is answered 200 with the
//     token as text/plain;
//   - a notification delivery is verified by its clientState, compared in
//     constant time with ClientState and PreviousClientStates.
//     Notifications with another client state are dropped; when none is
//     left the delivery is answered 401, which is not a status Business
//     Central retries: a delivery of a subscription that is not ours (or
//     one on a rotated-out secret) makes it delete that subscription,
//     which Maintain then recreates, and a forged one gets nothing. A
//     delivery that is not a notification is answered 400;
//   - each verified notification is handed to events as kontor.Events
//     (see Notification.Events; those of the configured custom API pages
//     have Entity stock or shipment); when events fails the delivery is
//     answered 503, which Business Central retries (for up to 36 hours),
//     else 200.
//
// Notifications are hints: the engine's sweep reconciles whatever one
// missed.
func (w *Webhooks) Handler(events kontor.EventHandler) http.Handler {
	states := append([]string{w.cfg.ClientState}, w.cfg.PreviousClientStates...)
	logger := w.c.logger
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		q := r.URL.Query()
		if q.Has("validationToken") {
			tok := q.Get("validationToken")
			if tok == "" || len(tok) > maxValidationToken {
				http.Error(rw, "bad validation token", http.StatusBadRequest)
				return
			}
			rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
			rw.Header().Set("X-Content-Type-Options", "nosniff")
			rw.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(rw, tok)
			return
		}
		if r.Method != http.MethodPost {
			rw.Header().Set("Allow", http.MethodPost)
			http.Error(rw, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxNotificationBody+1))
		if err != nil {
			http.Error(rw, "reading the body failed", http.StatusBadRequest)
			return
		}
		if len(body) > maxNotificationBody {
			http.Error(rw, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		ns, err := ParseNotifications(body)
		if err != nil {
			logger.LogAttrs(ctx, slog.LevelWarn, "businesscentral: malformed notification refused")
			http.Error(rw, "not a notification", http.StatusBadRequest)
			return
		}
		var ok []Notification
		for _, n := range ns {
			if validState(n.ClientState, states) {
				ok = append(ok, n)
			}
		}
		if dropped := len(ns) - len(ok); dropped > 0 {
			logger.LogAttrs(ctx, slog.LevelWarn, "businesscentral: notifications with a wrong client state dropped",
				slog.Int("dropped", dropped), slog.Int("kept", len(ok)))
		}
		if len(ok) == 0 && len(ns) > 0 {
			http.Error(rw, "unauthorized", http.StatusUnauthorized)
			return
		}
		for _, n := range ok {
			for _, ev := range w.events(n) {
				if err := events(ctx, ev); err != nil {
					logger.LogAttrs(ctx, slog.LevelWarn, "businesscentral: an event could not be stored; asking for a retry",
						slog.String("topic", ev.Topic))
					http.Error(rw, "try again later", http.StatusServiceUnavailable)
					return
				}
			}
		}
		rw.WriteHeader(http.StatusOK)
	})
}

// validState compares a notification's client state with the accepted
// ones in constant time.
func validState(got string, states []string) bool {
	ok := 0
	for _, s := range states {
		if s != "" {
			ok |= subtle.ConstantTimeCompare([]byte(got), []byte(s))
		}
	}
	return ok == 1
}
