package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/kontor-dev/kontor"
	bc "github.com/kontor-dev/kontor/erp/businesscentral"
	"github.com/kontor-dev/kontor/shop/woocommerce"
	"github.com/kontor-dev/kontor/syncer"
	"github.com/kontor-dev/kontor/syncer/store"
	"github.com/kontor-dev/kontor/syncer/store/postgres"
	"github.com/kontor-dev/kontor/syncer/store/sqlite"
)

// app is the integration: both connectors, the engine with its flows and
// its state. setup builds it; plan and serve use it.
type app struct {
	cfg     Config
	log     *slog.Logger
	st      store.Store
	close   func() error
	bc      *bc.Connector
	woo     *woocommerce.Client
	s       *syncer.Syncer
	maps    *mappings
	skipped []skippedFlow
}

// skippedFlow is a flow the connectors cannot carry, and why.
type skippedFlow struct{ name, why string }

// setup builds the app from cfg. With apply false the engine's state is
// only read (a dry run writes nothing anywhere).
func setup(ctx context.Context, cfg Config, apply bool, log *slog.Logger) (*app, error) {
	maps, err := loadMappingFile(cfg.MappingFile)
	if err != nil {
		return nil, fmt.Errorf("mapping file:\n%w", err)
	}
	a := &app{cfg: cfg, log: log, maps: maps}
	if a.st, a.close, err = openStore(ctx, cfg, apply); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	if err := a.connect(); err != nil {
		_ = a.close()
		return nil, err
	}
	a.s = syncer.New(a.st, syncer.WithLogger(log))
	if err := a.addFlows(); err != nil {
		_ = a.close()
		return nil, err
	}
	return a, nil
}

// Close closes the engine's state.
func (a *app) Close() error { return a.close() }

// openStore opens the engine's state: PostgreSQL when a DSN is given, else
// the SQLite file. A dry run opens the file read-only, or, before the
// first -apply made it, starts from an empty state in memory.
func openStore(ctx context.Context, cfg Config, apply bool) (store.Store, func() error, error) {
	if cfg.PostgresDSN != "" {
		st, err := postgres.Open(ctx, cfg.PostgresDSN)
		if err != nil {
			return nil, nil, err
		}
		return st, func() error { st.Close(); return nil }, nil
	}
	var opts []sqlite.Option
	if !apply {
		if _, err := os.Stat(cfg.StorePath); errors.Is(err, os.ErrNotExist) {
			return store.NewMemory(), func() error { return nil }, nil
		}
		opts = append(opts, sqlite.ReadOnly())
	}
	st, err := sqlite.Open(ctx, cfg.StorePath, opts...)
	if err != nil {
		return nil, nil, err
	}
	return st, st.Close, nil
}

// connect builds the two connectors. Neither does I/O yet.
func (a *app) connect() error {
	cfg := a.cfg
	var bcOpts []bc.Option
	if codes := a.maps.paymentTerms; len(codes) > 0 {
		bcOpts = append(bcOpts, bc.WithPaymentTerms(identity(codes)))
	}
	if codes := a.maps.shipmentMethods; len(codes) > 0 {
		bcOpts = append(bcOpts, bc.WithShipmentMethods(identity(codes)))
	}
	if cfg.BCFeeCharge != nil {
		bcOpts = append(bcOpts, bc.WithFeeCharge(*cfg.BCFeeCharge))
	}
	if cfg.BCAmountOnlyCredit != nil {
		bcOpts = append(bcOpts, bc.WithAmountOnlyCredit(*cfg.BCAmountOnlyCredit))
	}
	if cfg.BCShippingCharge != nil {
		bcOpts = append(bcOpts, bc.WithShippingCharge(*cfg.BCShippingCharge))
	}
	if cfg.BCGuestCustomer != "" {
		bcOpts = append(bcOpts, bc.WithGuestCustomer(cfg.BCGuestCustomer))
	}
	if cfg.BCTrackingPage != nil {
		bcOpts = append(bcOpts, bc.WithTrackingPage(*cfg.BCTrackingPage))
	}
	if cfg.BCStockPage != nil {
		bcOpts = append(bcOpts, bc.WithStockPage(*cfg.BCStockPage))
	}
	var wooOpts []woocommerce.Option
	if cfg.WooCurrency != "" {
		wooOpts = append(wooOpts, woocommerce.WithStoreSettings(kontor.Currency(cfg.WooCurrency), nil, "", ""))
	}
	if cfg.LogRequests {
		bcOpts = append(bcOpts, bc.WithLogger(a.log))
		wooOpts = append(wooOpts, woocommerce.WithLogger(a.log))
	}
	var err error
	if a.bc, err = bc.New(cfg.BC, bcOpts...); err != nil {
		return err
	}
	a.woo, err = woocommerce.New(cfg.WooURL, cfg.WooKey, cfg.WooSecret, wooOpts...)
	return err
}

