package shopify

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
)

const bulkResult = `{"id":"gid://shopify/ProductVariant/1","sku":"A","inventoryItem":{"id":"gid://shopify/InventoryItem/11","updatedAt":"2026-03-01T10:00:00Z"}}
{"location":{"id":"gid://shopify/Location/1"},"quantities":[{"name":"available","quantity":5},{"name":"committed","quantity":2}],"__parentId":"gid://shopify/ProductVariant/1"}
{"location":{"id":"gid://shopify/Location/2"},"quantities":[{"name":"available","quantity":7}],"__parentId":"gid://shopify/InventoryItem/11"}
{"id":"gid://shopify/ProductVariant/2","sku":"B","inventoryItem":{"id":"gid://shopify/InventoryItem/12","updatedAt":"2026-03-01T10:00:00Z"}}

{"id":"gid://shopify/ProductVariant/3","sku":"C","inventoryItem":{"id":"gid://shopify/InventoryItem/13","updatedAt":"2026-03-01T10:00:00Z"}}
{"location":{"id":"gid://shopify/Location/1"},"quantities":[{"name":"available","quantity":1}],"__parentId":"gid://shopify/ProductVariant/3"}`

func TestParseBulkJSONL(t *testing.T) {
	var got []BulkLine
	require.NoError(t, ParseBulkJSONL(strings.NewReader(bulkResult), func(l BulkLine) error {
		got = append(got, l)
		return nil
	}))
	require.Len(t, got, 3)
	assert.Len(t, got[0].Children, 2, "children by the parent's id or a nested object's")
	assert.Empty(t, got[1].Children)
	assert.Len(t, got[2].Children, 1)
	var v struct{ SKU string }
	require.NoError(t, json.Unmarshal(got[2].Object, &v))
	assert.Equal(t, "C", v.SKU)
}

func TestParseBulkJSONLErrors(t *testing.T) {
	orphan := `{"id":"gid://shopify/ProductVariant/1"}
{"location":{"id":"x"},"__parentId":"gid://shopify/ProductVariant/9"}`
	err := ParseBulkJSONL(strings.NewReader(orphan), func(BulkLine) error { return nil })
	assert.ErrorContains(t, err, "line 2: parent gid://shopify/ProductVariant/9 is not the current object")

	err = ParseBulkJSONL(strings.NewReader(`{"id":1}`+"\n{broken"), func(BulkLine) error { return nil })
	assert.ErrorContains(t, err, "line 2")

	stop := errors.New("stop")
	n := 0
	err = ParseBulkJSONL(strings.NewReader(bulkResult), func(BulkLine) error { n++; return stop })
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 1, n, "the callback's error ends the stream")

	long := `{"id":"` + strings.Repeat("x", maxBulkLine) + `"}`
	err = ParseBulkJSONL(strings.NewReader(long), func(BulkLine) error { return nil })
	assert.ErrorContains(t, err, "longer than")
}

// TestParseBulkJSONLStreams checks that memory holds one root at a time:
// each root is handed on before the reader has read past its children.
func TestParseBulkJSONLStreams(t *testing.T) {
	const roots = 20000
	pr, pw := io.Pipe()
	go func() {
		for i := range roots {
			fmt.Fprintf(pw, `{"id":"gid://shopify/ProductVariant/%d","sku":"S%d"}`+"\n", i, i)
			fmt.Fprintf(pw, `{"location":{"id":"L"},"__parentId":"gid://shopify/ProductVariant/%d"}`+"\n", i)
		}
		pw.Close()
	}()
	n := 0
	require.NoError(t, ParseBulkJSONL(pr, func(l BulkLine) error {
		n++
		if len(l.Children) != 1 {
			return fmt.Errorf("root %d has %d children", n, len(l.Children))
		}
		return nil
	}))
	assert.Equal(t, roots, n)
}

func TestBulkErrorKinds(t *testing.T) {
	for code, kind := range map[string]kontor.Kind{
		"ACCESS_DENIED": kontor.KindUnauthorized, "TIMEOUT": kontor.KindRetryable,
		"INTERNAL_SERVER_ERROR": kontor.KindRetryable, "": kontor.KindPermanent,
	} {
		err := error(&BulkError{ID: "gid://shopify/BulkOperation/1", Status: "FAILED", ErrorCode: code})
		assert.Equal(t, kind, kontor.KindOf(err), code)
	}
	assert.ErrorIs(t, &BulkError{Status: "FAILED", ErrorCode: "TIMEOUT"}, kontor.ErrRetryable)
	assert.ErrorIs(t, &BulkError{Status: "FAILED"}, kontor.ErrPermanent)
}
