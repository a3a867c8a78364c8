package minierp_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/examples/custom-connector/minierp"
	"github.com/kontor-dev/kontor/examples/custom-connector/minierp/minierptest"
	"github.com/kontor-dev/kontor/kontortest"
	"github.com/kontor-dev/kontor/transport"
)

// start runs a minierp and a connector to it, fast and with quick retries
// unless the options say otherwise.
func start(t *testing.T, sopts []minierptest.Option, copts ...minierp.Option) (*minierptest.Server, *minierp.Connector) {
	t.Helper()
	srv := minierptest.New(sopts...)
	t.Cleanup(srv.Close)
	conn, err := minierp.New(srv.URL(), srv.APIKey(), append([]minierp.Option{minierp.WithRate(1000),
		minierp.WithRetry(transport.RetryInitialInterval(time.Millisecond))}, copts...)...)
	require.NoError(t, err)
	return srv, conn
}

func putArticles(srv *minierptest.Server, n int) {
	for i := range n {
		srv.PutArticle(minierptest.Article{SKU: fmt.Sprintf("A-%03d", i), Name: "Article", Status: "active"})
	}
}

func readProducts(t *testing.T, conn *minierp.Connector) ([]kontor.Product, error) {
	t.Helper()
	var out []kontor.Product
	for p, err := range conn.ReadProducts(context.Background(), kontor.Cursor{}) {
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

func TestReadProductsMapsArticles(t *testing.T) {
	srv, conn := start(t, nil)
	srv.PutArticle(minierptest.Article{SKU: "SHIRT", Name: "Linen shirt", Description: "<p>Linen</p>", EAN: "4006381333931",
		Unit: "PCS", WeightKg: "0.250", Status: "discontinued", Variants: []minierptest.Variant{
			{SKU: "SHIRT-S-BLUE", Name: "S / blue", Options: []minierptest.VariantOption{{Name: "Size", Value: "S"}, {Name: "Colour", Value: "blue"}}},
			{SKU: "SHIRT-M-BLUE", Name: "M / blue", Options: []minierptest.VariantOption{{Name: "Size", Value: "M"}, {Name: "Colour", Value: "blue"}}},
		}})
	ps, err := readProducts(t, conn)
	require.NoError(t, err)
	require.Len(t, ps, 1)
	p := ps[0]
	assert.Equal(t, "SHIRT", p.SKU)
	assert.Equal(t, "ART-00001", p.ERPKey)
	assert.Equal(t, int64(1), p.Version)
	assert.Equal(t, kontor.ProductDiscontinued, p.Status)
	assert.Equal(t, "4006381333931", p.GTIN)
	require.NotNil(t, p.Weight)
	assert.True(t, p.Weight.Value.Equal(decimal.RequireFromString("0.25")), "weight %s", p.Weight.Value)
	assert.Equal(t, "kg", p.Weight.Unit)
	assert.Equal(t, []string{"Size", "Colour"}, p.Options)
	require.Len(t, p.Variants, 2)
	assert.Equal(t, []kontor.OptionValue{{Name: "Size", Value: "M"}, {Name: "Colour", Value: "blue"}}, p.Variants[1].Options)
	require.NoError(t, p.Validate())
}

// A record that does not map ends the read with an error naming it and
// its field; what came before it was yielded, nothing after it is.
func TestReadMalformedRecord(t *testing.T) {
	srv, conn := start(t, nil, minierp.WithPageSize(2))
	srv.PutArticle(minierptest.Article{SKU: "GOOD-1", Name: "Good", Status: "active"})
	srv.PutArticle(minierptest.Article{SKU: "BAD", Name: "Bad", Status: "active", WeightKg: "heavy"})
	srv.PutArticle(minierptest.Article{SKU: "GOOD-2", Name: "Good", Status: "active"})

	ps, err := readProducts(t, conn)
	require.Len(t, ps, 1)
	assert.Equal(t, "GOOD-1", ps[0].SKU)
	var ve *kontor.ValidationError
	require.ErrorAs(t, err, &ve)
	assert.Equal(t, kontor.EntityProduct, ve.Entity)
	assert.Equal(t, "BAD", ve.Key)
	assert.Equal(t, "weight_kg", ve.Field)
	assert.Equal(t, kontor.KindValidation, kontor.KindOf(err))
	assert.Equal(t, 1, srv.Calls("GET /api/products"), "the read stopped on the first page")
}

// A 429 is retried after the server's Retry-After, not before.
func TestRetryAfterHonoured(t *testing.T) {
	const retryAfter = 80 * time.Millisecond
	srv, conn := start(t, []minierptest.Option{minierptest.WithRetryAfter(retryAfter)})
	putArticles(srv, 3)
	srv.FailNext(1, http.StatusTooManyRequests)

	began := time.Now()
	ps, err := readProducts(t, conn)
	require.NoError(t, err)
	assert.Len(t, ps, 3)
	assert.GreaterOrEqual(t, time.Since(began), retryAfter, "the retry went out before Retry-After")
	assert.Equal(t, 2, srv.Requests(), "one 429, one retry")
}

// With the retries spent, a 429 reaches the caller classified, with the
// server's delay, for the engine to wait on.
func TestRateLimitedAfterRetries(t *testing.T) {
	srv, conn := start(t, []minierptest.Option{minierptest.WithRetryAfter(80 * time.Millisecond)},
		minierp.WithRetry(transport.RetryMaxAttempts(1)))
	putArticles(srv, 3)
	srv.FailNext(1, http.StatusTooManyRequests)

	ps, err := readProducts(t, conn)
	assert.Empty(t, ps)
	require.ErrorIs(t, err, kontor.ErrRateLimited)
	require.ErrorIs(t, err, kontor.ErrRetryable)
	d, ok := kontor.RetryAfter(err)
	require.True(t, ok)
	assert.Equal(t, 80*time.Millisecond, d)
	var apiErr *kontor.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "rate_limited", apiErr.Code)
	assert.Equal(t, http.StatusTooManyRequests, apiErr.StatusCode)
	assert.Equal(t, "minierp-000001", apiErr.RequestID)
}

// Against minierp's own limit, the connector gets every page, waits out
// each 429 and keeps the 429s few.
func TestServerRateLimit(t *testing.T) {
	const window = 100 * time.Millisecond
	srv, conn := start(t, []minierptest.Option{minierptest.WithRateLimit(2, window)},
		minierp.WithPageSize(1), minierp.WithRetry(transport.RetryInitialInterval(time.Millisecond), transport.RetryMaxAttempts(10)))
	putArticles(srv, 6)

	began := time.Now()
	ps, err := readProducts(t, conn)
	require.NoError(t, err)
	require.Len(t, ps, 6)
	for i, p := range ps {
		assert.Equal(t, fmt.Sprintf("A-%03d", i), p.SKU)
	}
	// Six pages at two per window need three windows.
	assert.GreaterOrEqual(t, time.Since(began), 2*window)
	throttled := srv.Throttled()
	assert.Positive(t, throttled)
	assert.LessOrEqual(t, throttled, 6, "more 429s than pages: the connector did not wait them out")
	assert.Equal(t, 6+throttled, srv.Calls("GET /api/products"), "every 429 was retried once")
}

// orders returns SampleOrder(from), SampleOrder(from+1), ...
func orders(from, n int) []kontor.Order {
	out := make([]kontor.Order, n)
	for i := range out {
		out[i] = kontortest.SampleOrder(from + i)
	}
	return out
}

func outcomes(rs []kontor.Result) []kontor.Outcome {
	out := make([]kontor.Outcome, len(rs))
	for i, r := range rs {
		out[i] = r.Outcome
	}
	return out
}

// An order minierp has is found by its external number and not sent.
func TestWriteOrderAlreadyThere(t *testing.T) {
	srv, conn := start(t, nil)
	o := kontortest.SampleOrder(1)
	booked, err := srv.AddOrder(minierptest.Order{ExternalNumber: o.Number, Currency: "EUR", OrderDate: t0,
		Customer: minierptest.OrderCustomer{Type: "person"}, BillTo: minierptest.Address{Country: "DE"}})
	require.NoError(t, err)

	rs, err := conn.WriteOrders(context.Background(), []kontor.Order{o})
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, kontor.Unchanged, rs[0].Outcome)
	assert.Equal(t, booked.ID, rs[0].Target.ERPKey)
	assert.Equal(t, 0, srv.Calls("POST /api/orders"))
	assert.Len(t, srv.Orders(), 1)
}

