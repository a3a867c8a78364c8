package syncer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"golang.org/x/time/rate"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/mapping"
	"github.com/kontor-dev/kontor/syncer/store"
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildEnv) != "" {
		os.Exit(crashChild()) // this binary is the crash test's child
	}
	goleak.VerifyTestMain(m)
}

// testClock is a clock tests move by hand; sleeps return at once and are
// recorded.
type testClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *testClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()
	return ctx.Err()
}

func newTestSyncer(t *testing.T, st store.Store, opts ...Option) (*Syncer, *testClock) {
	t.Helper()
	clk := &testClock{now: base.Add(24 * time.Hour)}
	opts = append([]Option{withClock(clk.Now, clk.Sleep)}, opts...)
	return New(st, opts...), clk
}

func seedProducts(f *fakeSide, n int) {
	for i := range n {
		f.put(product(fmt.Sprintf("SKU-%04d", i), i))
	}
}

func TestUnchangedCatalogCostsNoWrites(t *testing.T) {
	ctx := context.Background()
	erp, shop := newFake("erp", kontor.SideERP), newFake("shop", kontor.SideShop)
	seedProducts(erp, 120)
	s, _ := newTestSyncer(t, store.NewMemory())
	require.NoError(t, s.Add(Products(erp, shop)))

	rep, err := s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 120, rep.Created)
	assert.Equal(t, 3, rep.Requests, "ceil(120/50) write calls")
	assert.Len(t, shop.products, 120)

	rep, err = s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 0, rep.Writes())
	assert.Equal(t, 0, rep.Requests)
	assert.Equal(t, 2, rep.Read, "the one-minute overlap re-reads the last two minutes")
	assert.Equal(t, 2, rep.Unchanged)

	// A touch without a change (new version, same content) costs nothing.
	p := erp.products["SKU-0119"]
	p.Version, p.UpdatedAt = 500, base.Add(500*time.Minute)
	erp.put(p)
	// A real change costs one write.
	q := erp.products["SKU-0007"]
	q.Title, q.Version, q.UpdatedAt = "Renamed", 501, base.Add(501*time.Minute)
	erp.put(q)
	rep, err = s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Updated)
	assert.Equal(t, 1, rep.Requests)
	assert.Equal(t, "Renamed", shop.products["SKU-0007"].Title)
}

func TestOverlapCatchesLateCommits(t *testing.T) {
	ctx := context.Background()
	erp, shop := newFake("erp", kontor.SideERP), newFake("shop", kontor.SideShop)
	seedProducts(erp, 10) // updated at minutes 0..9
	st := store.NewMemory()
	s, _ := newTestSyncer(t, st)
	require.NoError(t, s.Add(Products(erp, shop, Overlap(2*time.Minute))))
	_, err := s.Sync(ctx, "products")
	require.NoError(t, err)
	cur, err := st.Cursor(ctx, "products")
	require.NoError(t, err)
	assert.True(t, cur.Since.Equal(base.Add(9*time.Minute)), "the cursor is the newest update seen")

	// A transaction that started before the run committed after it, with
	// an update time just before the cursor.
	erp.put(product("LATE", 8))
	rep, err := s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Created)
	assert.Contains(t, shop.products, "LATE")
}

func TestOlderVersionNeverOverwritesNewer(t *testing.T) {
	ctx := context.Background()
	erp, shop := newFake("erp", kontor.SideERP), newFake("shop", kontor.SideShop)
	p := product("A", 10)
	p.Title = "v10"
	erp.put(p)
	s, _ := newTestSyncer(t, store.NewMemory())
	require.NoError(t, s.Add(Products(erp, shop, RealTime(true))))
	_, err := s.Sync(ctx, "products")
	require.NoError(t, err)

	old := product("A", 7)
	old.Title = "v7"
	require.NoError(t, s.Notify(ctx, "products", Event{ID: "late-1", Key: "A", Payload: mustJSON(t, old)}))
	rep, err := s.ProcessEvents(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Stale)
	assert.Equal(t, 0, rep.Requests)
	assert.Equal(t, "v10", shop.products["A"].Title)
}

