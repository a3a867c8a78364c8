package bctest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Webhook subscriptions as Business Central has them: POST
// {route}/subscriptions with notificationUrl, resource and clientState; a
// validation handshake (the fake POSTs to notificationUrl?validationToken=…
// and wants the token back in a 200 answer) on create and on every renewal
// (PATCH with If-Match); expiry after three days; DELETE with If-Match.
// Changes reach subscribers in {"value":[…]} notifications after a delay,
// one per changed entity or a single "collection" one when many changed.

type subscription struct {
	id, root                         string
	notificationURL, resource, state string
	company, set                     string
	expires, created, modified       time.Time
	version                          uint64
}

type pendingItem struct {
	id, kind string
	at       time.Time
}

type pendingSub struct {
	items    map[string]*pendingItem
	order    []string
	first    time.Time // the earliest change, for a collection's filter
	due      time.Time // when to send, on the real clock
	attempts int
}

type notifier struct {
	s *Server

	mu             sync.Mutex
	subs           map[string]*subscription
	pending        map[string]*pendingSub
	handshakeFails int
	sent           int
	posts          int
	seq            atomic.Uint64

	deliverMu sync.Mutex
	wake      chan struct{}
	done      chan struct{}
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

func newNotifier(s *Server) *notifier {
	n := &notifier{s: s, subs: map[string]*subscription{}, pending: map[string]*pendingSub{},
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.wg.Add(1)
	go n.loop()
	return n
}

func (n *notifier) close() {
	close(n.done)
	n.cancel()
	n.wg.Wait()
}

func (n *notifier) signal() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *notifier) loop() {
	defer n.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		n.mu.Lock()
		var next time.Time
		for _, p := range n.pending {
			if next.IsZero() || p.due.Before(next) {
				next = p.due
			}
		}
		n.mu.Unlock()
		wait := time.Hour
		if !next.IsZero() {
			wait = max(0, time.Until(next))
		}
		t.Reset(wait)
		select {
		case <-n.done:
			return
		case <-n.wake:
			if !t.Stop() {
				select {
				case <-t.C:
				default:
				}
			}
		case <-t.C:
			n.deliver(n.ctx, false)
		}
	}
}

// enqueue adds committed changes to the subscribers' pending
// notifications.
func (n *notifier) enqueue(changes []change) {
	now := n.s.now()
	n.mu.Lock()
	defer n.mu.Unlock()
	added := false
	for _, c := range changes {
		for _, sub := range n.subs {
			if sub.company != c.company || sub.root != c.root || sub.set != c.set || !now.Before(sub.expires) {
				continue
			}
			p := n.pending[sub.id]
			if p == nil {
				p = &pendingSub{items: map[string]*pendingItem{}, first: c.at, due: time.Now().Add(n.s.cfg.notifyDelay)}
				n.pending[sub.id] = p
			}
			if it := p.items[c.id]; it != nil {
				// De-duplicated: a created entity stays created until it is
				// deleted.
				if c.kind == "deleted" || it.kind != "created" {
					it.kind = c.kind
				}
				it.at = c.at
			} else {
				p.items[c.id] = &pendingItem{id: c.id, kind: c.kind, at: c.at}
				p.order = append(p.order, c.id)
			}
			added = true
		}
	}
	if added {
		n.signal()
	}
}

type notification struct {
	SubscriptionID       string `json:"subscriptionId"`
	ClientState          string `json:"clientState"`
	ExpirationDateTime   string `json:"expirationDateTime"`
	Resource             string `json:"resource"`
	ChangeType           string `json:"changeType"`
	LastModifiedDateTime string `json:"lastModifiedDateTime"`
}

type delivery struct {
	url   string
	subs  map[string]*pendingSub
	value []notification
}

