package storetest_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/syncer/store"
	"github.com/kontor-dev/kontor/syncer/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder is a testing.TB that records failures instead of failing the
// test, so a check can be run against a store expected to fail it. Methods
// it does not override (Helper, Context, Log, Cleanup) go to the real test.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) record(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, msg)
}

func (r *recorder) Fail()                             { r.record("Fail") }
func (r *recorder) Error(args ...any)                 { r.record(fmt.Sprint(args...)) }
func (r *recorder) Errorf(format string, args ...any) { r.record(fmt.Sprintf(format, args...)) }
func (r *recorder) FailNow()                          { r.Fail(); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); runtime.Goexit() }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); runtime.Goexit() }

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs) > 0
}

// runCheck runs one check against s on its own goroutine, so FailNow can
// end it, and returns the failures it recorded.
func runCheck(t *testing.T, c storetest.Check, s store.Store) []string {
	rec := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Fn(rec, s)
	}()
	<-done
	return rec.msgs
}

// failedChecks runs the whole suite against stores made by newStore and
// returns the names of the checks that failed, with their messages.
func failedChecks(t *testing.T, newStore func() store.Store) (names []string, msgs map[string][]string) {
	msgs = make(map[string][]string)
	for _, c := range storetest.Checks() {
		if m := runCheck(t, c, newStore()); len(m) > 0 {
			names = append(names, c.Name)
			msgs[c.Name] = m
		}
	}
	sort.Strings(names)
	return names, msgs
}