// bookFirst is a transport that books the order itself just before the
// connector's first POST reaches minierp, as another writer would.
type bookFirst struct {
	srv    *minierptest.Server
	number string
	done   bool
}

func (b *bookFirst) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPost && !b.done {
		b.done = true
		if _, err := b.srv.AddOrder(minierptest.Order{ExternalNumber: b.number, Currency: "EUR", OrderDate: t0,
			Customer: minierptest.OrderCustomer{Type: "person"}, BillTo: minierptest.Address{Country: "DE"}}); err != nil {
			return nil, err
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

// An order booked between the look-up and the POST comes back 409
// duplicate_external_number: the connector finds it and creates nothing.
func TestWriteOrderDuplicateExternalNumber(t *testing.T) {
	o := kontortest.SampleOrder(2)
	race := &bookFirst{number: o.Number}
	srv, conn := start(t, nil, minierp.WithTransport(race))
	race.srv = srv

	rs, err := conn.WriteOrders(context.Background(), []kontor.Order{o})
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, kontor.Unchanged, rs[0].Outcome, "%v", rs[0].Err)
	booked, ok := srv.Order(o.Number)
	require.True(t, ok)
	assert.Equal(t, booked.ID, rs[0].Target.ERPKey)
	assert.Len(t, srv.Orders(), 1, "the order was booked twice")
	assert.Equal(t, 1, srv.Calls("POST /api/orders"))
	assert.Equal(t, 2, srv.Calls("GET /api/orders"), "the batch look-up and the look-up after the 409")
}

// minierp books an order and its answer is lost (502): Retry sends the
// POST again under the same Idempotency-Key and gets the first answer.
// The same batch written again later is found by the look-up.
func TestWriteOrdersLostAnswer(t *testing.T) {
	srv, conn := start(t, nil)
	batch := orders(0, 2)
	ctx := kontor.WithIdempotencyKeys(context.Background(), []string{"key-order-0", "key-order-1"})
	srv.LoseResponses(1)

	rs, err := conn.WriteOrders(ctx, batch)
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Created, kontor.Created}, outcomes(rs))
	assert.Len(t, srv.Orders(), 2)
	assert.Equal(t, 3, srv.Calls("POST /api/orders"), "two orders, one of them sent twice")
	assert.Equal(t, 1, srv.Replays())
	first, _ := srv.Order(batch[0].Number)
	assert.Equal(t, first.ID, rs[0].Target.ERPKey, "the replayed answer names the order booked first")

	again, err := conn.WriteOrders(ctx, batch)
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Unchanged, kontor.Unchanged}, outcomes(again))
	assert.Equal(t, rs[1].Target.ERPKey, again[1].Target.ERPKey)
	assert.Equal(t, 3, srv.Calls("POST /api/orders"), "nothing was sent again")
	assert.Len(t, srv.Orders(), 2)
}

