package jobs_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/erp/memerp"
	"github.com/kontor-dev/kontor/internal/pgtest"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/kontortest/bridge"
	"github.com/kontor-dev/kontor/shop/memshop"
	"github.com/kontor-dev/kontor/syncer"
	"github.com/kontor-dev/kontor/syncer/jobs"
	"github.com/kontor-dev/kontor/syncer/store/postgres"
)

const killChildEnv = "KONTOR_JOBS_CHILD"

// slowShop takes products slowly and counts each SKU's creations.
type slowShop struct {
	*memshop.Shop
	mu      sync.Mutex
	created map[string]int
}

func (s *slowShop) WriteProducts(ctx context.Context, ps []kontor.Product) ([]kontor.Result, error) {
	time.Sleep(100 * time.Millisecond)
	res, err := s.Shop.WriteProducts(ctx, ps)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range res {
		if r.Outcome == kontor.Created {
			s.created[r.Key]++
		}
	}
	return res, err
}

// runKillChild is the child process: one engine on the shared schema,
// running until it is killed.
func runKillChild() int {
	ctx := context.Background()
	st, err := postgres.Open(ctx, os.Getenv("KONTOR_JOBS_DSN"), postgres.Schema(os.Getenv("KONTOR_JOBS_SCHEMA")))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	q, err := jobs.Postgres(ctx, st, jobs.WithPollInterval(50*time.Millisecond), jobs.WithRescueAfter(3*time.Second))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	erp, err1 := bridge.Dial(ctx, os.Getenv("KONTOR_JOBS_ERP"), nil)
	shop, err2 := bridge.Dial(ctx, os.Getenv("KONTOR_JOBS_SHOP"), nil)
	if err1 != nil || err2 != nil {
		fmt.Fprintln(os.Stderr, "child:", err1, err2)
		return 2
	}
	s := syncer.New(st, syncer.WithQueue(q))
	if err := s.Add(syncer.Products(erp, shop, syncer.Every(time.Hour))); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	_ = s.Run(ctx) // until killed
	return 0
}

// Two processes share a flow on one PostgreSQL database; the one running
// the sweep is killed with SIGKILL mid-run, and the other finishes it.
func TestKilledProcessLeavesTheOtherToFinish(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for River to notice a dead leader")
	}
	dsn := pgtest.DSN(t)
	schema := pgtest.Schema(t, dsn)
	ctx := context.Background()

	const n = 200
	erp := memerp.New()
	for i := range n {
		_, err := erp.PutProduct(kontortest.SampleProduct(i))
		require.NoError(t, err)
	}
	shop := &slowShop{Shop: memshop.New(memshop.WithMaxBatch(kontor.EntityProduct, 5)), created: map[string]int{}}
	erpSrv, shopSrv := httptest.NewServer(bridge.Handler(erp)), httptest.NewServer(bridge.Handler(shop))
	defer erpSrv.Close()
	defer shopSrv.Close()

	exe, err := os.Executable()
	require.NoError(t, err)
	child := exec.Command(exe, "-test.run=^$")
	child.Env = append(os.Environ(), killChildEnv+"=1", "KONTOR_JOBS_DSN="+dsn, "KONTOR_JOBS_SCHEMA="+schema,
		"KONTOR_JOBS_ERP="+erpSrv.URL, "KONTOR_JOBS_SHOP="+shopSrv.URL)
	child.Stderr = os.Stderr
	require.NoError(t, child.Start())
	exited := make(chan struct{})
	go func() { _ = child.Wait(); close(exited) }()
	defer func() { _ = child.Process.Kill(); <-exited }()

	count := func() int { shop.mu.Lock(); defer shop.mu.Unlock(); return len(shop.created) }
	require.Eventually(t, func() bool { return count() >= 20 }, 30*time.Second, 5*time.Millisecond, "the child sweeps")

	// The other process joins while the child's sweep runs.
	st, err := postgres.Open(ctx, dsn, postgres.Schema(schema))
	require.NoError(t, err)
	defer st.Close()
	q, err := jobs.Postgres(ctx, st, jobs.WithPollInterval(50*time.Millisecond), jobs.WithRescueAfter(3*time.Second),
		jobs.WithRetryDelay(func(int) time.Duration { return 10 * time.Millisecond }))
	require.NoError(t, err)
	s := syncer.New(st, syncer.WithQueue(q))
	require.NoError(t, s.Add(syncer.Products(erp, shop, syncer.Every(time.Hour))))
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	defer func() { cancel(); require.NoError(t, <-done) }()

	require.NoError(t, child.Process.Signal(syscall.SIGKILL))
	<-exited
	killedAt := count()
	t.Logf("killed the child after %d of %d products", killedAt, n)
	require.Less(t, killedAt, n, "the kill landed mid-sweep")

	require.Eventually(t, func() bool { return count() == n }, 90*time.Second, 20*time.Millisecond,
		"the other process rescues the sweep and finishes it")
	shop.mu.Lock()
	defer shop.mu.Unlock()
	for sku, c := range shop.created {
		assert.Equal(t, 1, c, "product %s created %d times", sku, c)
	}
}
