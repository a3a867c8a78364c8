package bctest

// Queued returns how many requests wait for a concurrency slot.
func (s *Server) Queued() int {
	s.lim.mu.Lock()
	defer s.lim.mu.Unlock()
	return s.lim.queued
}
