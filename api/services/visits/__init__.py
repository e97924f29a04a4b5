"""Visits and workshops: workshops written by coordinators, sessions with places counted
on the cooperative's home server, bookings (docs/visits.md)."""
