package businesscentral_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	bc "github.com/kontor-dev/kontor/erp/businesscentral"
	"github.com/kontor-dev/kontor/erp/businesscentral/bctest"
	"github.com/kontor-dev/kontor/kontortest"
)

func TestTokenExpiresMidSync(t *testing.T) {
	srv := newFake(t, bctest.WithPageSize(10))
	for i := range 30 {
		putItem(t, srv, i)
	}
	c := connect(t, srv, bc.WithPageSize(10))
	n := 0
	for p, err := range c.ReadProducts(t.Context(), kontor.Cursor{}) {
		require.NoError(t, err)
		n++
		if n == 15 {
			srv.ExpireTokens() // the token dies between the second and the third page
		}
		assert.NotEmpty(t, p.SKU)
	}
	assert.Equal(t, 30, n, "every item read once, none lost to the expiry")
	assert.Equal(t, 2, srv.TokenRequests(), "one token at the start, one after the 401")
}

func TestConflictOnUpdateIsResolvedByReReading(t *testing.T) {
	for _, status := range []int{http.StatusPreconditionFailed, http.StatusConflict} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv := newFake(t, bctest.WithETagMismatchStatus(status))
			hook, opt := withHook()
			c := connect(t, srv, opt)
			cu := kontortest.SampleCustomer(1)
			rs, err := c.WriteCustomers(t.Context(), []kontor.Customer{cu})
			require.NoError(t, err)
			require.Equal(t, kontor.Created, rs[0].Outcome, rs[0].Err)

			// A clerk edits the customer between the connector's read and its
			// update: the update's ETag is stale.
			var patches atomic.Int32
			hook.hook = func(req *http.Request, body []byte, send func() (*http.Response, error)) (*http.Response, error) {
				if strings.HasSuffix(req.URL.Path, "/$batch") && strings.Contains(string(body), `"method":"PATCH"`) {
					if patches.Add(1) == 1 {
						cur, ok := srv.Customer(cu.Number)
						require.True(t, ok)
						cur.Website = "https://clerk.example.com"
						_, err := srv.PutCustomer(cur)
						require.NoError(t, err)
					}
				}
				return send()
			}
			cu.Phone = "+49 30 1234567"
			rs, err = c.WriteCustomers(t.Context(), []kontor.Customer{cu})
			require.NoError(t, err)
			require.Equal(t, kontor.Updated, rs[0].Outcome, rs[0].Err)
			assert.Equal(t, int32(2), patches.Load(), "the stale update, then one after reading again")
			got, _ := srv.Customer(cu.Number)
			assert.Equal(t, "+49 30 1234567", got.PhoneNumber, "our change is in")
			assert.Equal(t, "https://clerk.example.com", got.Website, "the clerk's change is kept")
		})
	}
}

func TestConflictThatPersistsFailsAsConflict(t *testing.T) {
	srv := newFake(t, bctest.WithETagMismatchStatus(http.StatusPreconditionFailed))
	hook, opt := withHook()
	c := connect(t, srv, opt)
	cus := []kontor.Customer{kontortest.SampleCustomer(1), kontortest.SampleCustomer(2)}
	_, err := c.WriteCustomers(t.Context(), cus)
	require.NoError(t, err)
	n := 0
	hook.hook = func(req *http.Request, body []byte, send func() (*http.Response, error)) (*http.Response, error) {
		if strings.Contains(string(body), `"method":"PATCH"`) {
			n++
			cur, _ := srv.Customer(cus[0].Number)
			cur.Website = "https://clerk.example.com/" + strings.Repeat("x", n)
			_, err := srv.PutCustomer(cur) // someone edits it before every update
			require.NoError(t, err)
		}
		return send()
	}
	cus[0].Phone, cus[1].Phone = "+49 1", "+49 2"
	rs, err := c.WriteCustomers(t.Context(), cus)
	require.NoError(t, err)
	assert.Equal(t, kontor.Failed, rs[0].Outcome)
	assert.Equal(t, kontor.KindConflict, kontor.KindOf(rs[0].Err), rs[0].Err)
	assert.Equal(t, kontor.Updated, rs[1].Outcome, "the other customer is not held back")
}