func TestSinkFailingMidwayWritesEachOrderOnce(t *testing.T) {
	ctx := context.Background()
	shop, erp := newFake("shop", kontor.SideShop), newFake("erp", kontor.SideERP)
	for i := range 30 {
		o := order(fmt.Sprintf("%d", 1000+i), i, "SKU-1")
		shop.orders[o.Number] = o
	}
	// The ERP stores 12 of the first batch, then the connection drops.
	erp.failAfter, erp.failAfterEr = 12, kontor.NewError(kontor.KindRetryable, "erp", errors.New("connection reset"))
	st := store.NewMemory()
	require.NoError(t, st.PutLinks(ctx, []store.Link{{Entity: kontor.EntityProduct, Key: "SKU-1", ERPKey: "I-1"}}))
	s, clk := newTestSyncer(t, st)
	require.NoError(t, s.Add(Orders(shop, erp)))

	rep, err := s.Sync(ctx, "orders")
	require.NoError(t, err)
	assert.Len(t, erp.orders, 30)
	for n, c := range erp.created {
		assert.Equal(t, 1, c, "order %s created %d times", n, c)
	}
	assert.Equal(t, 30, rep.Created+rep.Unchanged)
	assert.Equal(t, 0, rep.DeadLettered)
	assert.Equal(t, 2, rep.Requests, "the failed call and its retry")
	require.Len(t, clk.sleeps, 1, "one backoff wait")
	// The retry carried the same idempotency keys as the first attempt.
	assert.Equal(t, erp.seenKeys[0], erp.seenKeys[1])
	assert.NotEmpty(t, erp.seenKeys[0][0])
}

func TestPoisonItemIsIsolated(t *testing.T) {
	ctx := context.Background()
	erp, shop := newFake("erp", kontor.SideERP), newFake("shop", kontor.SideShop)
	seedProducts(erp, 50)
	shop.poisonKey = "SKU-0031"
	st := store.NewMemory()
	s, _ := newTestSyncer(t, st)
	require.NoError(t, s.Add(Products(erp, shop)))
	rep, err := s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 49, rep.Created)
	assert.Equal(t, 1, rep.DeadLettered)
	assert.NotContains(t, shop.products, "SKU-0031")
	// Bisecting 50 items down to one costs 2·log2(50) ≈ 12 calls, not 50.
	assert.LessOrEqual(t, rep.Requests, 13)

	dls, err := st.DeadLetters(ctx, store.DeadLetterFilter{Flow: "products"})
	require.NoError(t, err)
	require.Len(t, dls, 1)
	assert.Equal(t, "SKU-0031", dls[0].Key)
	assert.Equal(t, store.ClassPermanent, dls[0].Class)
	assert.Contains(t, dls[0].Error, "bundle items cannot be adjusted")
	assert.Contains(t, string(dls[0].Payload), `"sku":"SKU-0031"`)

	// Fixed at the remote, the dead letter replays and leaves.
	shop.poisonKey = ""
	rr, err := s.Replay(ctx, store.DeadLetterFilter{IDs: []int64{dls[0].ID}})
	require.NoError(t, err)
	assert.Equal(t, 1, rr.Replayed)
	assert.Contains(t, shop.products, "SKU-0031")
	dls, err = st.DeadLetters(ctx, store.DeadLetterFilter{})
	require.NoError(t, err)
	assert.Empty(t, dls)
}

func TestPanicInUserMiddlewareIsRecovered(t *testing.T) {
	ctx := context.Background()
	erp, shop := newFake("erp", kontor.SideERP), newFake("shop", kontor.SideShop)
	seedProducts(erp, 10)
	boom := func(next Handler) Handler {
		return func(ctx context.Context, b *Batch) ([]kontor.Result, error) {
			for _, it := range b.Items {
				if it.Key == "SKU-0004" {
					panic("user middleware bug")
				}
			}
			return next(ctx, b)
		}
	}
	st := store.NewMemory()
	s, _ := newTestSyncer(t, st)
	require.NoError(t, s.Add(Products(erp, shop, Use(boom))))
	rep, err := s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 9, rep.Created)
	assert.Equal(t, 1, rep.DeadLettered)
	dls, _ := st.DeadLetters(ctx, store.DeadLetterFilter{})
	require.Len(t, dls, 1)
	assert.Equal(t, "SKU-0004", dls[0].Key)
	assert.Contains(t, dls[0].Error, "user middleware bug")

	// The engine goes on.
	erp.put(product("NEW", 100))
	rep, err = s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Created)
}

func TestSameEventTwiceAndConcurrently(t *testing.T) {
	ctx := context.Background()
	shop, erp := newFake("shop", kontor.SideShop), newFake("erp", kontor.SideERP)
	st := store.NewMemory()
	require.NoError(t, st.PutLinks(ctx, []store.Link{{Entity: kontor.EntityProduct, Key: "SKU-1", ERPKey: "I-1"}}))
	s, _ := newTestSyncer(t, st)
	require.NoError(t, s.Add(Orders(shop, erp)))
	payload := mustJSON(t, order("1001", 1, "SKU-1"))

	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			// Half redeliver the same id; half come with a new id but the
			// same payload (a sender that re-sends under a new delivery id).
			id := "d-1"
			if i%2 == 1 {
				id = fmt.Sprintf("d-%d", 100+i)
			}
			assert.NoError(t, s.Notify(ctx, "orders", Event{ID: id, Topic: "orders/create", Key: "1001", Payload: payload}))
		})
	}
	wg.Wait()
	pending, err := st.PendingInbox(ctx, 0)
	require.NoError(t, err)
	assert.Len(t, pending, 1)

	rep, err := s.ProcessEvents(ctx, "orders")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Created)
	// And once more, later, the same delivery.
	require.NoError(t, s.Notify(ctx, "orders", Event{ID: "d-1", Key: "1001", Payload: payload}))
	rep, err = s.ProcessEvents(ctx, "orders")
	require.NoError(t, err)
	assert.Equal(t, 0, rep.Requests)
	assert.Equal(t, 1, erp.created["1001"])
	assert.Len(t, erp.orders, 1)
}

