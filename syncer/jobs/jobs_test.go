package jobs_test

import (
	"context"
	"iter"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/erp/memerp"
	"github.com/kontor-dev/kontor/internal/pgtest"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/shop/memshop"
	"github.com/kontor-dev/kontor/syncer"
	"github.com/kontor-dev/kontor/syncer/jobs"
	"github.com/kontor-dev/kontor/syncer/store"
	"github.com/kontor-dev/kontor/syncer/store/postgres"
	"github.com/kontor-dev/kontor/syncer/store/sqlite"
)

func TestMain(m *testing.M) {
	if os.Getenv(killChildEnv) != "" {
		os.Exit(runKillChild()) // this binary is the kill test's child
	}
	goleak.VerifyTestMain(m)
}

// countingERP counts the sweeps that read its catalog.
type countingERP struct {
	*memerp.ERP
	reads atomic.Int32
}

func (c *countingERP) ReadProducts(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.Product, error] {
	c.reads.Add(1)
	return c.ERP.ReadProducts(ctx, since)
}

func newERP(t *testing.T, n int) *countingERP {
	erp := &countingERP{ERP: memerp.New()}
	for i := range n {
		_, err := erp.PutProduct(kontortest.SampleProduct(i))
		require.NoError(t, err)
	}
	return erp
}

func TestSQLiteQueueRunsSweepsAndEvents(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kontor.db"))
	require.NoError(t, err)
	defer st.Close()
	q, err := jobs.SQLite(ctx, st, jobs.WithPollInterval(20*time.Millisecond))
	require.NoError(t, err)

	erp, shop := newERP(t, 40), memshop.New()
	s := syncer.New(st, syncer.WithQueue(q))
	require.NoError(t, s.Add(
		syncer.Products(erp, shop, syncer.Every(time.Hour)),
		syncer.Orders(shop, erp, syncer.Every(time.Hour), syncer.RequireProductLinks(false), syncer.Debounce(0)),
	))
	shop.OnEvent(func(ctx context.Context, ev memshop.Event) {
		if ev.Entity == kontor.EntityOrder {
			assert.NoError(t, s.Notify(ctx, "orders", syncer.Event{ID: ev.ID, Topic: ev.Topic, Key: ev.Key, Payload: ev.Payload}))
		}
	})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	defer func() { cancel(); require.NoError(t, <-done) }()

	require.Eventually(t, func() bool { return len(shop.Products()) == 40 }, 10*time.Second, 10*time.Millisecond,
		"the sweep ran as a periodic job on start")
	// A real-time order: the webhook stores the event, a job processes it.
	o := kontortest.SampleOrder(1)
	o.Number, o.ShopKey = "", ""
	placed := shop.PlaceOrder(o)
	require.Eventually(t, func() bool { _, ok := erp.Order(placed.Number); return ok }, 10*time.Second, 10*time.Millisecond)
	assert.EqualValues(t, 1, erp.reads.Load(), "one sweep on start; the order came by event, not by a sweep")
}

// Two processes share one PostgreSQL database: River elects one leader, so
// a periodic flow runs once per tick, and each item is written once.
func TestPostgresTwoProcessesShareAFlow(t *testing.T) {
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	ctx := context.Background()
	erp, shop := newERP(t, 100), memshop.New()
	var created sync.Map // SKU → times created
	shop.OnEvent(func(ctx context.Context, ev memshop.Event) {
		if ev.Topic == "products/update" {
			n, _ := created.LoadOrStore(ev.Key, new(atomic.Int32))
			n.(*atomic.Int32).Add(1)
		}
	})

	const tick = 300 * time.Millisecond
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range 2 {
		st, err := postgres.Open(ctx, dsn, postgres.Schema(schema))
		require.NoError(t, err)
		defer st.Close()
		q, err := jobs.Postgres(ctx, st, jobs.WithPollInterval(50*time.Millisecond))
		require.NoError(t, err)
		s := syncer.New(st, syncer.WithQueue(q))
		require.NoError(t, s.Add(syncer.Products(erp, shop, syncer.Every(tick))))
		wg.Go(func() { assert.NoError(t, s.Run(runCtx)) })
	}
	defer func() { cancel(); wg.Wait() }()

	// Leader election takes its time; then every tick sweeps once.
	require.Eventually(t, func() bool { return len(shop.Products()) == 100 }, 30*time.Second, 10*time.Millisecond)
	before := erp.reads.Load()
	const window = 10 * tick
	time.Sleep(window)
	sweeps := int(erp.reads.Load() - before)
	t.Logf("sweeps in %v at one per %v: %d", window, tick, sweeps)
	// A loaded CI machine delays River's periodic jobs; the point is that
	// they keep coming, and not twice as often.
	assert.GreaterOrEqual(t, sweeps, 3, "the schedule keeps running")
	assert.LessOrEqual(t, sweeps, 11, "two schedulers would sweep about twice as often")
	created.Range(func(k, v any) bool {
		assert.EqualValues(t, 1, v.(*atomic.Int32).Load(), "product %s written more than once", k)
		return true
	})
}