func TestThrottleStorm(t *testing.T) {
	srv := newFake(t, bctest.WithPageSize(5))
	putOrderItems(t, srv, 10)
	c := connect(t, srv, bc.WithPageSize(5))

	// Reads: a storm of 429s, shorter than the retries, is ridden out.
	srv.FailNext(3, bctest.Fault{Status: 429})
	n := 0
	for _, err := range c.ReadPrices(t.Context(), kontor.Cursor{}) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 2*10+1, n, "a price per variant SKU (S, M) of the 10 items, and FREIGHT's")

	// Writes: a storm on the create $batch is ridden out too (a 429 is
	// never processed, so sending it again cannot duplicate).
	hook, opt := withHook()
	c = connect(t, srv, opt)
	hook.hook = func(req *http.Request, body []byte, send func() (*http.Response, error)) (*http.Response, error) {
		if isCreateBatch(req, body) && strings.Contains(string(body), "salesOrders") {
			srv.FailNext(1, bctest.Fault{Status: 429})
			hook.hook = nil // once: the next attempt goes through
		}
		return send()
	}
	rs, err := c.WriteOrders(t.Context(), sampleOrders(0, 3))
	require.NoError(t, err)
	for _, r := range rs {
		assert.Equal(t, kontor.Created, r.Outcome, r.Err)
	}

	// A storm longer than the retries fails the call as rate limited, and
	// nothing is written; the next call writes everything once.
	srv.FailNext(100, bctest.Fault{Status: 429})
	_, err = c.WriteOrders(t.Context(), sampleOrders(3, 3))
	require.Error(t, err)
	assert.Equal(t, kontor.KindRateLimited, kontor.KindOf(err))
	srv.FailNext(0, bctest.Fault{})
	for range 100 { // use up what is left of the storm
		if _, err := c.Companies(t.Context()); err == nil {
			break
		}
	}
	rs, err = c.WriteOrders(t.Context(), sampleOrders(3, 3))
	require.NoError(t, err)
	for _, r := range rs {
		assert.Equal(t, kontor.Created, r.Outcome, r.Err)
	}
	for _, o := range sampleOrders(0, 6) {
		assert.Len(t, srv.SalesOrdersByExternalDocumentNumber(o.Number), 1, o.Number)
	}
}

func TestBatchWithOneFailingOperation(t *testing.T) {
	for _, atomic := range []bool{false, true} {
		t.Run(map[bool]string{false: "independent", true: "atomic"}[atomic], func(t *testing.T) {
			srv := newFake(t)
			putOrderItems(t, srv, 5)
			hook, opt := withHook()
			opts := []bc.Option{opt}
			if atomic {
				opts = append(opts, bc.WithAtomicBatches(kontor.EntityOrder))
			}
			c := connect(t, srv, opts...)
			hook.hook = func(req *http.Request, body []byte, send func() (*http.Response, error)) (*http.Response, error) {
				if isCreateBatch(req, body) && strings.Contains(string(body), "salesOrders") {
					srv.FailBatchOperation(1, bctest.Fault{Status: 400, Code: "Application_FieldValidationException",
						Message: "The field Quantity of table Sales Line contains a value that is not allowed."})
					hook.hook = nil
				}
				return send()
			}
			orders := sampleOrders(0, 3)
			rs, err := c.WriteOrders(t.Context(), orders)
			require.NoError(t, err)
			require.Len(t, rs, 3)
			assert.Equal(t, kontor.Failed, rs[1].Outcome)
			assert.Equal(t, kontor.KindValidation, kontor.KindOf(rs[1].Err))
			assert.Contains(t, rs[1].Err.Error(), "Quantity")
			for _, i := range []int{0, 2} {
				if atomic {
					assert.Equal(t, kontor.Failed, rs[i].Outcome)
					assert.True(t, kontor.IsRetryable(rs[i].Err), "rolled back: worth sending again")
					assert.Empty(t, srv.SalesOrdersByExternalDocumentNumber(orders[i].Number), "the snapshot batch was rolled back")
				} else {
					assert.Equal(t, kontor.Created, rs[i].Outcome, rs[i].Err)
					assert.Len(t, srv.SalesOrdersByExternalDocumentNumber(orders[i].Number), 1)
				}
			}
			// Written again, each order exists once.
			rs, err = c.WriteOrders(t.Context(), orders)
			require.NoError(t, err)
			for i, r := range rs {
				require.NoError(t, r.Err)
				assert.Len(t, srv.SalesOrdersByExternalDocumentNumber(orders[i].Number), 1)
				want := kontor.Unchanged
				if atomic || i == 1 {
					want = kontor.Created
				}
				assert.Equal(t, want, r.Outcome, orders[i].Number)
			}
		})
	}
}