func TestMalformedEventPayloadIsDeadLettered(t *testing.T) {
	ctx := context.Background()
	shop, erp := newFake("shop", kontor.SideShop), newFake("erp", kontor.SideERP)
	st := store.NewMemory()
	require.NoError(t, st.PutLinks(ctx, []store.Link{{Entity: kontor.EntityProduct, Key: "SKU-1", ERPKey: "I-1"}}))
	o := order("1002", 1, "SKU-1")
	shop.orders[o.Number] = o
	s, _ := newTestSyncer(t, st)
	require.NoError(t, s.Add(Orders(shop, erp)))
	require.NoError(t, s.Notify(ctx, "orders", Event{ID: "bad-1", Topic: "orders/create", Key: "1002", Payload: []byte(`{"number": 1002,`)}))
	rep, err := s.ProcessEvents(ctx, "orders")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.DeadLettered)
	assert.Equal(t, 1, rep.Created, "the hint still made the flow sweep, which found the order")
	dls, err := st.DeadLetters(ctx, store.DeadLetterFilter{Class: store.ClassValidation})
	require.NoError(t, err)
	require.Len(t, dls, 1)
	assert.Equal(t, "1002", dls[0].Key)
	assert.Contains(t, dls[0].Error, "payload")
	assert.Contains(t, string(dls[0].Payload), `{\"number\": 1002,`)
	pending, _ := st.PendingInbox(ctx, 0)
	assert.Empty(t, pending)
}

func TestUnknownSKUWaitsForItsLink(t *testing.T) {
	ctx := context.Background()
	erp, shop := newFake("erp", kontor.SideERP), newFake("shop", kontor.SideShop)
	o := order("1003", 1, "SKU-NEW")
	shop.orders[o.Number] = o
	st := store.NewMemory()
	s, _ := newTestSyncer(t, st)
	require.NoError(t, s.Add(Products(erp, shop), Orders(shop, erp)))

	rep, err := s.Sync(ctx, "orders")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.DeadLettered)
	assert.Equal(t, 0, rep.Requests)
	dls, _ := st.DeadLetters(ctx, store.DeadLetterFilter{})
	require.Len(t, dls, 1)
	assert.Equal(t, store.ClassMapping, dls[0].Class)
	assert.Contains(t, dls[0].Error, "lines[0].sku")

	// The product arrives; its flow links it, and the order is replayed.
	erp.put(product("SKU-NEW", 5))
	rep, err = s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Created)
	assert.Equal(t, 1, rep.Replayed)
	assert.Contains(t, erp.orders, "1003")
	dls, _ = st.DeadLetters(ctx, store.DeadLetterFilter{})
	assert.Empty(t, dls)
}

// crashStore fails one method once armed: the process dies after the sink
// answered and before the engine recorded it.
type crashStore struct {
	store.Store
	method string
	armed  atomic.Bool
}

func (c *crashStore) PutStates(ctx context.Context, flow string, states []store.ItemState) error {
	if c.armed.Load() && c.method == "PutStates" {
		return errors.New("killed")
	}
	return c.Store.PutStates(ctx, flow, states)
}

func (c *crashStore) FinishWrite(ctx context.Context, flow, key string, fp uint64, state store.WriteState, target kontor.Meta) error {
	if c.armed.Load() && c.method == "FinishWrite" {
		return errors.New("killed")
	}
	return c.Store.FinishWrite(ctx, flow, key, fp, state, target)
}

