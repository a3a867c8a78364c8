package status_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/erp/memerp"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/shop/memshop"
	"github.com/kontor-dev/kontor/status"
	"github.com/kontor-dev/kontor/syncer"
	"github.com/kontor-dev/kontor/syncer/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const canary = "canary-status-7f3a@example.com"

// fixture is a syncer with a products flow (3 products) and an orders
// flow with two orders: #500000 whose SKUs are known, and #500007 whose
// are not and which lands in the dead letters; and one order that fails
// at the ERP for good (#500001).
type fixture struct {
	s    *syncer.Syncer
	erp  *memerp.ERP
	shop *memshop.Shop
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	erp, shop := memerp.New(), memshop.New()
	for i := range 3 {
		_, err := erp.PutProduct(kontortest.SampleProduct(i))
		require.NoError(t, err)
	}
	for _, i := range []int{0, 1, 7} {
		o := kontortest.SampleOrder(i)
		o.Customer.Email = canary
		shop.PlaceOrder(o)
	}
	erp.FailKey("#500001", kontor.NewError(kontor.KindPermanent, "erp", nil))
	s := syncer.New(store.NewMemory(), syncer.WithRetry(syncer.RetryPolicy{Attempts: 1}))
	require.NoError(t, s.Add(
		syncer.Products(erp, shop),
		syncer.Orders(shop, erp, syncer.RequireProductLinks(true)),
	))
	_, err := s.SyncAll(ctx)
	require.NoError(t, err)
	return &fixture{s: s, erp: erp, shop: shop}
}

func get(t *testing.T, h http.Handler, path string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestJSON(t *testing.T) {
	f := newFixture(t)
	h := status.Handler(f.s, status.WithTitle("Test shop"), status.WithExcerpt(4000))
	w := get(t, h, "/status.json")
	require.Equal(t, http.StatusOK, w.Code)
	assert.NotContains(t, w.Body.String(), canary, "personal data reaches the status JSON")

	var snap status.Snapshot
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &snap))
	assert.Equal(t, "Test shop", snap.Title)
	require.Len(t, snap.Flows, 2)
	products, orders := snap.Flows[0], snap.Flows[1]
	assert.Equal(t, "products", products.Name)
	assert.Equal(t, "memerp", products.Source)
	assert.Equal(t, "memshop", products.Target)
	assert.Equal(t, 3, products.Totals.Created)
	assert.Equal(t, 3, products.LastSweep.Created)
	assert.False(t, products.LastSweep.Finished.IsZero())
	assert.Equal(t, 1, orders.Totals.Created, "only #500000 reaches the ERP")
	assert.Equal(t, 2, orders.DeadLetters, "two orders are in the dead letters")
	assert.Equal(t, 3, orders.Totals.DeadLettered, "#500007 failed twice: in the sweep and in the replay its new link set off")

	require.Equal(t, 2, snap.DeadLettersTotal)
	byKey := map[string]status.DeadLetter{}
	for _, dl := range snap.DeadLetters {
		byKey[dl.Key] = dl
	}
	unknown := byKey["#500007"]
	assert.Equal(t, store.ClassMapping, unknown.Class)
	assert.Contains(t, unknown.Reason, kontortest.SampleProduct(7).Variants[0].SKU, "the reason names the unknown SKU")
	assert.Contains(t, unknown.Excerpt, "#500007", "the excerpt shows the payload")
	assert.Contains(t, unknown.Excerpt, "[REDACTED]", "the excerpt masks personal data")
	short := get(t, status.Handler(f.s), "/status.json").Body.String()
	var snap2 status.Snapshot
	require.NoError(t, json.Unmarshal([]byte(short), &snap2))
	for _, dl := range snap2.DeadLetters {
		assert.LessOrEqual(t, len(dl.Excerpt), 240+len("…"), "the default excerpt is short")
	}
	assert.Equal(t, store.ClassPermanent, byKey["#500001"].Class)

	require.NotEmpty(t, snap.Audit)
	for i := 1; i < len(snap.Audit); i++ {
		assert.Greater(t, snap.Audit[i-1].Seq, snap.Audit[i].Seq, "audit newest first")
	}
}

func TestPage(t *testing.T) {
	f := newFixture(t)
	h := status.Handler(f.s)
	w := get(t, h, "/")
	require.Equal(t, http.StatusOK, w.Code)
	body := w.Body.String()
	assert.Contains(t, w.Header().Get("Content-Type"), "text/html")
	assert.Contains(t, body, `data-flow="products"`)
	assert.Contains(t, body, `data-flow="orders"`)
	assert.Contains(t, body, "memerp → memshop")
	assert.Contains(t, body, `class="dead-letter" data-id=`)
	assert.Contains(t, body, "new EventSource(\"events\")", "the page updates itself")
	assert.NotContains(t, body, canary)
	assert.NotContains(t, body, "<button", "a viewer gets no replay button")

	frag := get(t, h, "/flows")
	require.Equal(t, http.StatusOK, frag.Code)
	assert.Contains(t, frag.Body.String(), `data-flow="orders"`)
	assert.NotContains(t, frag.Body.String(), "<html", "the fragment is only the live part")
}