func TestDuplicatedOrderIsFoundNotCreated(t *testing.T) {
	srv := newFake(t)
	putOrderItems(t, srv, 4)
	c := connect(t, srv)
	o := kontortest.SampleOrder(0)

	rs, err := c.WriteOrders(t.Context(), []kontor.Order{o})
	require.NoError(t, err)
	require.Equal(t, kontor.Created, rs[0].Outcome, rs[0].Err)
	first := rs[0].Target.ERPKey

	// The shop delivers the order again, also twice in one batch.
	rs, err = c.WriteOrders(t.Context(), []kontor.Order{o, kontortest.SampleOrder(1), o})
	require.NoError(t, err)
	assert.Equal(t, kontor.Unchanged, rs[0].Outcome)
	assert.Equal(t, first, rs[0].Target.ERPKey, "found by its external document number")
	assert.Equal(t, kontor.Created, rs[1].Outcome)
	assert.Equal(t, kontor.Unchanged, rs[2].Outcome)
	assert.Equal(t, first, rs[2].Target.ERPKey)
	assert.Len(t, srv.SalesOrdersByExternalDocumentNumber(o.Number), 1)

	// An order someone entered in Business Central by hand with the shop's
	// number is found as well.
	o2 := kontortest.SampleOrder(2)
	placeOrders(t, srv, []kontor.Order{o2})
	rs, err = c.WriteOrders(t.Context(), []kontor.Order{o2})
	require.NoError(t, err)
	assert.Equal(t, kontor.Unchanged, rs[0].Outcome)
	assert.Len(t, srv.SalesOrdersByExternalDocumentNumber(o2.Number), 1)
}

func TestRemoteFailsMidwayThenBatchWrittenAgain(t *testing.T) {
	t.Run("operations after a failure", func(t *testing.T) {
		srv := newFake(t)
		putOrderItems(t, srv, 6)
		hook, opt := withHook()
		c := connect(t, srv, opt)
		hook.hook = func(req *http.Request, body []byte, send func() (*http.Response, error)) (*http.Response, error) {
			if isCreateBatch(req, body) && strings.Contains(string(body), "salesOrders") {
				for i := 3; i < 6; i++ { // the service fails from the fourth order on
					srv.FailBatchOperation(i, bctest.Fault{Status: 500})
				}
				hook.hook = nil
			}
			return send()
		}
		orders := sampleOrders(0, 6)
		rs, err := c.WriteOrders(t.Context(), orders)
		require.NoError(t, err)
		for i, r := range rs {
			if i < 3 {
				assert.Equal(t, kontor.Created, r.Outcome, r.Err)
			} else {
				assert.Equal(t, kontor.Failed, r.Outcome)
				assert.True(t, kontor.IsRetryable(r.Err))
			}
		}
		rs, err = c.WriteOrders(t.Context(), orders)
		require.NoError(t, err)
		for i, r := range rs {
			want := map[bool]kontor.Outcome{true: kontor.Unchanged, false: kontor.Created}[i < 3]
			assert.Equal(t, want, r.Outcome, orders[i].Number)
			assert.Len(t, srv.SalesOrdersByExternalDocumentNumber(orders[i].Number), 1)
		}
	})
	t.Run("response lost", func(t *testing.T) {
		srv := newFake(t)
		putOrderItems(t, srv, 6)
		hook, opt := withHook()
		c := connect(t, srv, opt)
		hook.hook = func(req *http.Request, body []byte, send func() (*http.Response, error)) (*http.Response, error) {
			if isCreateBatch(req, body) && strings.Contains(string(body), "salesOrders") {
				resp, err := send() // the service creates the orders …
				require.NoError(t, err)
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				hook.hook = nil
				return nil, syscall.ECONNRESET // … and the connection drops before the answer
			}
			return send()
		}
		orders := sampleOrders(0, 6)
		_, err := c.WriteOrders(t.Context(), orders)
		require.Error(t, err)
		assert.True(t, kontor.IsRetryable(err), "the engine sends the batch again")
		assert.Len(t, srv.SalesOrders(), 6, "created once, not again by a blind resend")

		rs, err := c.WriteOrders(t.Context(), orders)
		require.NoError(t, err)
		for i, r := range rs {
			assert.Equal(t, kontor.Unchanged, r.Outcome, orders[i].Number)
			assert.NotEmpty(t, r.Target.ERPKey)
		}
		assert.Len(t, srv.SalesOrders(), 6)
	})
}