func TestCrashBetweenWriteAndRecord(t *testing.T) {
	for _, tc := range []struct {
		method       string
		wantRequests int
	}{
		// Died before the write was marked done: the restart sends again
		// with the stored keys, and the ERP answers from its key memory.
		{"FinishWrite", 1},
		// Died after it was marked done: the restart sends nothing.
		{"PutStates", 0},
	} {
		t.Run(tc.method, func(t *testing.T) {
			ctx := context.Background()
			shop, erp := newFake("shop", kontor.SideShop), newFake("erp", kontor.SideERP)
			for i := range 5 {
				o := order(fmt.Sprintf("%d", 2000+i), i, "SKU-1")
				shop.orders[o.Number] = o
			}
			mem := store.NewMemory()
			require.NoError(t, mem.PutLinks(ctx, []store.Link{{Entity: kontor.EntityProduct, Key: "SKU-1", ERPKey: "I-1"}}))
			st := &crashStore{Store: mem, method: tc.method}
			st.armed.Store(true)
			s1, _ := newTestSyncer(t, st)
			require.NoError(t, s1.Add(Orders(shop, erp)))
			_, err := s1.Sync(ctx, "orders")
			require.Error(t, err)
			assert.Len(t, erp.orders, 5, "the ERP got the orders before the crash")

			// Restart: a new engine on the same store. The ERP's
			// check-before-create is emptied: only the keys can save us.
			st.armed.Store(false)
			erp.orders = map[string]kontor.Order{}
			s2, _ := newTestSyncer(t, st)
			require.NoError(t, s2.Add(Orders(shop, erp)))
			rep, err := s2.Sync(ctx, "orders")
			require.NoError(t, err)
			assert.Equal(t, 5, rep.Unchanged, "found, not created again")
			assert.Equal(t, tc.wantRequests, rep.Requests)
			for n, c := range erp.created {
				assert.Equal(t, 1, c, "order %s", n)
			}
			if tc.wantRequests > 0 {
				assert.Equal(t, erp.seenKeys[0], erp.seenKeys[1], "the restart reused the stored keys")
			}
		})
	}
}

func TestContextCancelledMidFlow(t *testing.T) {
	erp, shop := newFake("erp", kontor.SideERP), newFake("shop", kontor.SideShop)
	seedProducts(erp, 200)
	st := store.NewMemory()
	s, _ := newTestSyncer(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	cancelAt := mapping.Func("cancel@1", func(_ context.Context, p kontor.Product) (kontor.Product, error) {
		if n++; n == 120 {
			cancel()
		}
		return p, nil
	})
	require.NoError(t, s.Add(Products(erp, shop, Map(cancelAt), BatchSize(25))))
	_, err := s.Sync(ctx, "products")
	require.ErrorIs(t, err, context.Canceled)
	cur, _ := st.Cursor(context.Background(), "products")
	assert.True(t, cur.Since.IsZero(), "a cancelled run does not move the cursor")
	writtenBefore := len(shop.products)

	rep, err := s.Sync(context.Background(), "products")
	require.NoError(t, err)
	assert.Len(t, shop.products, 200)
	assert.Equal(t, writtenBefore, rep.Unchanged, "what the cancelled run wrote is not written again")
	assert.Equal(t, 200-writtenBefore, rep.Created)
}

func TestEchoIsIgnored(t *testing.T) {
	ctx := context.Background()
	erp, shop := newFake("erp", kontor.SideERP), newFake("shop", kontor.SideShop)
	erp.status["1001"] = kontor.StatusUpdate{Meta: kontor.Meta{UpdatedAt: base}, OrderNumber: "1001",
		OrderStatus: kontor.OrderShipped, Source: kontor.SideERP, At: base}
	s, _ := newTestSyncer(t, store.NewMemory())
	require.NoError(t, s.Add(StatusToShop(erp, shop), StatusToERP(shop, erp)))
	rep, err := s.Sync(ctx, "status-to-shop")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Created)

	// The shop now holds the status and reports it as changed: our echo.
	rep, err = s.Sync(ctx, "status-to-erp")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Echoes)
	assert.Equal(t, 0, rep.Requests)

	// A real change in the shop is no echo.
	shop.status["1001"] = kontor.StatusUpdate{Meta: kontor.Meta{UpdatedAt: base.Add(time.Hour)}, OrderNumber: "1001",
		OrderStatus: kontor.OrderShipped, PaymentStatus: kontor.PaymentRefunded, Source: kontor.SideShop, At: base.Add(time.Hour)}
	rep, err = s.Sync(ctx, "status-to-erp")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Writes())

	// The shop then goes back to the very status the engine once wrote
	// there: a change of the shop's, not an echo.
	shop.status["1001"] = kontor.StatusUpdate{Meta: kontor.Meta{UpdatedAt: base.Add(2 * time.Hour)}, OrderNumber: "1001",
		OrderStatus: kontor.OrderShipped, Source: kontor.SideERP, At: base}
	rep, err = s.Sync(ctx, "status-to-erp")
	require.NoError(t, err)
	assert.Equal(t, 0, rep.Echoes)
	assert.Equal(t, 1, rep.Writes())
	assert.Empty(t, erp.status["1001"].PaymentStatus, "the ERP holds the shop's latest status")
}

func TestMissedEventsAreCounted(t *testing.T) {
	ctx := context.Background()
	shop, erp := newFake("shop", kontor.SideShop), newFake("erp", kontor.SideERP)
	st := store.NewMemory()
	require.NoError(t, st.PutLinks(ctx, []store.Link{{Entity: kontor.EntityProduct, Key: "SKU-1", ERPKey: "I-1"}}))
	first := order("3000", 0, "SKU-1")
	shop.orders[first.Number] = first
	s, _ := newTestSyncer(t, st)
	require.NoError(t, s.Add(Orders(shop, erp)))
	_, err := s.Sync(ctx, "orders") // the initial load counts nothing as missed
	require.NoError(t, err)

	for i := 1; i <= 3; i++ {
		o := order(fmt.Sprintf("%d", 3000+i), 10+i, "SKU-1")
		shop.orders[o.Number] = o
	}
	// Only 3001's webhook arrives, and it carries no payload.
	require.NoError(t, s.Notify(ctx, "orders", Event{ID: "w-3001", Key: "3001"}))
	rep, err := s.Sync(ctx, "orders")
	require.NoError(t, err)
	assert.Equal(t, 3, rep.Created)
	assert.Equal(t, 2, rep.Missed, "3002 and 3003 were found by the sweep alone")
}

