package syncer

import (
	"github.com/shopspring/decimal"

	"github.com/kontor-dev/kontor"
)

// StockPolicy computes what a channel is told it may sell of a stock
// level. It runs after the flow's mapping, on every stock item.
type StockPolicy func(kontor.StockLevel) kontor.StockLevel

// WithStockPolicy sets the stock flow's policy.
func WithStockPolicy(p StockPolicy) FlowOption { return func(c *flowConfig) { c.stock = p } }

// DefaultStockPolicy publishes available − reserved − safety stock, never
// negative, rounded down to whole units, since a shop sells whole pieces of
// what an ERP may count in fractions. The published level keeps its other
// quantities.
func DefaultStockPolicy(s kontor.StockLevel) kontor.StockLevel {
	return publishStock(s, true)
}

// FractionalStockPolicy is DefaultStockPolicy for goods sold by length or
// weight: it keeps fractions.
func FractionalStockPolicy(s kontor.StockLevel) kontor.StockLevel {
	return publishStock(s, false)
}

// BufferedStockPolicy returns a policy that also holds back buffer units
// per channel, for channels that oversell (marketplaces with slow feeds).
func BufferedStockPolicy(buffer decimal.Decimal) StockPolicy {
	return func(s kontor.StockLevel) kontor.StockLevel {
		s.SafetyStock = s.SafetyStock.Add(buffer)
		return DefaultStockPolicy(s)
	}
}

func publishStock(s kontor.StockLevel, whole bool) kontor.StockLevel {
	avail := s.Available.Sub(s.Reserved).Sub(s.SafetyStock)
	if whole {
		avail = avail.Floor()
	}
	if avail.IsNegative() {
		avail = decimal.Zero
	}
	s.Available = avail
	return s
}