// minierp fails midway through a batch: the call fails whole, what was
// booked stays booked, and the batch written again books only the rest.
func TestWriteOrdersFailMidway(t *testing.T) {
	srv, conn := start(t, nil, minierp.WithRetry(transport.RetryMaxAttempts(1)))
	batch := orders(0, 3)
	srv.FailAfter(1, http.StatusServiceUnavailable)

	rs, err := conn.WriteOrders(context.Background(), batch)
	assert.Nil(t, rs)
	require.ErrorIs(t, err, kontor.ErrRetryable)
	assert.Len(t, srv.Orders(), 1, "the first order was booked before minierp failed")

	rs, err = conn.WriteOrders(context.Background(), batch)
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Unchanged, kontor.Created, kontor.Created}, outcomes(rs))
	assert.Len(t, srv.Orders(), 3)
}

// Bad items fail alone, each with a typed error naming the item and the
// field; the items around them are booked.
func TestWriteOrdersInvalidItems(t *testing.T) {
	srv, conn := start(t, nil)
	batch := orders(0, 5)
	batch[1].TotalGross.Amount = batch[1].TotalGross.Amount.Add(decimal.NewFromInt(1)) // kontor's Validate
	batch[2].Lines[0].Quantity = decimal.RequireFromString("1.5")                      // minierp's whole quantities
	srv.FailKey(batch[3].Number, http.StatusUnprocessableEntity)                       // minierp refuses it

	rs, err := conn.WriteOrders(context.Background(), batch)
	require.NoError(t, err)
	require.Len(t, rs, 5)
	assert.Equal(t, []kontor.Outcome{kontor.Created, kontor.Failed, kontor.Failed, kontor.Failed, kontor.Created}, outcomes(rs))
	for i, r := range rs {
		assert.Equal(t, batch[i].Number, r.Key)
	}

	var ves kontor.ValidationErrors
	require.ErrorAs(t, rs[1].Err, &ves)
	assert.Equal(t, batch[1].Number, ves[0].Key)
	assert.Equal(t, "total_gross", ves[0].Field)

	var ve *kontor.ValidationError
	require.ErrorAs(t, rs[2].Err, &ve)
	assert.Equal(t, batch[2].Number, ve.Key)
	assert.Equal(t, "lines[0].quantity", ve.Field)

	var apiErr *kontor.APIError
	require.ErrorAs(t, rs[3].Err, &apiErr)
	assert.Equal(t, kontor.KindValidation, kontor.KindOf(rs[3].Err))
	assert.Equal(t, http.StatusUnprocessableEntity, apiErr.StatusCode)

	assert.Len(t, srv.Orders(), 2)
	assert.Equal(t, 3, srv.Calls("POST /api/orders"), "only valid orders were sent")
	_, ok := srv.Order(batch[4].Number)
	assert.True(t, ok, "the order after the refused one was booked")
}