func TestPlanWritesNothing(t *testing.T) {
	ctx := context.Background()
	erp, shop := newFake("erp", kontor.SideERP), newFake("shop", kontor.SideShop)
	seedProducts(erp, 3)
	st := store.NewMemory()
	s, _ := newTestSyncer(t, st)
	require.NoError(t, s.Add(Products(erp, shop)))
	_, err := s.Sync(ctx, "products")
	require.NoError(t, err)

	p := erp.products["SKU-0001"]
	p.Title, p.UpdatedAt = "New title", base.Add(time.Hour)
	erp.put(p)
	gone := erp.products["SKU-0002"]
	gone.Status, gone.UpdatedAt = kontor.ProductDiscontinued, base.Add(time.Hour)
	erp.put(gone)
	erp.put(product("SKU-NEW", 70))
	callsBefore := shop.calls

	plan, err := s.Plan(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, callsBefore, shop.calls, "a dry run writes nothing")
	c, u, a := plan.Counts()
	assert.Equal(t, [3]int{1, 1, 1}, [3]int{c, u, a})
	assert.Equal(t, 1, plan.Requests)
	byKey := map[string]Change{}
	for _, ch := range plan.Changes {
		byKey[ch.Key] = ch
	}
	assert.Equal(t, []FieldChange{{Path: "title", Old: `"Product SKU-0001"`, New: `"New title"`}}, byKey["SKU-0001"].Fields)
	assert.Equal(t, store.OpArchive, byKey["SKU-0002"].Op)
	cur, _ := st.Cursor(ctx, "products")
	assert.True(t, cur.Since.Equal(base.Add(2*time.Minute)), "the plan did not move the cursor")
	assert.Equal(t, "products: 1 to create, 1 to update, 1 to archive, 0 unchanged, 0 failing, 1 requests", plan.String())
}

func TestAuditTrailRecordsEveryWrite(t *testing.T) {
	ctx := context.Background()
	erp, shop := newFake("erp", kontor.SideERP), newFake("shop", kontor.SideShop)
	seedProducts(erp, 2)
	shop.failKeys["SKU-0001"] = kontor.NewError(kontor.KindValidation, "shop", errors.New("title too long"))
	st := store.NewMemory()
	s, _ := newTestSyncer(t, st)
	require.NoError(t, s.Add(Products(erp, shop)))
	_, err := s.Sync(ctx, "products")
	require.NoError(t, err)
	recs, err := st.Audit(ctx, store.AuditFilter{Flow: "products"})
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, kontor.Created, recs[0].Outcome)
	assert.Equal(t, store.OpCreate, recs[0].Op)
	assert.Equal(t, kontor.SideShop, recs[0].Target)
	assert.NotZero(t, recs[0].After)
	assert.Equal(t, kontor.Failed, recs[1].Outcome)
	assert.Contains(t, recs[1].Error, "title too long")
}

func TestSetupFailsForMissingCapability(t *testing.T) {
	erp, shop := newFake("erp", kontor.SideERP), newFake("shop", kontor.SideShop)
	shop.writes = []kontor.Entity{kontor.EntityProduct} // cannot take orders
	s := New(store.NewMemory())
	err := s.Add(Orders(shop, erp), Stock(erp, shop))
	require.Error(t, err)
	// Orders from shop to ERP work; stock from ERP to a shop that cannot
	// take stock does not.
	assert.Contains(t, err.Error(), "shop cannot write stock")
	assert.Empty(t, s.Flows(), "no flow of a failed Add is added")

	err = s.Add(Products(erp, shop, Map(mapping.Func("o", func(_ context.Context, o kontor.Order) (kontor.Order, error) { return o, nil }))))
	assert.ErrorContains(t, err, "want a mapping.Mapper[kontor.Product]")
	assert.ErrorContains(t, s.Add(Products(erp, shop, Cron("every tuesday"))), "cron")
	require.NoError(t, s.Add(Products(erp, shop)))
	assert.ErrorContains(t, s.Add(Products(erp, shop)), "exists")
}