// deliver sends the pending notifications that are due (all with force),
// one POST per notification URL.
func (n *notifier) deliver(ctx context.Context, force bool) {
	n.deliverMu.Lock()
	defer n.deliverMu.Unlock()
	now := time.Now()
	n.mu.Lock()
	byURL := map[string]*delivery{}
	var urls []string
	ids := make([]string, 0, len(n.pending))
	for id := range n.pending {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p := n.pending[id]
		if !force && p.due.After(now) {
			continue
		}
		delete(n.pending, id)
		sub := n.subs[id]
		if sub == nil || !n.s.now().Before(sub.expires) {
			continue
		}
		d := byURL[sub.notificationURL]
		if d == nil {
			d = &delivery{url: sub.notificationURL, subs: map[string]*pendingSub{}}
			byURL[sub.notificationURL] = d
			urls = append(urls, sub.notificationURL)
		}
		d.subs[id] = p
		d.value = append(d.value, n.render(sub, p)...)
	}
	n.mu.Unlock()

	for _, u := range urls {
		d := byURL[u]
		status := n.post(ctx, d)
		n.mu.Lock()
		n.posts++
		switch {
		case status >= 200 && status < 300:
			n.sent += len(d.value)
		case status == 0 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
			for id, p := range d.subs {
				if p.attempts >= n.s.cfg.retries || n.subs[id] == nil {
					continue
				}
				p.attempts++
				p.due = time.Now().Add(n.s.cfg.retryInterval)
				if q := n.pending[id]; q != nil { // changes since: merge
					for _, iid := range q.order {
						if _, ok := p.items[iid]; !ok {
							p.order = append(p.order, iid)
						}
						p.items[iid] = q.items[iid]
					}
				}
				n.pending[id] = p
			}
			n.signal()
		default:
			// Any other answer deletes the subscription.
			for id := range d.subs {
				delete(n.subs, id)
			}
		}
		n.mu.Unlock()
	}
}

// render turns a subscription's pending changes into notifications.
func (n *notifier) render(sub *subscription, p *pendingSub) []notification {
	exp := formatDateTime(sub.expires.Truncate(time.Second))
	prefix := "api/" + sub.root + "/companies(" + sub.company + ")/" + sub.set
	if len(p.items) > n.s.cfg.collectionThreshold {
		var last time.Time
		for _, it := range p.items {
			if it.at.After(last) {
				last = it.at
			}
		}
		since := formatDateTime(p.first.Add(-time.Millisecond))
		return []notification{{
			SubscriptionID: sub.id, ClientState: sub.state, ExpirationDateTime: exp,
			Resource:   "/" + prefix + "?$filter=lastModifiedDateTime%20gt%20" + since,
			ChangeType: "collection", LastModifiedDateTime: formatDateTime(last),
		}}
	}
	out := make([]notification, 0, len(p.order))
	for _, id := range p.order {
		it := p.items[id]
		out = append(out, notification{
			SubscriptionID: sub.id, ClientState: sub.state, ExpirationDateTime: exp,
			Resource: prefix + "(" + id + ")", ChangeType: it.kind, LastModifiedDateTime: formatDateTime(it.at),
		})
	}
	return out
}

