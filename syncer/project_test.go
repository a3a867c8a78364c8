package syncer

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"

	"github.com/kontor-dev/kontor"
)

// A projected fingerprint is canonical: the same content spelled
// differently (a decimal's trailing zero, a time in another zone) hashes
// equally, and a real change or a compared field does not.
func TestProjectedFingerprintIsCanonical(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	a := kontor.Order{Number: "1001", Currency: "EUR", PlacedAt: at, Status: kontor.OrderProcessing,
		TotalGross: kontor.Money{Amount: decimal.RequireFromString("1000.8"), Currency: "EUR"}}
	b := a
	b.TotalGross.Amount = decimal.RequireFromString("1000.80")
	b.PlacedAt = at.In(time.FixedZone("CET", 3600))
	ignore := []string{"status"}
	assert.Equal(t, projectedFingerprint(&a, nil, ignore), projectedFingerprint(&b, nil, ignore))

	c := a
	c.Status = kontor.OrderCancelled
	assert.Equal(t, projectedFingerprint(&a, nil, ignore), projectedFingerprint(&c, nil, ignore), "an ignored field is not compared")
	c.TotalGross.Amount = decimal.RequireFromString("1000.81")
	assert.NotEqual(t, projectedFingerprint(&a, nil, ignore), projectedFingerprint(&c, nil, ignore))

	owns := []string{"total_gross"}
	d := a
	d.Number = "other"
	assert.Equal(t, projectedFingerprint(&a, owns, nil), projectedFingerprint(&d, owns, nil), "only owned fields are compared")
	assert.NotEqual(t, projectedFingerprint(&a, owns, nil), projectedFingerprint(&c, owns, nil))
}