func TestBurstsCoalesceIntoOneWrite(t *testing.T) {
	ctx := context.Background()
	erp, shop := newFake("erp", kontor.SideERP), newFake("shop", kontor.SideShop)
	s, _ := newTestSyncer(t, store.NewMemory())
	require.NoError(t, s.Add(Stock(erp, shop)))
	for v := 1; v <= 5; v++ {
		lvl := kontor.StockLevel{Meta: kontor.Meta{Version: int64(v), UpdatedAt: base.Add(time.Duration(v) * time.Second)},
			SKU: "A", Location: "MAIN", Available: dec(fmt.Sprintf("%d", 10-v)), Reserved: dec("1"), SafetyStock: dec("0.5")}
		require.NoError(t, s.Notify(ctx, "stock", Event{ID: fmt.Sprintf("e-%d", v), Key: lvl.Key(), Payload: mustJSON(t, lvl)}))
	}
	rep, err := s.ProcessEvents(ctx, "stock")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Requests)
	assert.Equal(t, 1, rep.Created)
	// Version 5: 5 available − 1 reserved − 0.5 safety = 3.5, published as 3 whole units.
	assert.Equal(t, "3", shop.stock["A@MAIN"].Available.String())
}

func TestRunUntilCancelled(t *testing.T) {
	erp, shop := newFake("erp", kontor.SideERP), newFake("shop", kontor.SideShop)
	seedProducts(erp, 5)
	s := New(store.NewMemory(), WithShutdownGrace(time.Second))
	require.NoError(t, s.Add(Products(erp, shop, Every(time.Hour)), Stock(erp, shop, Debounce(time.Millisecond))))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	require.Eventually(t, func() bool { shop.mu.Lock(); defer shop.mu.Unlock(); return len(shop.products) == 5 }, 5*time.Second, 5*time.Millisecond)

	lvl := kontor.StockLevel{Meta: kontor.Meta{UpdatedAt: base}, SKU: "SKU-0001", Available: dec("4")}
	require.NoError(t, s.Notify(context.Background(), "stock", Event{ID: "s-1", Key: lvl.Key(), Payload: mustJSON(t, lvl)}))
	require.Eventually(t, func() bool { shop.mu.Lock(); defer shop.mu.Unlock(); return len(shop.stock) == 1 }, 5*time.Second, 5*time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestRetryHonoursRetryAfter(t *testing.T) {
	ctx := context.Background()
	erp, shop := newFake("erp", kontor.SideERP), newFake("shop", kontor.SideShop)
	seedProducts(erp, 3)
	shop.failCalls = []error{&kontor.APIError{System: "shop", Kind: kontor.KindRateLimited, StatusCode: 429, RetryAfter: 7 * time.Second}}
	s, clk := newTestSyncer(t, store.NewMemory())
	require.NoError(t, s.Add(Products(erp, shop)))
	rep, err := s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 3, rep.Created)
	require.Len(t, clk.sleeps, 1)
	assert.GreaterOrEqual(t, clk.sleeps[0], 7*time.Second)

	// Credentials that stop working fail the run, dead-letter nothing, and
	// keep the cursor for the next run.
	erp.put(product("X", 90))
	shop.failCalls = []error{&kontor.APIError{System: "shop", Kind: kontor.KindUnauthorized, StatusCode: 401}}
	rep, err = s.Sync(ctx, "products")
	require.ErrorIs(t, err, kontor.ErrUnauthorized)
	assert.Equal(t, 0, rep.DeadLettered)
	rep, err = s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Created)
}

func TestMappingFailuresCarryTheMappingVersion(t *testing.T) {
	ctx := context.Background()
	erp, shop := newFake("erp", kontor.SideERP), newFake("shop", kontor.SideShop)
	seedProducts(erp, 3)
	vm := mapping.Func("taxes@2", func(_ context.Context, p kontor.Product) (kontor.Product, error) {
		if p.SKU == "SKU-0001" {
			return p, &mapping.MissingError{Entity: kontor.EntityProduct, Key: p.SKU, Field: "tax_class", Table: "tax_classes", Value: "reduced-2"}
		}
		return p, nil
	})
	st := store.NewMemory()
	s, _ := newTestSyncer(t, st)
	require.NoError(t, s.Add(Products(erp, shop, Map(vm))))
	rep, err := s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Created)
	dls, _ := st.DeadLetters(ctx, store.DeadLetterFilter{Class: store.ClassMapping})
	require.Len(t, dls, 1)
	assert.Equal(t, "taxes@2", dls[0].MappingVersion)
	assert.Equal(t, "SKU-0001", dls[0].Key)
}

