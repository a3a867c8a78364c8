package mapping_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
	"github.com/kontor-dev/kontor/mapping"
)

const setFile = `# one integration's mappings
version: 1
entity: product
rules:
  - set: {field: title, value: Fixed}
---
# orders
version: 2
entity: order
values:
  payment:
    map: {paypal: PREPAID}
rules:
  - map: {field: payment.method, table: payment}
`

func TestLoadBundle(t *testing.T) {
	s, err := mapping.LoadBundle("maps.yaml", []byte(setFile))
	require.NoError(t, err)

	pm, ok := mapping.BundleMapper[kontor.Product](s)
	require.True(t, ok)
	p, err := pm.Map(context.Background(), kontor.Product{SKU: "A", Title: "x"})
	require.NoError(t, err)
	assert.Equal(t, "Fixed", p.Title)

	om, ok := mapping.BundleMapper[kontor.Order](s)
	require.True(t, ok)
	o, err := om.Map(context.Background(), kontor.Order{Number: "1", Payment: kontor.Payment{Method: "paypal", Amount: kontor.Money{Amount: decimal.Zero, Currency: "EUR"}}})
	require.NoError(t, err)
	assert.Equal(t, "PREPAID", o.Payment.Method)

	_, ok = mapping.BundleMapper[kontor.Price](s)
	assert.False(t, ok, "no document for prices")

	v := s.Versions()
	assert.Len(t, v, 2)
	assert.Contains(t, v[kontor.EntityOrder], "maps@2#")
	assert.Contains(t, string(s.Document(kontor.EntityOrder)), "PREPAID")
	assert.Nil(t, s.Document(kontor.EntityPrice))

	path := filepath.Join(t.TempDir(), "maps.yaml")
	require.NoError(t, os.WriteFile(path, []byte(setFile), 0o644))
	_, err = mapping.LoadBundleFile(path)
	require.NoError(t, err)
}

func TestLoadBundleErrors(t *testing.T) {
	// A problem is reported at its line in the whole file.
	broken := "version: 1\nentity: product\nrules:\n  - validate: {}\n---\n# orders\nversion: 2\nentity: order\nrules:\n  - map: {field: payment.method, table: nope}\n"
	_, err := mapping.LoadBundle("broken.yaml", []byte(broken))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `broken.yaml:10: rules[0].map.table: table "nope" is not defined under values`)
	var fe *mapping.FileError
	assert.ErrorAs(t, err, &fe)

	_, err = mapping.LoadBundle("dup.yaml", []byte("version: 1\nentity: price\n---\nversion: 1\nentity: price\n"))
	assert.ErrorContains(t, err, `dup.yaml:4: a second document for entity "price"`)
	_, err = mapping.LoadBundle("none.yaml", []byte("version: 1\nrules: []\n"))
	assert.ErrorContains(t, err, "none.yaml:1: the document has no entity")
	_, err = mapping.LoadBundle("odd.yaml", []byte("version: 1\nentity: invoice\n"))
	assert.ErrorContains(t, err, `odd.yaml:1: the document names entity "invoice"`)
	_, err = mapping.LoadBundleFile(filepath.Join(t.TempDir(), "missing.yaml"))
	assert.Error(t, err)
}
