package kontor_test

import (
	"context"
	"errors"
	"iter"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kontor-dev/kontor"
)

// stockOnly reads stock and says it also writes orders, which it cannot.
type stockOnly struct{}

func (stockOnly) Capabilities() kontor.Capabilities {
	return kontor.Capabilities{System: "demo", Reads: []kontor.Entity{kontor.EntityStock}, Writes: []kontor.Entity{kontor.EntityOrder},
		MaxBatch: map[kontor.Entity]int{kontor.EntityOrder: 50}}
}

func (stockOnly) ReadStock(ctx context.Context, since kontor.Cursor) iter.Seq2[kontor.StockLevel, error] {
	return func(yield func(kontor.StockLevel, error) bool) {}
}

func TestRequire(t *testing.T) {
	c := stockOnly{}
	require.NoError(t, kontor.Require(c, kontor.EntityStock, kontor.Read))

	err := kontor.Require(c, kontor.EntityStock, kontor.Write)
	var ue *kontor.UnsupportedError
	require.True(t, errors.As(err, &ue))
	assert.Equal(t, "demo cannot write stock: not in its capabilities", err.Error())
	assert.True(t, errors.Is(err, kontor.ErrPermanent))

	err = kontor.Require(c, kontor.EntityOrder, kontor.Write)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "does not implement the kontor.OrderWriter interface")

	caps := c.Capabilities()
	assert.Equal(t, 50, caps.BatchSize(kontor.EntityOrder))
	assert.Equal(t, 1, caps.BatchSize(kontor.EntityStock))
	assert.False(t, caps.HasEvents(kontor.EntityStock))
}

func TestMetaNewer(t *testing.T) {
	older := kontor.Meta{Version: 3, UpdatedAt: t0}
	newer := kontor.Meta{Version: 4, UpdatedAt: t0.Add(-1)} // versions win over clocks
	assert.True(t, newer.Newer(older))
	assert.False(t, older.Newer(newer))
	assert.False(t, older.Newer(older), "the same state is not newer")
	assert.True(t, kontor.Meta{UpdatedAt: t0.Add(1)}.Newer(kontor.Meta{UpdatedAt: t0}))
}

func TestMoney(t *testing.T) {
	a, b := eur("1.5"), eur("1.50")
	assert.True(t, a.Equal(b))
	sum, err := kontor.Sum(eur("0.10"), eur("0.20"))
	require.NoError(t, err)
	assert.True(t, sum.Equal(eur("0.30")), "no float drift: %s", sum)
	_, err = eur("1").Add(kontor.MustMoney("1", "USD"))
	assert.Error(t, err)
	assert.Equal(t, "2.68 EUR", eur("2.675").Round().String())
	assert.Equal(t, "3 JPY", kontor.MustMoney("2.5", "JPY").Round().String())
	assert.Equal(t, "1.235 KWD", kontor.MustMoney("1.2345", "KWD").Round().String())
	_, err = kontor.NewMoney("1,50", "EUR")
	assert.Error(t, err)
}