func TestWriteCustomers(t *testing.T) {
	srv, conn := start(t, nil)
	ctx := context.Background()
	a, b := kontortest.SampleCustomer(0), kontortest.SampleCustomer(1)

	rs, err := conn.WriteCustomers(ctx, []kontor.Customer{a, b})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Created, kontor.Created}, outcomes(rs))
	stored, ok := srv.Customer(b.Number)
	require.True(t, ok)
	assert.Equal(t, "company", stored.Type)
	assert.Equal(t, b.Company, stored.Company)
	assert.Equal(t, stored.ID, rs[1].Target.ERPKey)

	// Unchanged data is not sent; changed data is, and updates.
	b.Phone = "+49 30 1234567"
	shopOnly := kontortest.SampleCustomer(2)
	shopOnly.Number, shopOnly.ShopKey = "", "gid://shop/Customer/7"
	nobody := kontortest.SampleCustomer(3)
	nobody.Number = "" // neither number nor shop key: only the e-mail address is left
	rs, err = conn.WriteCustomers(ctx, []kontor.Customer{a, b, shopOnly, nobody})
	require.NoError(t, err)
	assert.Equal(t, []kontor.Outcome{kontor.Unchanged, kontor.Updated, kontor.Created, kontor.Failed}, outcomes(rs))
	assert.Equal(t, 2+2, srv.Calls("POST /api/customers"), "the unchanged customer was sent again")
	_, ok = srv.Customer("gid://shop/Customer/7")
	assert.True(t, ok)

	var ve *kontor.ValidationError
	require.ErrorAs(t, rs[3].Err, &ve)
	assert.Equal(t, "number", ve.Field)
	assert.NotContains(t, rs[3].Err.Error(), nobody.Email, "the error names the customer by its e-mail address")
	assert.Len(t, srv.Customers(), 3)
}