func TestPersonalDataStaysOutOfLogs(t *testing.T) {
	ctx := context.Background()
	var logs syncLog
	shop, erp := newFake("shop", kontor.SideShop), newFake("erp", kontor.SideERP)
	o := order("4000", 1, "SKU-1")
	o.Customer.Email = "canary.person@example.org"
	o.Billing.Street = "Canarystraße 1"
	shop.orders[o.Number] = o
	erp.failKeys["4000"] = kontor.NewError(kontor.KindValidation, "erp", errors.New("customer blocked"))
	st := store.NewMemory()
	require.NoError(t, st.PutLinks(ctx, []store.Link{{Entity: kontor.EntityProduct, Key: "SKU-1", ERPKey: "I-1"}}))
	s, _ := newTestSyncer(t, st, WithLogger(newJSONLogger(&logs)))
	require.NoError(t, s.Add(Orders(shop, erp)))
	_, err := s.Sync(ctx, "orders")
	require.NoError(t, err)
	out := logs.String()
	assert.Contains(t, out, "4000", "the log names the order")
	assert.NotContains(t, out, "canary")
	assert.NotContains(t, out, "Canarystraße")
}

func TestRateLimitMiddlewarePacesItems(t *testing.T) {
	ctx := context.Background()
	erp, shop := newFake("erp", kontor.SideERP), newFake("shop", kontor.SideShop)
	seedProducts(erp, 30)
	s, _ := newTestSyncer(t, store.NewMemory())
	// 10 items at once, 1,000 per second after: 30 items take ≥ 20 ms.
	require.NoError(t, s.Add(Products(erp, shop, Use(RateLimit(rate.NewLimiter(1000, 10))))))
	start := time.Now()
	rep, err := s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 30, rep.Created)
	assert.GreaterOrEqual(t, time.Since(start), 19*time.Millisecond)

	// A limiter that cannot give the tokens before the deadline fails the
	// batch as rate limited, and nothing is written.
	erp.put(product("LATE", 200))
	slow := New(store.NewMemory())
	require.NoError(t, slow.Add(Products(erp, newFake("shop2", kontor.SideShop), Use(RateLimit(rate.NewLimiter(0.001, 1))))))
	dctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err = slow.Sync(dctx, "products")
	require.Error(t, err)
}

func TestOwnedFieldsAndIgnoredFields(t *testing.T) {
	ctx := context.Background()
	erp, shop := newFake("erp", kontor.SideERP), newFake("shop", kontor.SideShop)
	seedProducts(erp, 2)
	var masks [][]string
	spy := func(next Handler) Handler {
		return func(ctx context.Context, b *Batch) ([]kontor.Result, error) {
			masks = append(masks, kontor.Fields(ctx))
			return next(ctx, b)
		}
	}
	s, _ := newTestSyncer(t, store.NewMemory())
	// The ERP owns titles and status; the shop's marketing team owns the
	// descriptions.
	require.NoError(t, s.Add(Products(erp, shop, Owns("sku", "title", "status"), Use(spy))))
	_, err := s.Sync(ctx, "products")
	require.NoError(t, err)

	p := erp.products["SKU-0001"]
	p.Description, p.UpdatedAt = "an ERP-side text nobody should publish", base.Add(time.Hour)
	erp.put(p)
	rep, err := s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 0, rep.Requests, "a change to a field the flow does not own writes nothing")

	p.Title, p.UpdatedAt = "New title", base.Add(2*time.Hour)
	erp.put(p)
	rep, err = s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Updated)
	require.NotEmpty(t, masks)
	assert.Equal(t, []string{"sku", "title", "status"}, masks[len(masks)-1], "the sink is told which fields it may write")
}

func TestOrderStatusChangesDoNotResendOrders(t *testing.T) {
	ctx := context.Background()
	shop, erp := newFake("shop", kontor.SideShop), newFake("erp", kontor.SideERP)
	st := store.NewMemory()
	require.NoError(t, st.PutLinks(ctx, []store.Link{{Entity: kontor.EntityProduct, Key: "SKU-1", ERPKey: "I-1"}}))
	o := order("5000", 1, "SKU-1")
	shop.orders[o.Number] = o
	s, _ := newTestSyncer(t, st)
	require.NoError(t, s.Add(Orders(shop, erp)))
	_, err := s.Sync(ctx, "orders")
	require.NoError(t, err)

	o.Status, o.PaymentStatus, o.UpdatedAt = kontor.OrderShipped, kontor.PaymentPaid, base.Add(time.Hour)
	shop.orders[o.Number] = o
	rep, err := s.Sync(ctx, "orders")
	require.NoError(t, err)
	assert.Equal(t, 0, rep.Requests, "status belongs to the status flows")

	o.Note, o.UpdatedAt = "Bitte nicht klingeln", base.Add(2*time.Hour)
	shop.orders[o.Number] = o
	rep, err = s.Sync(ctx, "orders")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Requests, "an edit of the order itself is sent")
}

// versioned is a mapping whose version changes, as a reloaded file's does.
type versioned struct {
	version string
	missing map[string]bool
}

func (v *versioned) Version() string { return v.version }
func (v *versioned) Map(_ context.Context, p kontor.Product) (kontor.Product, error) {
	if v.missing[p.SKU] {
		return p, &mapping.MissingError{Entity: kontor.EntityProduct, Key: p.SKU, Field: "tax_class", Table: "tax_classes", Value: "reduced"}
	}
	return p, nil
}