// Orders go to the ERP as single write jobs: retried by the queue when the
// ERP fails, dead-lettered when an order cannot be written, and enqueued
// again by a replay.
func TestWriteJobs(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kontor.db"))
	require.NoError(t, err)
	defer st.Close()
	q, err := jobs.SQLite(ctx, st, jobs.WithPollInterval(20*time.Millisecond),
		jobs.WithRetryDelay(func(int) time.Duration { return 10 * time.Millisecond }))
	require.NoError(t, err)

	shop, erp := memshop.New(), memerp.New()
	var numbers []string
	for i := range 30 {
		o := kontortest.SampleOrder(i)
		o.Number, o.ShopKey = "", ""
		numbers = append(numbers, shop.PlaceOrder(o).Number)
	}
	// The ERP drops the first two calls, and refuses one order for good.
	erp.FailNext(2, kontor.NewError(kontor.KindRetryable, "erp", assert.AnError))
	erp.FailKey(numbers[7], kontor.NewError(kontor.KindPermanent, "erp", assert.AnError))

	// One attempt in the engine: a failure goes back to the queue, whose
	// retries this test is about.
	s := syncer.New(st, syncer.WithQueue(q), syncer.WithRetry(syncer.RetryPolicy{Attempts: 1, Initial: time.Millisecond}))
	require.NoError(t, s.Add(syncer.Orders(shop, erp, syncer.Every(time.Hour), syncer.RequireProductLinks(false))))
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	defer func() { cancel(); require.NoError(t, <-done) }()

	require.Eventually(t, func() bool { return len(erp.Orders()) == 29 }, 20*time.Second, 10*time.Millisecond)
	var dls []store.DeadLetter
	require.Eventually(t, func() bool {
		dls, err = st.DeadLetters(ctx, store.DeadLetterFilter{Flow: "orders"})
		return err == nil && len(dls) == 1
	}, 10*time.Second, 10*time.Millisecond)
	assert.Equal(t, numbers[7], dls[0].Key)
	assert.Equal(t, store.ClassPermanent, dls[0].Class)

	// Fixed in the ERP; the replay enqueues the order again.
	erp.FailKey(numbers[7], nil)
	rep, err := s.Replay(ctx, store.DeadLetterFilter{IDs: []int64{dls[0].ID}})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Enqueued)
	require.Eventually(t, func() bool { return len(erp.Orders()) == 30 }, 10*time.Second, 10*time.Millisecond)
	require.Eventually(t, func() bool {
		dls, err = st.DeadLetters(ctx, store.DeadLetterFilter{})
		return err == nil && len(dls) == 0
	}, 10*time.Second, 10*time.Millisecond, "the successful job deleted the dead letter")
	recs, err := st.Audit(ctx, store.AuditFilter{Flow: "orders"})
	require.NoError(t, err)
	created := map[string]int{}
	for _, r := range recs {
		if r.Outcome == kontor.Created {
			created[r.Key]++
		}
	}
	assert.Len(t, created, 30)
	for k, n := range created {
		assert.Equal(t, 1, n, "order %s", k)
	}
}
