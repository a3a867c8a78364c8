package syncer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/kontortest/bridge"
	"github.com/kontor-dev/kontor/shop/memshop"
	"github.com/kontor-dev/kontor/syncer/store"
)

// The crash test runs the engine in a child process (this test binary,
// started again with crashChildEnv set) that transfers orders from a shop
// to an ERP, both served by the parent over loopback, and kills it with
// SIGKILL at random points. Every order must reach the ERP exactly once.

const (
	crashChildEnv = "KONTOR_CRASH_CHILD"
	crashOrders   = 500
	crashKills    = 20
)

// strictERP creates an order every time it is asked, unless the request
// carries an idempotency key it has seen: so only the engine's keys stand
// between a crash and a duplicate. It also answers slowly, so kills land
// mid-transfer.
type strictERP struct {
	mu      sync.Mutex
	created map[string]int
	byKey   map[string]kontor.Result
	delay   time.Duration
}

func (e *strictERP) Capabilities() kontor.Capabilities {
	return kontor.Capabilities{System: "strict-erp", Writes: []kontor.Entity{kontor.EntityOrder},
		MaxBatch: map[kontor.Entity]int{kontor.EntityOrder: 10}}
}

func (e *strictERP) WriteOrders(ctx context.Context, orders []kontor.Order) ([]kontor.Result, error) {
	time.Sleep(e.delay)
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]kontor.Result, len(orders))
	for i, o := range orders {
		k := kontor.IdempotencyKey(ctx, i)
		if r, ok := e.byKey[k]; ok && k != "" {
			r.Outcome = kontor.Unchanged
			out[i] = r
			continue
		}
		e.created[o.Number]++
		out[i] = kontor.Result{Key: o.Number, Outcome: kontor.Created, Target: kontor.Meta{ERPKey: fmt.Sprintf("SO-%s-%d", o.Number, e.created[o.Number])}}
		if k != "" {
			e.byKey[k] = out[i]
		}
	}
	return out, nil
}

// crashStores are the durable stores the crash test runs on: name → open
// by path or DSN. Filled by the store packages' test files.
var crashStores = map[string]func(ctx context.Context, where string) (store.Store, func() error, error){}

// crashChild is the child's whole life: sync orders until none is left.
func crashChild() int {
	ctx := context.Background()
	open := crashStores[os.Getenv("KONTOR_CRASH_STORE")]
	if open == nil {
		fmt.Fprintln(os.Stderr, "crash child: unknown store")
		return 2
	}
	st, closeStore, err := open(ctx, os.Getenv("KONTOR_CRASH_WHERE"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child: open:", err)
		return 2
	}
	defer closeStore()
	shop, err := bridge.Dial(ctx, os.Getenv("KONTOR_CRASH_SHOP"), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		return 2
	}
	erp, err := bridge.Dial(ctx, os.Getenv("KONTOR_CRASH_ERP"), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		return 2
	}
	s := New(st, WithRetry(RetryPolicy{Attempts: 5, Initial: 10 * time.Millisecond, Max: 100 * time.Millisecond}))
	if err := s.Add(Orders(shop, erp, RequireProductLinks(false))); err != nil {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		return 2
	}
	for {
		rep, err := s.Sync(ctx, "orders")
		if err != nil {
			fmt.Fprintln(os.Stderr, "crash child: sync:", err)
			return 1
		}
		if rep.Requests == 0 {
			return 0
		}
	}
}

// runCrashTest is the parent's side, for one store.
func runCrashTest(t *testing.T, storeName, where string) {
	if testing.Short() {
		t.Skip("the crash test kills 20 processes")
	}
	shop := memshop.New()
	for i := range crashOrders {
		o := kontortest.SampleOrder(i)
		o.Number, o.ShopKey = "", ""
		shop.PlaceOrder(o)
	}
	erp := &strictERP{created: map[string]int{}, byKey: map[string]kontor.Result{}, delay: 25 * time.Millisecond}
	shopSrv := httptest.NewServer(bridge.Handler(shop))
	defer shopSrv.Close()
	erpSrv := httptest.NewServer(bridge.Handler(erp))
	defer erpSrv.Close()

	exe, err := os.Executable()
	require.NoError(t, err)
	start := func() *exec.Cmd {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), crashChildEnv+"=1", "KONTOR_CRASH_STORE="+storeName, "KONTOR_CRASH_WHERE="+where,
			"KONTOR_CRASH_SHOP="+shopSrv.URL, "KONTOR_CRASH_ERP="+erpSrv.URL)
		cmd.Stderr = os.Stderr
		require.NoError(t, cmd.Start())
		return cmd
	}
	// Kill at random points of the transfer: after a random number of new
	// orders has reached the ERP, plus a random few milliseconds, so kills
	// land before, during and after ERP calls and store writes, however
	// fast the child starts.
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	created := func() int { erp.mu.Lock(); defer erp.mu.Unlock(); return len(erp.created) }
	kills, midway := 0, 0
	for kills < crashKills {
		target := created() + 1 + rng.IntN(20)
		cmd := start()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		deadline := time.After(30 * time.Second)
	wait:
		for created() < target {
			select {
			case err := <-done:
				require.NoError(t, err)
				require.FailNow(t, "the child finished the transfer before it was killed 20 times", "after %d kills", kills)
			case <-deadline:
				require.FailNow(t, "the child made no progress in 30 s")
			case <-time.After(time.Millisecond):
				continue wait
			}
		}
		time.Sleep(time.Duration(rng.IntN(30)) * time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
		<-done
		kills++
		if n := created(); n < crashOrders {
			midway++
		}
	}
	require.Equal(t, crashKills, midway, "every kill landed while orders were still being transferred")
	// The last run goes to the end.
	cmd := start()
	require.NoError(t, cmd.Wait())

	erp.mu.Lock()
	defer erp.mu.Unlock()
	lost, duplicated := 0, 0
	for _, o := range shop.Orders() {
		switch n := erp.created[o.Number]; {
		case n == 0:
			lost++
		case n > 1:
			duplicated++
		}
	}
	t.Logf("%s: kills survived %d, orders lost %d, orders duplicated %d", storeName, kills, lost, duplicated)
	fmt.Printf("crash test (%s): kills survived %d, orders lost %d, orders duplicated %d\n", storeName, kills, lost, duplicated)
	require.Zero(t, lost)
	require.Zero(t, duplicated)
	require.Len(t, erp.created, crashOrders)

	// The audit trail agrees: every order written, and to the same set.
	ctx := context.Background()
	st, closeStore, err := crashStores[storeName](ctx, where)
	require.NoError(t, err)
	defer closeStore()
	recs, err := st.Audit(ctx, store.AuditFilter{Flow: "orders"})
	require.NoError(t, err)
	written := map[string]bool{}
	for _, r := range recs {
		if r.Outcome == kontor.Created || r.Outcome == kontor.Unchanged {
			written[r.Key] = true
		}
	}
	var missing []string
	for n := range erp.created {
		if !written[n] {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	require.Empty(t, missing, "orders in the ERP without an audit record")
	require.Len(t, written, crashOrders)
}