func TestRoles(t *testing.T) {
	f := newFixture(t)
	auth := status.BearerTokens(map[string]status.Role{"op-token": status.RoleOperator, "view-token": status.RoleViewer}, false)
	h := status.Handler(f.s, status.WithAuth(auth))

	assert.Equal(t, http.StatusUnauthorized, get(t, h, "/status.json").Code, "no token, no viewers")
	assert.Equal(t, http.StatusUnauthorized, get(t, h, "/status.json", "Authorization", "Bearer wrong").Code)
	assert.Equal(t, http.StatusOK, get(t, h, "/status.json", "Authorization", "Bearer view-token").Code)
	assert.Contains(t, get(t, h, "/", "Authorization", "Bearer op-token").Body.String(), "<button", "an operator gets replay buttons")

	dls, err := f.s.DeadLetters(t.Context(), store.DeadLetterFilter{Key: "#500001"})
	require.NoError(t, err)
	require.Len(t, dls, 1)
	path := "/dead-letters/" + itoa(dls[0].ID) + "/replay"

	post := func(token string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}
	assert.Equal(t, http.StatusForbidden, post("view-token").Code, "a viewer cannot replay")
	assert.Equal(t, http.StatusUnauthorized, post("").Code)
	assert.Equal(t, 0, countOrder(f.erp, "#500001"), "a refused replay writes nothing")

	// Still failing: it stays, one attempt more.
	w := post("op-token")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `"still_failing":true`)

	f.erp.FailKey("#500001", nil)
	w = post("op-token")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Contains(t, w.Body.String(), `"replayed":true`)
	assert.Equal(t, 1, countOrder(f.erp, "#500001"), "the replay wrote the order once")
	assert.Equal(t, http.StatusNotFound, post("op-token").Code, "a replayed dead letter is gone")

	// Without WithAuth everyone views and nobody operates.
	open := status.Handler(f.s)
	req := httptest.NewRequest(http.MethodPost, "/dead-letters/1/replay", nil)
	req.Header.Set("Authorization", "Bearer op-token")
	rec := httptest.NewRecorder()
	open.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusForbidden, rec.Code)
}

func countOrder(erp *memerp.ERP, number string) int {
	n := 0
	for _, o := range erp.Orders() {
		if o.Number == number {
			n++
		}
	}
	return n
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// The event stream sends the state at once and again when a flow runs.
func TestEvents(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(status.Handler(f.s, status.WithPollInterval(10*time.Millisecond)))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/events", nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	events := readEvents(resp.Body)

	first := <-events
	require.Equal(t, 3, first.Flows[0].Totals.Created)
	assert.Equal(t, 1, first.Flows[0].Runs)

	_, err = f.erp.PutProduct(kontortest.SampleProduct(3))
	require.NoError(t, err)
	_, err = f.s.Sync(ctx, "products")
	require.NoError(t, err)
	for snap := range events {
		if snap.Flows[0].Runs == 2 && !snap.Flows[0].Running {
			assert.Equal(t, 4, snap.Flows[0].Totals.Created)
			cancel()
			return
		}
	}
	t.Fatal("no event after the sweep")
}

func readEvents(r io.Reader) <-chan status.Snapshot {
	ch := make(chan status.Snapshot)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var snap status.Snapshot
			if json.Unmarshal([]byte(data), &snap) == nil {
				ch <- snap
			}
		}
	}()
	return ch
}

func TestCollector(t *testing.T) {
	f := newFixture(t)
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(status.Collector(f.s)))
	got := map[string]float64{}
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				assert.Contains(t, []string{"flow", "source", "target", "outcome"}, l.GetName())
				assert.NotContains(t, l.GetValue(), "#5000", "an order number became a label")
				key += " " + l.GetName() + "=" + l.GetValue()
			}
			got[key] = m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	assert.Equal(t, 3.0, got["kontor_flow_items_total flow=products outcome=created source=memerp target=memshop"])
	assert.Equal(t, 3.0, got["kontor_flow_items_total flow=orders outcome=dead_lettered source=memshop target=memerp"])
	assert.Equal(t, 1.0, got["kontor_flow_runs_total flow=products source=memerp target=memshop"])
	assert.Equal(t, 0.0, got["kontor_flow_running flow=products source=memerp target=memshop"])
	assert.Greater(t, got["kontor_flow_last_sweep_timestamp_seconds flow=products source=memerp target=memshop"], 1e9)

	// Nothing of Kontor's is on the global registry.
	global, err := prometheus.DefaultGatherer.Gather()
	require.NoError(t, err)
	for _, mf := range global {
		assert.False(t, strings.HasPrefix(mf.GetName(), "kontor_"), mf.GetName())
	}
}

func statusHandler(f *fixture) http.Handler {
	return status.Handler(f.s, status.WithPollInterval(20*time.Millisecond))
}