// The API key never reaches a log or an error, nor does a customer's
// e-mail address, whatever happens: success, a 429 and its retry, a lost
// answer, a refused key.
func TestSecretsNeverLogged(t *testing.T) {
	const key = "canary-key-3f9d2a71c4"
	const wrongKey = "canary-wrong-8e5b0d17aa"
	const email = "canary.buyer@example.org"
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, conn := start(t, []minierptest.Option{minierptest.WithAPIKey(key), minierptest.WithRetryAfter(time.Millisecond)},
		minierp.WithLogger(logger))
	putArticles(srv, 2)
	ctx := context.Background()

	_, err := readProducts(t, conn)
	require.NoError(t, err)
	srv.FailNext(1, http.StatusTooManyRequests)
	_, err = readProducts(t, conn)
	require.NoError(t, err)

	o := kontortest.SampleOrder(0)
	o.Customer.Email = email
	srv.LoseResponses(1)
	rs, err := conn.WriteOrders(ctx, []kontor.Order{o})
	require.NoError(t, err)
	require.Equal(t, kontor.Created, rs[0].Outcome)
	c := kontortest.SampleCustomer(0)
	c.Email = email
	srv.FailKey(c.Number, http.StatusConflict)
	rs, err = conn.WriteCustomers(ctx, []kontor.Customer{c})
	require.NoError(t, err)
	require.Equal(t, kontor.Failed, rs[0].Outcome)
	errs := []error{rs[0].Err}

	wrong, err := minierp.New(srv.URL(), wrongKey, minierp.WithLogger(logger))
	require.NoError(t, err)
	for _, err := range wrong.ReadProducts(ctx, kontor.Cursor{}) {
		require.ErrorIs(t, err, kontor.ErrUnauthorized)
		errs = append(errs, err)
	}
	_, err = wrong.WriteOrders(ctx, []kontor.Order{o})
	require.ErrorIs(t, err, kontor.ErrUnauthorized)
	errs = append(errs, err)

	out := logs.String()
	for _, secret := range []string{key, wrongKey, email} {
		assert.NotContains(t, out, secret)
		for _, err := range errs {
			assert.NotContains(t, err.Error(), secret)
		}
	}
	// The test can fail: the key header was logged, redacted.
	assert.Contains(t, out, `"X-Api-Key":"[REDACTED]"`)
	assert.Contains(t, out, `"status":429`)
	assert.Contains(t, out, `"status":502`)
	assert.Contains(t, out, `"status":401`)
	assert.GreaterOrEqual(t, strings.Count(out, `"msg":"http request"`), 8)
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		url, key string
		ok       bool
	}{
		{"https://erp.example.com", "k", true},
		{"http://127.0.0.1:8080/", "k", true},
		{"http://localhost:8080", "k", true},
		{"http://erp.example.com", "secret-key", false}, // the key would cross the network in clear
		{"https://user:pw@erp.example.com", "k", false},
		{"erp.example.com", "k", false},
		{"https://erp.example.com", "", false},
	} {
		_, err := minierp.New(tc.url, tc.key)
		if tc.ok {
			assert.NoError(t, err, tc.url)
			continue
		}
		if assert.Error(t, err, tc.url) {
			assert.NotContains(t, err.Error(), "secret-key")
			assert.NotContains(t, err.Error(), "pw")
		}
	}
}

// A read stops requesting when its consumer stops: one page for one item.
func TestReadStopsWithConsumer(t *testing.T) {
	srv, conn := start(t, nil, minierp.WithPageSize(2))
	putArticles(srv, 9)
	n := 0
	for _, err := range conn.ReadProducts(context.Background(), kontor.Cursor{}) {
		require.NoError(t, err)
		n++
		if n == 3 {
			break
		}
	}
	assert.Equal(t, 2, srv.Calls("GET /api/products"))

	// A read since a time asks minierp for what changed from then on.
	ps, err := readProducts(t, conn)
	require.NoError(t, err)
	var got []string
	for p, err := range conn.ReadProducts(context.Background(), kontor.Cursor{Since: ps[6].UpdatedAt}) {
		require.NoError(t, err)
		got = append(got, p.SKU)
	}
	assert.Equal(t, []string{"A-006", "A-007", "A-008"}, got)
}
