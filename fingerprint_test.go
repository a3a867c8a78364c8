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

// Fields added to an entity after its fingerprints were first stored
// (an order's fees, a status update's order keys) change the fingerprint
// only where they are set: the entities stored before keep theirs.
func TestFingerprintAddedFieldsKeepStoredOnes(t *testing.T) {
	o := sampleOrder()
	withFees := o.Fingerprint()
	o.Fees = nil
	o.TotalNet, o.TotalTax, o.TotalGross, o.Payment.Amount = eur("48.93"), eur("7.95"), eur("56.88"), eur("56.88")
	o.Payment.Method, o.Payment.Gateway = "paypal", "paypal"
	assert.Equal(t, uint64(0x5a93c9cf822a4a36), o.Fingerprint(), "an order without fees hashes as before fees existed")
	assert.NotEqual(t, withFees, o.Fingerprint())

	fee := sampleOrder()
	fee.Fees[0].Code = "cod2"
	assert.NotEqual(t, withFees, fee.Fingerprint(), "a fee's code is content")
	fee = sampleOrder()
	fee.Fees[0].TaxRate = dec("19.0")
	assert.Equal(t, withFees, fee.Fingerprint(), "decimal scale is not content")

	st := sampleStatus()
	withKeys := st.Fingerprint()
	st.OrderKeys = kontor.Meta{}
	assert.Equal(t, uint64(0x8631633aed92db56), st.Fingerprint(), "a status update without order keys hashes as before they existed")
	st.OrderKeys = kontor.Meta{UpdatedAt: t0}
	assert.Equal(t, uint64(0x8631633aed92db56), st.Fingerprint(), "only the keys of the order are content")
	st.OrderKeys = kontor.Meta{ShopKey: "gid://shopify/Order/5566778899001122334"}
	assert.NotEqual(t, uint64(0x8631633aed92db56), st.Fingerprint())
	assert.NotEqual(t, withKeys, st.Fingerprint())
}

func BenchmarkFingerprintProduct(b *testing.B) {
	p := sampleProduct()
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Fingerprint()
	}
}
