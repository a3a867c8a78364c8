package kontor_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/kontor-dev/kontor"
)

func TestFingerprintIgnoresMetaAndRepresentation(t *testing.T) {
	a, b := sampleProduct(), sampleProduct()
	b.Meta = kontor.Meta{ERPKey: "other", Version: 99, UpdatedAt: t0.Add(1e9)}
	b.Weight.Value = dec("0.18500") // same value, other scale
	assert.Equal(t, a.Fingerprint(), b.Fingerprint(), "keys, versions and decimal scale are not content")

	changes := map[string]func(p *kontor.Product){
		"title":          func(p *kontor.Product) { p.Title += "!" },
		"variant gtin":   func(p *kontor.Product) { p.Variants[1].GTIN = "96385074" },
		"weight":         func(p *kontor.Product) { p.Weight.Value = dec("0.186") },
		"no weight":      func(p *kontor.Product) { p.Weight = nil },
		"extra":          func(p *kontor.Product) { p.Extra["custom.care"] = "40 °C" },
		"status":         func(p *kontor.Product) { p.Status = kontor.ProductDiscontinued },
		"category order": func(p *kontor.Product) { p.Categories[0], p.Categories[1] = p.Categories[1], p.Categories[0] },
		// Length-prefixed strings: moving a character between fields changes the hash.
		"field boundary": func(p *kontor.Product) { p.Title, p.Description = p.Title+"<", p.Description[1:] },
	}
	for name, change := range changes {
		c := sampleProduct()
		change(&c)
		assert.NotEqual(t, a.Fingerprint(), c.Fingerprint(), name)
	}
}

func TestFingerprintEveryEntity(t *testing.T) {
	o1, o2 := sampleOrder(), sampleOrder()
	o2.Lines[0].Meta.ShopKey = "gid://shopify/LineItem/2" // line keys are content
	assert.NotEqual(t, o1.Fingerprint(), o2.Fingerprint())
	o3 := sampleOrder()
	o3.UpdatedAt = o3.UpdatedAt.Add(1e9)
	assert.Equal(t, o1.Fingerprint(), o3.Fingerprint())

	s1, s2 := sampleStock(), sampleStock()
	s2.Available = dec("12.50")
	assert.Equal(t, s1.Fingerprint(), s2.Fingerprint())
	s2.Available = dec("12")
	assert.NotEqual(t, s1.Fingerprint(), s2.Fingerprint())

	p, c, sh, r, st := samplePrice(), sampleCustomer(), sampleShipment(), sampleReturn(), sampleStatus()
	seen := map[uint64]string{}
	for name, fp := range map[string]uint64{"order": o1.Fingerprint(), "stock": s1.Fingerprint(), "price": p.Fingerprint(),
		"customer": c.Fingerprint(), "shipment": sh.Fingerprint(), "return": r.Fingerprint(), "status": st.Fingerprint()} {
		assert.NotZero(t, fp, name)
		assert.NotContains(t, seen, fp, name)
		seen[fp] = name
	}
	// Stable across runs: a stored fingerprint must still match after an upgrade.
	assert.Equal(t, uint64(0x7ed8d3199a7fc67c), s1.Fingerprint(), "the canonical form changed; stored fingerprints would all mismatch")
}

func BenchmarkFingerprintProduct(b *testing.B) {
	p := sampleProduct()
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Fingerprint()
	}
}
