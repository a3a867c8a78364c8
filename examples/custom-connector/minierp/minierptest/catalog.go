package minierptest

// PutArticle stores a as the ERP's users change the item master: a new
// SKU gets an ID, a known one keeps it; either way the article gets the
// next version and the time of the clock. It returns the article as
// stored. It does not validate, so tests can plant bad data.
func (s *Server) PutArticle(a Article) Article {
	s.mu.Lock()
	defer s.mu.Unlock()
	a = clone(a)
	if old, ok := s.articles[a.SKU]; ok {
		a.ID = old.ID
	} else {
		a.ID = s.nextID("ART")
	}
	a.UpdatedAt, a.Version = s.stamp()
	s.articles[a.SKU] = a
	return clone(a)
}

// PutPrice stores a price list entry, keyed by SKU and price list, and
// returns it as stored.
func (s *Server) PutPrice(p Price) Price {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := p.SKU + "@" + p.PriceList
	if old, ok := s.prices[key]; ok {
		p.ID = old.ID
	} else {
		p.ID = s.nextID("PRC")
	}
	p.UpdatedAt, p.Version = s.stamp()
	s.prices[key] = p
	return p
}

// PutStock stores the stock of a SKU in a warehouse and returns it as
// stored.
func (s *Server) PutStock(st Stock) Stock {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := st.SKU + "@" + st.Warehouse
	if old, ok := s.stock[key]; ok {
		st.ID = old.ID
	} else {
		st.ID = s.nextID("STK")
	}
	st.UpdatedAt, st.Version = s.stamp()
	s.stock[key] = st
	return st
}
