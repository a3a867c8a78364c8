package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/kontor-dev/kontor/internal/browser"
	"github.com/kontor-dev/kontor/syncer/store/sqlite"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// The browser tests' DevTools connection closes asynchronously.
		goleak.IgnoreAnyFunction("github.com/chromedp/chromedp.(*Browser).run"),
	)
}

// output is a writer the run's progress goroutine and the test share.
type output struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) { o.mu.Lock(); defer o.mu.Unlock(); return o.b.Write(p) }
func (o *output) String() string              { o.mu.Lock(); defer o.mu.Unlock(); return o.b.String() }

func runQuickstart(t *testing.T, cfg config) string {
	t.Helper()
	out := &output{}
	cfg.out = out
	if cfg.products == 0 {
		cfg.products = 40
	}
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "kontor.db"))
	require.NoError(t, err)
	defer st.Close()
	err = run(t.Context(), st, cfg)
	require.NoError(t, err, out.String())
	return out.String()
}

// The quickstart does what it says, on the SQLite store, and its last
// pass writes nothing.
func TestQuickstart(t *testing.T) {
	out := runQuickstart(t, config{})
	for _, want := range []string{
		"Shopify now sells 41 products, WooCommerce 41.",
		"Shopify shows 2 available at MAIN",
		"WooCommerce shows 2 after",
		"(WooCommerce delivers the first order's webhook a second time)",
		"(Shopify delivers its first order's webhook a second time)",
		`no mapping for "OLD-MUG-RED"`,
		"replayed by itself; the dead letters are empty again",
		"WooCommerce order 71: DHL 00340434161094042557, status completed",
		"fulfilled with DHL 00340434161094042564",
		"Business Central credit memo",
		"zero writes: every item was unchanged.",
	} {
		assert.Contains(t, out, want)
	}
	assert.Equal(t, 5, strings.Count(out, ", once\n"), "five orders, each in Business Central once:\n%s", out)
	if t.Failed() {
		t.Log(out)
	}
}

// The status page of a running quickstart, in a real browser: it shows
// the flows, the waiting order in the dead letters with its reason, and,
// after the replay, no dead letters and the writes in the audit trail.
func TestStatusPageOfARunningQuickstart(t *testing.T) {
	bctx := browser.New(t)
	shots := t.TempDir()
	var stages []string
	look := func(stage, url string) {
		stages = append(stages, stage)
		require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(url)))
		_, err := chromedp.Run(bctx, chromedp.Poll[bool](`document.getElementById("state").textContent === "live"`,
			chromedp.WithPollingTimeout(10*time.Second)))
		require.NoError(t, err, "the page's event stream did not connect")
		flows, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("tr.flow")].map(r => r.dataset.flow)`))
		require.NoError(t, err)
		assert.Contains(t, flows, "orders ← woocommerce")
		assert.Contains(t, flows, "stock → shopify")
		assert.Len(t, flows, 12)
		dead, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("dead-letters").innerText`))
		require.NoError(t, err)
		switch stage {
		case "dead-letter":
			assert.Contains(t, dead, "OLD-MUG-RED", "the reason names the unknown SKU")
			assert.Contains(t, dead, "mapping")
			assert.NotContains(t, dead, "@example.com", "the payload excerpt masks e-mail addresses")
		case "end":
			assert.Contains(t, dead, "None.")
			audit, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("audit").innerText`))
			require.NoError(t, err)
			assert.Contains(t, audit, "created")
		}
		shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		path := filepath.Join(shots, stage+".png")
		require.NoError(t, os.WriteFile(path, shot, 0o644))
		t.Logf("screenshot %s (%d bytes)", path, len(shot))
		if dir := os.Getenv("KONTOR_SCREENSHOT_DIR"); dir != "" {
			_ = os.WriteFile(filepath.Join(dir, "quickstart-"+stage+".png"), shot, 0o644)
		}
	}
	runQuickstart(t, config{pause: look})
	assert.Equal(t, []string{"dead-letter", "end"}, stages)
}
