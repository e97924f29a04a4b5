"""Visits and workshops: the rules of workshops and bookings, booking places on the home
server (concurrency included), REST and the cooperative's page (docs/visits.md)."""