func (n *notifier) post(ctx context.Context, d *delivery) int {
	body, _ := json.Marshal(map[string]any{"value": d.value})
	ctx, cancel := context.WithTimeout(ctx, n.s.cfg.webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
	if err != nil {
		return -1
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.s.cfg.webhookClient.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp.StatusCode
}

// FlushNotifications sends every pending webhook notification now,
// without waiting for the delay, and returns when the subscribers have
// answered.
func (s *Server) FlushNotifications(ctx context.Context) {
	s.hooks.deliver(ctx, true)
}

// NotificationsSent returns how many notifications (entries of the value
// arrays) subscribers accepted with a 2xx answer.
func (s *Server) NotificationsSent() int {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return s.hooks.sent
}

// FailHandshakes makes the next n validation handshakes fail as if the
// subscriber had not echoed the token: the subscription is not created
// or renewed. The fake does not call the subscriber for them.
func (s *Server) FailHandshakes(n int) {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	s.hooks.handshakeFails += n
}

// Subscription is a webhook subscription as the fake keeps it.
type Subscription struct {
	ID                 string
	NotificationURL    string
	Resource           string
	ClientState        string
	ExpirationDateTime time.Time
}

// Subscriptions returns the live (unexpired) subscriptions, by id.
func (s *Server) Subscriptions() []Subscription {
	now := s.now()
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	var out []Subscription
	for _, sub := range s.hooks.subs {
		if now.Before(sub.expires) {
			out = append(out, Subscription{ID: sub.id, NotificationURL: sub.notificationURL, Resource: sub.resource,
				ClientState: sub.state, ExpirationDateTime: sub.expires})
		}
	}
	slices.SortFunc(out, func(a, b Subscription) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// --- the subscriptions endpoint ---

func (s *Server) serveSubscriptions(ctx context.Context, o *op) result {
	segs, err := parsePath(o.path)
	if err != nil {
		return s.fail(err)
	}
	if len(segs) > 1 {
		return s.fail(notFoundSegment(segs[1].name))
	}
	n := s.hooks
	n.prune()
	if !segs[0].hasKey {
		switch o.method {
		case http.MethodGet:
			return s.listSubscriptions(o)
		case http.MethodPost:
			return s.createSubscription(ctx, o)
		}
		return s.fail(methodNotAllowed(o.method, "subscriptions", "Collection"))
	}
	n.mu.Lock()
	sub := n.subs[segs[0].key]
	var cur subscription
	if sub != nil {
		cur = *sub
	}
	n.mu.Unlock()
	if sub == nil || sub.root != o.root {
		return s.fail(errorf(http.StatusNotFound, codeRecordNotFound, "The API Webhook Subscription does not exist. Identification fields and values: Subscription Id='%s'", segs[0].key))
	}
	switch o.method {
	case http.MethodGet:
		return s.subscriptionResult(http.StatusOK, o, &cur)
	case http.MethodPatch:
		return s.renewSubscription(ctx, o, &cur)
	case http.MethodDelete:
		if e := s.checkETag(o.header, &record{version: cur.version}); e != nil {
			return s.fail(e)
		}
		n.mu.Lock()
		delete(n.subs, cur.id)
		delete(n.pending, cur.id)
		n.mu.Unlock()
		return result{status: http.StatusNoContent, header: http.Header{}}
	}
	return s.fail(methodNotAllowed(o.method, "subscriptions", "Entity"))
}

// prune deletes expired subscriptions, as the service's cleanup does.
func (n *notifier) prune() {
	now := n.s.now()
	n.mu.Lock()
	defer n.mu.Unlock()
	for id, sub := range n.subs {
		if !now.Before(sub.expires) {
			delete(n.subs, id)
			delete(n.pending, id)
		}
	}
}

func (s *Server) listSubscriptions(o *op) result {
	n := s.hooks
	n.mu.Lock()
	var subs []subscription
	for _, sub := range n.subs {
		if sub.root == o.root {
			subs = append(subs, *sub)
		}
	}
	n.mu.Unlock()
	slices.SortFunc(subs, func(a, b subscription) int { return strings.Compare(a.id, b.id) })
	var b bytes.Buffer
	b.WriteString(`{"@odata.context":` + quote(o.base+"/$metadata#subscriptions") + `,"value":[`)
	for i := range subs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(s.subscriptionJSON(&subs[i]))
	}
	b.WriteString("]}")
	return result{status: http.StatusOK, header: jsonHeader(), body: b.Bytes()}
}

func (s *Server) subscriptionJSON(sub *subscription) []byte {
	var b bytes.Buffer
	b.WriteString(`{"@odata.etag":` + quote(etag(sub.version)))
	w := func(k string, v any) { b.WriteString(`,"` + k + `":`); b.Write(rawValue(v)) }
	w("subscriptionId", sub.id)
	w("notificationUrl", sub.notificationURL)
	w("resource", sub.resource)
	w("timestamp", int64(sub.version))
	w("userId", s.cfg.clientID)
	w("lastModifiedDateTime", sub.modified)
	w("clientState", sub.state)
	w("expirationDateTime", sub.expires.Truncate(time.Second))
	w("systemCreatedAt", sub.created)
	w("systemCreatedBy", s.cfg.clientID)
	w("systemModifiedAt", sub.modified)
	w("systemModifiedBy", s.cfg.clientID)
	b.WriteByte('}')
	return b.Bytes()
}

func (s *Server) subscriptionResult(status int, o *op, sub *subscription) result {
	body := s.subscriptionJSON(sub)
	var b bytes.Buffer
	b.WriteString(`{"@odata.context":` + quote(o.base+"/$metadata#subscriptions/$entity") + ",")
	b.Write(body[1:])
	return result{status: status, header: jsonHeader(), body: b.Bytes()}
}

type subscriptionBody struct {
	NotificationURL *string `json:"notificationUrl"`
	Resource        *string `json:"resource"`
	ClientState     *string `json:"clientState"`
}

func parseSubscriptionBody(body []byte) (subscriptionBody, *apiError) {
	var raw map[string]json.RawMessage
	var sb subscriptionBody
	if json.Unmarshal(body, &raw) != nil || raw == nil {
		return sb, badRequest("The request body is not a valid JSON object.")
	}
	for k, v := range raw {
		var p **string
		switch k {
		case "notificationUrl":
			p = &sb.NotificationURL
		case "resource":
			p = &sb.Resource
		case "clientState":
			p = &sb.ClientState
		case "subscriptionId", "userId", "lastModifiedDateTime", "expirationDateTime", "timestamp",
			"systemCreatedAt", "systemCreatedBy", "systemModifiedAt", "systemModifiedBy":
			continue // read-only, ignored as the page ignores them
		default:
			if strings.HasPrefix(k, "@odata.") {
				continue
			}
			return sb, badRequest("The property '%s' does not exist on type 'Microsoft.NAV.subscriptions'. Make sure to only use property names that are defined by the type.", k)
		}
		var str string
		if json.Unmarshal(v, &str) != nil {
			return sb, badRequest("Cannot convert the literal '%s' to the expected type 'Edm.String'.", string(v))
		}
		*p = &str
	}
	if sb.ClientState != nil && len(*sb.ClientState) > 2048 {
		return sb, errorf(http.StatusBadRequest, codeStringLength, "The length of the string is %d, but it must be less than or equal to 2048 characters.", len(*sb.ClientState))
	}
	if sb.NotificationURL != nil {
		u, err := url.Parse(*sb.NotificationURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return sb, badRequest("The notificationUrl '%s' is not a valid absolute URL.", *sb.NotificationURL)
		}
	}
	return sb, nil
}

// subscribable checks a subscription's resource: a webhook-enabled entity
// set of a company, on the route the subscription is made on.
func (s *Server) subscribable(o *op, resource string) (companyID, set string, err *apiError) {
	bad := badRequest("The resource '%s' is not a valid resource for a subscription. Use a webhook-supported entity set of a company, like /api/v2.0/companies({id})/customers.", resource)
	r := resource
	if u, e := url.Parse(r); e == nil && u.IsAbs() {
		r = u.Path
	}
	if i := strings.Index(r, "/api/"); i >= 0 {
		r = r[i+len("/api/"):]
	} else {
		r = strings.TrimPrefix(r, "api/")
	}
	root, path := splitRoot(r)
	if root == "" || root != o.root {
		return "", "", bad
	}
	segs, e := parsePath(path)
	if e != nil || len(segs) != 2 || segs[0].name != setCompanies || !segs[0].hasKey || segs[1].hasKey {
		return "", "", bad
	}
	et := s.types[segs[1].name]
	if et == nil || et.root != root || !et.webhook {
		return "", "", bad
	}
	s.mu.Lock()
	co := s.st.company(segs[0].key)
	s.mu.Unlock()
	if co == nil {
		return "", "", bad
	}
	return co.id(), et.set, nil
}

func (s *Server) createSubscription(ctx context.Context, o *op) result {
	sb, err := parseSubscriptionBody(o.body)
	if err != nil {
		return s.fail(err)
	}
	if sb.NotificationURL == nil || *sb.NotificationURL == "" {
		return s.fail(errorf(http.StatusBadRequest, codeFieldValidation, "Notification Url must have a value in API Webhook Subscription. It cannot be zero or empty."))
	}
	if sb.Resource == nil || *sb.Resource == "" {
		return s.fail(errorf(http.StatusBadRequest, codeFieldValidation, "Resource Url must have a value in API Webhook Subscription. It cannot be zero or empty."))
	}
	co, set, err := s.subscribable(o, *sb.Resource)
	if err != nil {
		return s.fail(err)
	}
	s.hooks.mu.Lock()
	full := len(s.hooks.subs) >= s.cfg.maxSubscriptions
	s.hooks.mu.Unlock()
	if full {
		return s.fail(errorf(http.StatusBadRequest, codeDialog, "The maximum number of subscriptions (%d) has been reached.", s.cfg.maxSubscriptions))
	}
	if err := s.handshake(ctx, *sb.NotificationURL); err != nil {
		return s.fail(err)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	sub := &subscription{
		id: strings.ReplaceAll(uuid.NewSHA1(idNamespace, []byte(fmt.Sprint("subscription-", s.hooks.seq.Add(1)))).String(), "-", ""), root: o.root, notificationURL: *sb.NotificationURL, resource: *sb.Resource,
		company: co, set: set, created: now, modified: now, expires: now.Add(s.cfg.subscriptionLifetime),
	}
	if sb.ClientState != nil {
		sub.state = *sb.ClientState
	}
	s.mu.Lock()
	sub.version = s.st.nextVersion()
	s.mu.Unlock()
	s.hooks.mu.Lock()
	s.hooks.subs[sub.id] = sub
	cp := *sub
	s.hooks.mu.Unlock()
	res := s.subscriptionResult(http.StatusCreated, o, &cp)
	res.header.Set("Location", o.base+"/subscriptions('"+sub.id+"')")
	return res
}

func (s *Server) renewSubscription(ctx context.Context, o *op, cur *subscription) result {
	if e := s.checkETag(o.header, &record{version: cur.version}); e != nil {
		return s.fail(e)
	}
	sb, err := parseSubscriptionBody(o.body)
	if err != nil {
		return s.fail(err)
	}
	next := *cur
	if sb.NotificationURL != nil {
		next.notificationURL = *sb.NotificationURL
	}
	if sb.ClientState != nil {
		next.state = *sb.ClientState
	}
	if sb.Resource != nil && *sb.Resource != cur.resource {
		co, set, err := s.subscribable(o, *sb.Resource)
		if err != nil {
			return s.fail(err)
		}
		next.resource, next.company, next.set = *sb.Resource, co, set
	}
	if err := s.handshake(ctx, next.notificationURL); err != nil {
		return s.fail(err)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	next.modified, next.expires = now, now.Add(s.cfg.subscriptionLifetime)
	s.mu.Lock()
	next.version = s.st.nextVersion()
	s.mu.Unlock()
	s.hooks.mu.Lock()
	live := s.hooks.subs[cur.id]
	if live == nil || live.version != cur.version {
		s.hooks.mu.Unlock()
		return s.fail(errorf(s.cfg.etagStatus, codeEntityChanged, "Another user has already changed the record."))
	}
	s.hooks.subs[cur.id] = &next
	s.hooks.mu.Unlock()
	return s.subscriptionResult(http.StatusOK, o, &next)
}

// handshake validates a notification URL: it must answer a POST with
// ?validationToken=… with 200 and the token as its body.
func (s *Server) handshake(ctx context.Context, notificationURL string) *apiError {
	fail := errorf(http.StatusBadRequest, codeBadRequest, "The subscription could not be validated: the notificationUrl did not answer the validation request with 200 OK and the validationToken in the body.")
	s.hooks.mu.Lock()
	if s.hooks.handshakeFails > 0 {
		s.hooks.handshakeFails--
		s.hooks.mu.Unlock()
		return fail
	}
	s.hooks.mu.Unlock()
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := "bctest-" + hex.EncodeToString(b)
	u, err := url.Parse(notificationURL)
	if err != nil {
		return fail
	}
	q := u.Query()
	q.Set("validationToken", tok)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.webhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), http.NoBody)
	if err != nil {
		return fail
	}
	resp, err := s.cfg.webhookClient.Do(req)
	if err != nil {
		if ctx.Err() != nil && s.hooks.ctx.Err() == nil {
			return errorf(http.StatusBadRequest, codeBadRequest, "The subscription could not be validated: the validation request to the notificationUrl timed out.")
		}
		return fail
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(got)) != tok {
		return fail
	}
	return nil
}
