package status_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor/internal/browser"
	"github.com/kontor-dev/kontor/kontortest"
)

// The page in a real browser: it renders the flows and dead letters, and a
// sweep that runs while it is open shows up without a reload.
func TestPageInBrowser(t *testing.T) {
	ctx := browser.New(t)
	f := newFixture(t)
	srv := httptest.NewServer(statusHandler(f))
	defer srv.Close()
	defer srv.CloseClientConnections() // the page's event stream

	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/")))
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("state").textContent === "live"`, chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "the page's event stream did not connect")

	flows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("tr.flow")].map(r => r.dataset.flow)`))
	require.NoError(t, err)
	assert.Equal(t, []string{"products", "orders"}, flows)
	dead, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("dead-letters").innerText`))
	require.NoError(t, err)
	assert.Contains(t, dead, "#500007")
	assert.Contains(t, dead, "mapping")
	assert.NotContains(t, dead, canary)

	created := `document.querySelector('tr.flow[data-flow="products"] td:nth-child(6)').textContent.trim()`
	before, err := chromedp.Run(ctx, chromedp.Evaluate[string](created))
	require.NoError(t, err)
	assert.Equal(t, "3", before)

	_, err = f.erp.PutProduct(kontortest.SampleProduct(3))
	require.NoError(t, err)
	_, err = f.s.Sync(t.Context(), "products")
	require.NoError(t, err)
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](created+` === "4"`, chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "the page did not update while the flow ran")

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "status.png")
	require.NoError(t, os.WriteFile(path, shot, 0o644))
	assert.Greater(t, len(shot), 10_000, "a screenshot of a rendered page")
	t.Logf("screenshot: %s (%d bytes)", path, len(shot))
	if dir := os.Getenv("KONTOR_SCREENSHOT_DIR"); dir != "" {
		_ = os.WriteFile(filepath.Join(dir, "status.png"), shot, 0o644)
	}
}