// addFlows adds the flows, in the order a first pass runs them: the
// catalog before the orders that name it, orders before the shipments,
// returns and statuses of orders.
func (a *app) addFlows() error {
	m := a.maps
	forSale := func(sku string) bool { return !slices.Contains(a.cfg.SkipItems, sku) }
	err := a.s.Add(
		// Business Central announces item changes: products and prices
		// follow them at once, the hourly sweep reconciles.
		syncer.Products(a.bc, a.woo, m.option(kontor.EntityProduct), syncer.RealTime(true),
			syncer.Where(func(p *kontor.Product) bool { return forSale(p.SKU) })),
		syncer.Prices(a.bc, a.woo, m.option(kontor.EntityPrice), syncer.RealTime(true),
			syncer.Where(func(p *kontor.Price) bool { return forSale(p.SKU) })),
		syncer.Stock(a.bc, a.woo, m.option(kontor.EntityStock), syncer.Every(a.cfg.StockEvery),
			syncer.Where(func(s *kontor.StockLevel) bool { return forSale(s.SKU) })),
		syncer.Customers(a.woo, a.bc, m.option(kontor.EntityCustomer)),
		// Business Central never changes a sales order it has: an order
		// paid or completed in the shop later is no change to send.
		syncer.Orders(a.woo, a.bc, m.option(kontor.EntityOrder), syncer.Ignore("payment"),
			syncer.Where(func(o *kontor.Order) bool { return !o.PlacedAt.Before(a.cfg.OrdersSince) })),
	)
	if err != nil {
		return fmt.Errorf("the flows cannot be set up: %w", err)
	}
	// Shipments and statuses go to the shop only for orders that came
	// from it: Business Central also holds orders taken by phone, by EDI,
	// by another shop.
	optional := []struct {
		flow     *syncer.Flow
		from, to kontor.Connector
	}{
		{syncer.Returns(a.woo, a.bc, m.option(kontor.EntityReturn)), a.woo, a.bc},
		{syncer.Shipments(a.bc, a.woo, m.option(kontor.EntityShipment),
			syncer.Where(func(s *kontor.Shipment) bool { return a.shopOrder(s.OrderNumber) })), a.bc, a.woo},
		{syncer.StatusToShop(a.bc, a.woo, m.option(kontor.EntityStatus),
			syncer.Where(func(u *kontor.StatusUpdate) bool { return a.shopOrder(u.OrderNumber) })), a.bc, a.woo},
		{syncer.StatusToERP(a.woo, a.bc, m.option(kontor.EntityStatus)), a.woo, a.bc},
	}
	for _, o := range optional {
		e := o.flow.Entity()
		if err := errors.Join(kontor.Require(o.from, e, kontor.Read), kontor.Require(o.to, e, kontor.Write)); err != nil {
			a.skipped = append(a.skipped, skippedFlow{o.flow.Name(), strings.ReplaceAll(err.Error(), "\n", "; ")})
			continue
		}
		if err := a.s.Add(o.flow); err != nil {
			return fmt.Errorf("the flows cannot be set up: %w", err)
		}
	}
	return nil
}

// shopOrder reports whether the orders flow brought the order with this
// number from the shop, by the link it keeps. When the state cannot be
// read it says yes: the shop then decides, and an unknown order fails
// there, visibly, instead of being left out silently.
func (a *app) shopOrder(number string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	links, err := a.st.Links(ctx, kontor.EntityOrder, []string{number})
	if err != nil {
		a.log.Warn("reading order links failed", "order", number, "error", err)
		return true
	}
	return links[0].Found
}

// shopEvents is the handler of the shop's verified webhook deliveries:
// the engine's, which wakes the flows that read from the shop.
//
// WooCommerce names a delivery by its webhook and the second it was sent
// (X-WC-Webhook-Delivery-ID), so two changes of one topic within a second
// share an id, and the engine drops an event whose id it has seen: the id
// is made unique with the payload's hash. A refund arrives as
// order.updated (WooCommerce has no refund webhook), so an updated order
// wakes the returns flow too.
func (a *app) shopEvents() kontor.EventHandler {
	events := a.s.Events(a.woo)
	returns := slices.Contains(a.s.Flows(), "returns")
	return func(ctx context.Context, ev kontor.Event) error {
		sum := sha256.Sum256(ev.Payload)
		ev.ID += "/" + hex.EncodeToString(sum[:8])
		if err := events(ctx, ev); err != nil {
			return err
		}
		if returns && ev.Entity == kontor.EntityOrder && ev.Topic == "order.updated" {
			return a.s.Notify(ctx, "returns", kontor.Event{ID: ev.ID + "/returns", Topic: ev.Topic, At: ev.At})
		}
		return nil
	}
}

// erpEvents is the handler of Business Central's verified change
// notifications: the engine's, which wakes the flows that read from
// Business Central. Business Central announces no stock change, but a
// posted shipment is one (its notification comes as a change of the sales
// order), so a shipment event wakes the stock flow too.
func (a *app) erpEvents() kontor.EventHandler {
	events := a.s.Events(a.bc)
	return func(ctx context.Context, ev kontor.Event) error {
		if err := events(ctx, ev); err != nil {
			return err
		}
		if ev.Entity == kontor.EntityShipment {
			return a.s.Notify(ctx, "stock", kontor.Event{ID: ev.ID + "/stock", Topic: ev.Topic, At: ev.At})
		}
		return nil
	}
}