// TestSuiteCatchesBrokenStores proves the suite can fail: each broken store
// breaks one contract, and exactly the checks of that contract must fail.
func TestSuiteCatchesBrokenStores(t *testing.T) {
	for _, tc := range []struct {
		name     string
		newStore func() store.Store
		want     []string
	}{
		{"memory passes all", func() store.Store { return store.NewMemory() }, nil},
		{"BeginWrite always returns the proposed key", func() store.Store { return &newKeyEveryBegin{store.NewMemory()} },
			[]string{"Write/BeginReturnsFirstKey", "Write/ConcurrentBegin", "Write/Finish", "Write/RecordIdentity"}},
		{"AddInbox deduplicates by id only", func() store.Store { return newIDOnlyInbox() },
			[]string{"Inbox/ConcurrentAddOnce", "Inbox/DedupeByPayloadHash", "Inbox/MarkDone", "Redact/Erases", "RedactAll/Erases"}},
		{"AddInbox checks, then inserts", func() store.Store { return newRacyInbox() },
			[]string{"Inbox/ConcurrentAddOnce"}},
		{"PutLinks overwrites with empty keys", func() store.Store { return newOverwritingLinks() },
			[]string{"Links/Merge", "Links/RemoteKeyChange", "Links/RemoteKeyMoves", "Redact/Erases", "RedactAll/Erases"}}, // its copies of the links outlive Redact
		{"PendingInbox returns the caller's payload", func() store.Store { return newAliasingInbox() },
			[]string{"Copies/Payloads", "Redact/Erases", "Redact/UnknownKeys", "RedactAll/Erases"}}, // its copies of the payloads outlive Redact
		{"States drops duplicate keys", func() store.Store { return &dedupingStates{store.NewMemory()} },
			[]string{"States/AlignedWithKeys"}},
		{"Links ignores a cancelled context", func() store.Store { return &linksIgnoreContext{store.NewMemory()} },
			[]string{"Context/Cancelled"}},
		{"Redact ignores the entity", func() store.Store { return &redactAnyEntity{store.NewMemory()} },
			[]string{"Redact/Erases", "Redact/UnknownKeys"}},
		{"Redact keeps inbox payloads", func() store.Store { return newKeptPayloads() },
			[]string{"Redact/Erases", "Redact/UnknownKeys", "RedactAll/Erases"}},
		{"RedactAll ignores the entity", func() store.Store { return &redactAllEntities{store.NewMemory()} },
			[]string{"RedactAll/Erases", "RedactAll/Nothing"}},
		{"RedactAll keeps the payloads of events without a key", func() store.Store { return newKeptKeylessPayloads() },
			[]string{"RedactAll/Erases"}},
		{"RedactAll erases erased audit records again", func() store.Store { return &redactAllAgain{store.NewMemory()} },
			[]string{"RedactAll/Erases"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, msgs := failedChecks(t, tc.newStore)
			if !slices.Equal(got, tc.want) {
				for _, name := range got {
					t.Logf("%s failed:\n\t%s", name, strings.Join(msgs[name], "\n\t"))
				}
				t.Errorf("failed checks = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestRecorderEndsCheckOnFatal proves a failing check ends at its first
// Fatalf and the failure is recorded, not lost.
func TestRecorderEndsCheckOnFatal(t *testing.T) {
	reached := false
	msgs := runCheck(t, storetest.Check{Name: "fatal", Fn: func(t testing.TB, _ store.Store) {
		t.Errorf("first")
		t.Fatalf("second %d", 2)
		reached = true
	}}, store.NewMemory())
	if !slices.Equal(msgs, []string{"first", "second 2"}) || reached {
		t.Errorf("messages %q, reached after Fatalf %v; want [first second 2] and not reached", msgs, reached)
	}
}

// TestCheckNamesAreUnique keeps -run selections and the expectations
// above unambiguous.
func TestCheckNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range storetest.Checks() {
		if seen[c.Name] || c.Fn == nil || !strings.Contains(c.Name, "/") {
			t.Errorf("check %q: duplicate, without a function or without an area", c.Name)
		}
		seen[c.Name] = true
	}
	if len(seen) != 46 {
		t.Errorf("%d checks, want 46", len(seen))
	}
}

// newKeyEveryBegin forgets the first idempotency key: a retry would write
// the order to the ERP twice.
type newKeyEveryBegin struct{ *store.Memory }

func (b *newKeyEveryBegin) BeginWrite(ctx context.Context, flow, key string, fp uint64, idem string) (store.WriteRecord, error) {
	r, err := b.Memory.BeginWrite(ctx, flow, key, fp, idem)
	r.IdempotencyKey = idem
	return r, err
}

// idOnlyInbox deduplicates by source and id, missing a redelivery under a
// new id. It hides the hash from Memory and restores it on the way out.
type idOnlyInbox struct {
	*store.Memory
	mu     sync.Mutex
	hashes map[[2]string]uint64
}

func newIDOnlyInbox() *idOnlyInbox {
	return &idOnlyInbox{Memory: store.NewMemory(), hashes: make(map[[2]string]uint64)}
}

func (b *idOnlyInbox) AddInbox(ctx context.Context, ev store.InboxEvent) (bool, error) {
	b.mu.Lock()
	if _, ok := b.hashes[[2]string{ev.Source, ev.ID}]; !ok {
		b.hashes[[2]string{ev.Source, ev.ID}] = ev.PayloadHash
	}
	b.mu.Unlock()
	ev.PayloadHash = 0
	return b.Memory.AddInbox(ctx, ev)
}

func (b *idOnlyInbox) PendingInbox(ctx context.Context, limit int) ([]store.InboxEvent, error) {
	evs, err := b.Memory.PendingInbox(ctx, limit)
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range evs {
		evs[i].PayloadHash = b.hashes[[2]string{evs[i].Source, evs[i].ID}]
	}
	return evs, err
}

// racyInbox deduplicates correctly but not atomically: it checks, then
// inserts, and two concurrent deliveries both pass the check.
type racyInbox struct {
	*store.Memory
	mu   sync.Mutex
	seen map[string]bool
}

func newRacyInbox() *racyInbox {
	return &racyInbox{Memory: store.NewMemory(), seen: make(map[string]bool)}
}

func (b *racyInbox) AddInbox(ctx context.Context, ev store.InboxEvent) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	id := "id:" + ev.Source + "/" + ev.ID
	hash := fmt.Sprintf("hash:%s/%d", ev.Source, ev.PayloadHash)
	b.mu.Lock()
	dup := b.seen[id] || (ev.PayloadHash != 0 && b.seen[hash])
	b.mu.Unlock()
	if dup {
		return false, nil
	}
	time.Sleep(10 * time.Millisecond) // the gap between the read and the write
	b.mu.Lock()
	b.seen[id] = true
	if ev.PayloadHash != 0 {
		b.seen[hash] = true
	}
	b.mu.Unlock()
	_, err := b.Memory.AddInbox(ctx, ev)
	return err == nil, err
}

// overwritingLinks replaces a link as given: an empty remote key erases the
// stored one. Memory still validates the input.
type overwritingLinks struct {
	*store.Memory
	mu    sync.Mutex
	links map[kontor.Entity]map[string]store.Link
}

func newOverwritingLinks() *overwritingLinks {
	return &overwritingLinks{Memory: store.NewMemory(), links: make(map[kontor.Entity]map[string]store.Link)}
}

func (b *overwritingLinks) PutLinks(ctx context.Context, links []store.Link) error {
	if err := b.Memory.PutLinks(ctx, links); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range links {
		if b.links[l.Entity] == nil {
			b.links[l.Entity] = make(map[string]store.Link)
		}
		l.Found = true
		if l.UpdatedAt.IsZero() {
			l.UpdatedAt = time.Now()
		}
		b.links[l.Entity][l.Key] = l
	}
	return nil
}

func (b *overwritingLinks) Links(ctx context.Context, entity kontor.Entity, keys []string) ([]store.Link, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]store.Link, len(keys))
	for i, k := range keys {
		l, ok := b.links[entity][k]
		if !ok {
			l = store.Link{Entity: entity, Key: k}
		}
		out[i] = l
	}
	return out, nil
}

func (b *overwritingLinks) LinkByRemote(ctx context.Context, entity kontor.Entity, side kontor.Side, remote string) (store.Link, error) {
	if _, err := b.Memory.LinkByRemote(ctx, entity, side, remote); err != nil && kontor.KindOf(err) != kontor.KindNotFound {
		return store.Link{}, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	keys := make([]string, 0, len(b.links[entity]))
	for k := range b.links[entity] {
		keys = append(keys, k)
	}
	sort.Strings(keys) // fail the same checks on every run
	for _, k := range keys {
		l := b.links[entity][k]
		if remote != "" && (side == kontor.SideERP && l.ERPKey == remote || side == kontor.SideShop && l.ShopKey == remote) {
			return l, nil
		}
	}
	return store.Link{}, fmt.Errorf("link: %w", store.ErrNotFound)
}

// aliasingInbox keeps the caller's payload slice and hands it out again, so
// either side's change shows on the other.
type aliasingInbox struct {
	*store.Memory
	mu       sync.Mutex
	payloads map[[2]string][]byte
}

func newAliasingInbox() *aliasingInbox {
	return &aliasingInbox{Memory: store.NewMemory(), payloads: make(map[[2]string][]byte)}
}

func (b *aliasingInbox) AddInbox(ctx context.Context, ev store.InboxEvent) (bool, error) {
	added, err := b.Memory.AddInbox(ctx, ev)
	if added {
		b.mu.Lock()
		b.payloads[[2]string{ev.Source, ev.ID}] = ev.Payload
		b.mu.Unlock()
	}
	return added, err
}

func (b *aliasingInbox) PendingInbox(ctx context.Context, limit int) ([]store.InboxEvent, error) {
	evs, err := b.Memory.PendingInbox(ctx, limit)
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range evs {
		evs[i].Payload = b.payloads[[2]string{evs[i].Source, evs[i].ID}]
	}
	return evs, err
}

// dedupingStates asks for each key once, so its result is not aligned with
// keys that repeat.
type dedupingStates struct{ *store.Memory }

func (b *dedupingStates) States(ctx context.Context, flow string, keys []string) ([]store.ItemState, error) {
	seen := make(map[string]bool, len(keys))
	unique := make([]string, 0, len(keys))
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			unique = append(unique, k)
		}
	}
	return b.Memory.States(ctx, flow, unique)
}

// linksIgnoreContext reads links after its caller gave up.
type linksIgnoreContext struct{ *store.Memory }

func (b *linksIgnoreContext) Links(ctx context.Context, entity kontor.Entity, keys []string) ([]store.Link, error) {
	return b.Memory.Links(context.WithoutCancel(ctx), entity, keys)
}

// redactAnyEntity erases the keys of every entity: an order number that is
// also a SKU loses the product's records.
type redactAnyEntity struct{ *store.Memory }

func (b *redactAnyEntity) Redact(ctx context.Context, entity kontor.Entity, keys []string) (store.RedactCounts, error) {
	var total store.RedactCounts
	for _, e := range []kontor.Entity{entity, kontor.EntityCustomer, kontor.EntityOrder, kontor.EntityProduct} {
		c, err := b.Memory.Redact(ctx, e, keys)
		if err != nil {
			return total, err
		}
		total.DeadLetters += c.DeadLetters
		total.InboxEvents += c.InboxEvents
		total.Links += c.Links
		total.AuditRecords += c.AuditRecords
	}
	return total, nil
}

// keptPayloads keeps a copy of each event as received and hands erased
// events out with it: an erasure that misses a copy of the data.
type keptPayloads struct {
	*store.Memory
	mu     sync.Mutex
	copies map[[2]string]store.InboxEvent
}

func newKeptPayloads() *keptPayloads {
	return &keptPayloads{Memory: store.NewMemory(), copies: make(map[[2]string]store.InboxEvent)}
}

func (b *keptPayloads) AddInbox(ctx context.Context, ev store.InboxEvent) (bool, error) {
	added, err := b.Memory.AddInbox(ctx, ev)
	if added {
		b.mu.Lock()
		b.copies[[2]string{ev.Source, ev.ID}] = ev
		b.mu.Unlock()
	}
	return added, err
}

func (b *keptPayloads) PendingInbox(ctx context.Context, limit int) ([]store.InboxEvent, error) {
	evs, err := b.Memory.PendingInbox(ctx, limit)
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range evs {
		if c := b.copies[[2]string{evs[i].Source, evs[i].ID}]; evs[i].Key == "" && c.Key != "" {
			evs[i].Key, evs[i].Payload = c.Key, c.Payload
		}
	}
	return evs, err
}

// redactAllEntities erases every entity: shop/redact of the customers
// takes the products with them.
type redactAllEntities struct{ *store.Memory }

func (b *redactAllEntities) RedactAll(ctx context.Context, entity kontor.Entity) (store.RedactCounts, error) {
	var total store.RedactCounts
	for _, e := range []kontor.Entity{entity, kontor.EntityCustomer, kontor.EntityOrder, kontor.EntityProduct} {
		c, err := b.Memory.RedactAll(ctx, e)
		if err != nil {
			return total, err
		}
		total.DeadLetters += c.DeadLetters
		total.InboxEvents += c.InboxEvents
		total.Links += c.Links
		total.AuditRecords += c.AuditRecords
	}
	return total, nil
}

// keptKeylessPayloads keeps a copy of each event that came without a key
// and hands it out with it: a RedactAll that erases only events with a
// key.
type keptKeylessPayloads struct {
	*store.Memory
	mu     sync.Mutex
	copies map[[2]string][]byte
}

func newKeptKeylessPayloads() *keptKeylessPayloads {
	return &keptKeylessPayloads{Memory: store.NewMemory(), copies: make(map[[2]string][]byte)}
}

func (b *keptKeylessPayloads) AddInbox(ctx context.Context, ev store.InboxEvent) (bool, error) {
	added, err := b.Memory.AddInbox(ctx, ev)
	if added && ev.Key == "" {
		b.mu.Lock()
		b.copies[[2]string{ev.Source, ev.ID}] = slices.Clone(ev.Payload)
		b.mu.Unlock()
	}
	return added, err
}

func (b *keptKeylessPayloads) PendingInbox(ctx context.Context, limit int) ([]store.InboxEvent, error) {
	evs, err := b.Memory.PendingInbox(ctx, limit)
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range evs {
		if p, ok := b.copies[[2]string{evs[i].Source, evs[i].ID}]; ok {
			evs[i].Payload = slices.Clone(p)
		}
	}
	return evs, err
}

// redactAllAgain erases every audit record of the entity, those erased
// before and the records of erasures too: a repeated RedactAll never
// comes back with zero counts.
type redactAllAgain struct{ *store.Memory }

func (b *redactAllAgain) RedactAll(ctx context.Context, entity kontor.Entity) (store.RedactCounts, error) {
	c, err := b.Memory.RedactAll(ctx, entity)
	if err != nil {
		return c, err
	}
	recs, err := b.Audit(ctx, store.AuditFilter{})
	if err != nil {
		return c, err
	}
	var keys []string
	for _, r := range recs {
		if r.Entity == entity {
			keys = append(keys, r.Key)
		}
	}
	if len(keys) == 0 {
		return c, nil
	}
	again, err := b.Redact(ctx, entity, keys)
	c.AuditRecords += again.AuditRecords
	return c, err
}