func TestNewMappingVersionReplaysItsDeadLetters(t *testing.T) {
	ctx := context.Background()
	erp, shop := newFake("erp", kontor.SideERP), newFake("shop", kontor.SideShop)
	seedProducts(erp, 3)
	m := &versioned{version: "taxes@1", missing: map[string]bool{"SKU-0002": true}}
	st := store.NewMemory()
	s, _ := newTestSyncer(t, st)
	require.NoError(t, s.Add(Products(erp, shop, Map[kontor.Product](m))))
	rep, err := s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.DeadLettered)
	assert.Equal(t, 0, rep.Replayed)

	rep, err = s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 0, rep.Replayed, "same mapping version: left alone")
	dls, _ := st.DeadLetters(ctx, store.DeadLetterFilter{})
	require.Len(t, dls, 1)
	// Failed, failed again when the first run's new links replayed it, and
	// once more when the overlap read it.
	assert.Equal(t, 3, dls[0].Attempts)
	assert.Equal(t, "taxes@1", dls[0].MappingVersion)

	// The agency adds the missing tax class; the file's version changes.
	m.version, m.missing = "taxes@2", nil
	rep, err = s.Sync(ctx, "products")
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Replayed)
	assert.Contains(t, shop.products, "SKU-0002")
	dls, _ = st.DeadLetters(ctx, store.DeadLetterFilter{})
	assert.Empty(t, dls)
}

// A shop that puts the whole tax on the first line: the order fails
// validation as it comes, and passes once the flow's mapping normalises it.
func TestOrdersNormalisedByTheFlowsMapping(t *testing.T) {
	ctx := context.Background()
	raw := order("6000", 1, "SKU-1", "SKU-2")
	raw.Lines[0].Tax, raw.Lines[0].Gross = eur("3.80"), eur("13.80")
	raw.Lines[1].Tax, raw.Lines[1].Gross = eur("0.00"), eur("10.00")
	require.Error(t, raw.Validate())

	for _, normalise := range []bool{false, true} {
		t.Run(fmt.Sprint("normalise=", normalise), func(t *testing.T) {
			shop, erp := newFake("shop", kontor.SideShop), newFake("erp", kontor.SideERP)
			shop.orders[raw.Number] = raw
			st := store.NewMemory()
			require.NoError(t, st.PutLinks(ctx, []store.Link{{Entity: kontor.EntityProduct, Key: "SKU-1", ERPKey: "I-1"}, {Entity: kontor.EntityProduct, Key: "SKU-2", ERPKey: "I-2"}}))
			var opts []FlowOption
			if normalise {
				opts = append(opts, Map[kontor.Order](mapping.New("orders@1", mapping.NormalizeOrders(mapping.TaxOptions{Strategy: mapping.RoundPerLine}))))
			}
			s, _ := newTestSyncer(t, st)
			require.NoError(t, s.Add(Orders(shop, erp, opts...)))
			rep, err := s.Sync(ctx, "orders")
			require.NoError(t, err)
			if !normalise {
				assert.Equal(t, 1, rep.DeadLettered)
				assert.Equal(t, 0, rep.Requests, "an invalid order costs no request")
				dls, _ := st.DeadLetters(ctx, store.DeadLetterFilter{Class: store.ClassValidation})
				require.Len(t, dls, 1)
				return
			}
			require.Equal(t, 1, rep.Created)
			got := erp.orders["6000"]
			require.NoError(t, got.Validate())
			assert.Equal(t, "1.90", got.Lines[0].Tax.Amount.StringFixed(2))
			assert.Equal(t, "1.90", got.Lines[1].Tax.Amount.StringFixed(2))
		})
	}
}

// failingInbox is a store whose inbox cannot take events (a full disk).
type failingInbox struct{ store.Store }

func (failingInbox) AddInbox(context.Context, store.InboxEvent) (bool, error) {
	return false, kontor.NewError(kontor.KindRetryable, "store AddInbox", errors.New("disk full"))
}

// An event the store could not keep is not acknowledged: Notify fails, so
// the webhook receiver answers with an error and the sender retries.
func TestNotifyFailsWhenTheInboxCannotStore(t *testing.T) {
	ctx := context.Background()
	shop, erp := newFake("shop", kontor.SideShop), newFake("erp", kontor.SideERP)
	s, _ := newTestSyncer(t, failingInbox{store.NewMemory()})
	require.NoError(t, s.Add(Orders(shop, erp)))
	err := s.Notify(ctx, "orders", Event{ID: "d-1", Key: "1001", Payload: mustJSON(t, order("1001", 1, "SKU-1"))})
	require.Error(t, err)
	assert.True(t, kontor.IsRetryable(err))
	rep, err := s.ProcessEvents(ctx, "orders")
	require.NoError(t, err)
	assert.Equal(t, 0, rep.Requests, "nothing was stored, so nothing is processed")
}