func TestMalformedPayloadFromTheAPI(t *testing.T) {
	t.Run("read", func(t *testing.T) {
		srv := newFake(t)
		for i := range 3 {
			putItem(t, srv, i)
		}
		hook, opt := withHook()
		c := connect(t, srv, opt)
		hook.hook = func(req *http.Request, body []byte, send func() (*http.Response, error)) (*http.Response, error) {
			resp, err := send()
			if err != nil || !strings.HasSuffix(req.URL.Path, "/items") {
				return resp, err
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			// The second item's price arrives as text.
			b = []byte(strings.Replace(string(b), `"unitPrice":20.9`, `"unitPrice":"20,90 EUR"`, 1))
			resp.Body = io.NopCloser(strings.NewReader(string(b)))
			resp.ContentLength = int64(len(b))
			return resp, nil
		}
		var skus []string
		var errs []error
		for p, err := range c.ReadPrices(t.Context(), kontor.Cursor{}) {
			if err != nil {
				errs = append(errs, err)
				continue
			}
			skus = append(skus, p.SKU)
		}
		// The variant SKUs of the good items: the broken one costs only its own.
		assert.Equal(t, []string{"SKU-000000-M", "SKU-000000-S", "SKU-000002-M", "SKU-000002-S"}, skus)
		require.Len(t, errs, 1)
		var ve *kontor.ValidationError
		require.ErrorAs(t, errs[0], &ve)
		assert.Equal(t, "SKU-000001", ve.Key)
		assert.Equal(t, "unitPrice", ve.Field)
	})
	t.Run("write", func(t *testing.T) {
		srv := newFake(t)
		putOrderItems(t, srv, 3)
		hook, opt := withHook()
		c := connect(t, srv, opt)
		hook.hook = func(req *http.Request, body []byte, send func() (*http.Response, error)) (*http.Response, error) {
			resp, err := send()
			if err != nil || !isCreateBatch(req, body) || !strings.Contains(string(body), "salesOrders") {
				return resp, err
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			// The second order's result lost its id on the way.
			var br struct {
				Responses []map[string]any `json:"responses"`
			}
			require.NoError(t, json.Unmarshal(b, &br))
			require.Len(t, br.Responses, 3)
			delete(br.Responses[1]["body"].(map[string]any), "id")
			b, _ = json.Marshal(br)
			resp.Body = io.NopCloser(bytes.NewReader(b))
			resp.ContentLength = int64(len(b))
			hook.hook = nil
			return resp, nil
		}
		orders := sampleOrders(0, 3)
		rs, err := c.WriteOrders(t.Context(), orders)
		require.NoError(t, err)
		assert.Equal(t, kontor.Created, rs[0].Outcome)
		assert.Equal(t, kontor.Failed, rs[1].Outcome)
		assert.Contains(t, rs[1].Err.Error(), "no id")
		assert.Equal(t, kontor.Created, rs[2].Outcome)
		// Written again, the order that was created after all is found.
		rs, err = c.WriteOrders(t.Context(), orders)
		require.NoError(t, err)
		for i, r := range rs {
			assert.Equal(t, kontor.Unchanged, r.Outcome)
			assert.Len(t, srv.SalesOrdersByExternalDocumentNumber(orders[i].Number), 1)
		}
	})
}
